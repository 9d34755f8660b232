"""Public HTML pages: the page behind a reward link."""
