"""The service's own routes: health, API docs, the ledger view, events, webhooks, bulk jobs."""
