"""The reward campaign catalog: campaigns, coupons, targeting, buying, bought rewards, cashback."""
