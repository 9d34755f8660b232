"""The event log and the webhooks that deliver it."""
