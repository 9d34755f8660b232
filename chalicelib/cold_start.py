"""Lambda's import of `app`, kept short: the garbage collector is paused while the modules load.

Importing the app makes some 90,000 objects (botocore's models, pydantic's schemas, the routes),
and the cyclic collector would walk the growing heap again and again while they are made: about
a sixth of the import's time, measured by `make bench` (bench/cold.py). `loading()` pauses it,
then freezes every object alive, since module state lives as long as the process: no later
collection walks those objects again, which also keeps each request's collections small. A face
loaded on its first request (chalicelib/api/faces.py) loads the same way; that freezes the
request's own objects too, so cyclic garbage among them is never collected: a few objects, once
per face and process.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loading() -> Iterator[None]:
    """Import the app's modules inside this block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
