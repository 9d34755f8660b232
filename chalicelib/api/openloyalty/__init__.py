"""The Open Loyalty face: logins, the campaign catalog, targeting, buying, bought rewards,
cashback."""
