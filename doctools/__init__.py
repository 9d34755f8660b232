"""Tools of the documentation site: the OpenAPI document it renders, and its examples' runner."""
