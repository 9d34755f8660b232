"""Rewrites a deployment zip in place, entry by entry (the steps of `make package` that work
on the zip Chalice wrote: `package_slim`, `package_bytecode`)."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def rewritten(package: Path) -> Iterator[tuple[zipfile.ZipFile, zipfile.ZipFile]]:
    """The package to read and its replacement to write, beside it; the replacement takes the
    package's place when the block ends, and is removed if the block fails."""
    handle, temporary = tempfile.mkstemp(suffix=".zip", dir=package.parent)
    os.close(handle)
    try:
        with (
            zipfile.ZipFile(package) as source,
            zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target,
        ):
            yield source, target
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    Path(temporary).replace(package)


def copy_entry(source: zipfile.ZipFile, target: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Writes `info` to `target` as it is in `source` (name, date, mode, compression); its data."""
    data = source.read(info)
    target.writestr(info, data, compress_type=info.compress_type)
    return data
