"""Customers: the records every face shares, customer types, the Alpha recipient directory."""
