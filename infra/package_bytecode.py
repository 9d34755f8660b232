"""Adds compiled bytecode to a deployment package (run by `make package`, after slimming).

Lambda unpacks the package into a read-only `/var/task`, so Python cannot keep the bytecode it
compiles: without it in the zip, every cold start compiles every module it imports, the app's
and its libraries' (importing the app from an unpacked package took about 920 ms without and
425 ms with it, measured side by side). Chalice picks the Lambda runtime from the interpreter
that packages (python3.11), so the bytecode this interpreter writes is the runtime's. The files
are `unchecked-hash` pycs, used without comparing the source's timestamp, which the package
does not keep (Chalice dates every file 1980-01-01); whatever `__pycache__` Chalice copied from
the working tree is dropped, as it was written against timestamps.

`python -m infra.package_bytecode build/deployment.zip`
"""

from __future__ import annotations

import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path

from infra.package_zip import copy_entry, rewritten


def _pyc_of(source: bytes, name: str, scratch: Path) -> bytes | None:
    """The unchecked-hash pyc of the module at package path `name`; None if it does not
    compile (a file of another Python that the functions never import)."""
    source_file, compiled_file = scratch / "module.py", scratch / "module.pyc"
    source_file.write_bytes(source)
    try:
        py_compile.compile(
            str(source_file),
            cfile=str(compiled_file),
            dfile=name,
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    except py_compile.PyCompileError:
        return None
    return compiled_file.read_bytes()


def pyc_path(name: str) -> str:
    """Where the import system looks for the bytecode of `name` (`a/b.py` is
    `a/__pycache__/b.cpython-311.pyc`), whatever `PYTHONPYCACHEPREFIX` says here."""
    folder, _, file_name = name.rpartition("/")
    cached = f"__pycache__/{file_name[:-3]}.{sys.implementation.cache_tag}.pyc"
    return f"{folder}/{cached}" if folder else cached


def add_bytecode(package: Path) -> tuple[int, int]:
    """Rewrites `package` with a pyc beside every module; how many modules, how many not."""
    compiled = skipped = 0
    with tempfile.TemporaryDirectory() as scratch, rewritten(package) as (source, target):
        for info in source.infolist():
            if "__pycache__/" in info.filename:
                continue
            data = copy_entry(source, target, info)
            if not info.filename.endswith(".py"):
                continue
            pyc = _pyc_of(data, info.filename, Path(scratch))
            if pyc is None:
                skipped += 1
                continue
            entry = zipfile.ZipInfo(pyc_path(info.filename), info.date_time)
            entry.external_attr = info.external_attr
            target.writestr(entry, pyc, compress_type=zipfile.ZIP_DEFLATED)
            compiled += 1
    return compiled, skipped


def main(argv: list[str]) -> int:
    package = Path(argv[0])
    compiled, skipped = add_bytecode(package)
    print(
        f"{package}: bytecode for {compiled} modules ({skipped} not Python 3.11, left as source), "
        f"{package.stat().st_size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
