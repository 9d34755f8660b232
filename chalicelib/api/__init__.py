"""The HTTP edge: one Blueprint per face of the spec, over one shared request pipeline."""
