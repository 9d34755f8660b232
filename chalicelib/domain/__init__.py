"""Business rules as plain functions and classes. Nothing here imports Chalice."""
