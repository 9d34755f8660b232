"""The Coggins face: points by email (lookup, INSTANT edits) and point claims."""
