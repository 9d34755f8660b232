"""Who is calling: stores, credentials and principals, secrets, sessions, link tokens."""
