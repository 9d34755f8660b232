"""Rewards handed out: issuing, the sandbox, the reward email's delivery and the outbox sweep."""
