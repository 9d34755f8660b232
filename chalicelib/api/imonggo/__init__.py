"""The Imonggo face: customers with their points, spending by amount, customer types."""
