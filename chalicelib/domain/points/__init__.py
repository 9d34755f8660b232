"""Points: the ledger, point batches, spending, claims, balances and their expiry."""
