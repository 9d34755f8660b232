"""The Alpha face: the recipient directory and balances."""
