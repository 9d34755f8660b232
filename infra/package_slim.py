"""Drops from a deployment package the files no function ever loads (run by `make package`).

`python -m infra.package_slim build/deployment.zip` rewrites the zip without:

- botocore's models of the services the code never calls (botocore ships every AWS service,
  some 20 MB; the functions call `SERVICES` only, each through `chalicelib.aws` or PynamoDB);
- pycountry's translations (`locales/`: the service checks ISO codes, it never names countries
  in another language);
- the source maps of the Swagger UI assets behind `/docs` (browsers fetch them only with their
  developer tools open).

What stays is the pinned botocore itself, so the functions run the version the tests ran.
"""

from __future__ import annotations

import sys
from pathlib import Path

from infra.package_zip import copy_entry, rewritten

# Every service a function calls: chalicelib.aws's clients (DynamoDB, SQS, SES, S3, SSM), and
# DynamoDB for PynamoDB (the idempotency records too). A test holds this to the code.
SERVICES = frozenset({"dynamodb", "s3", "ses", "sqs", "ssm"})
BOTOCORE_DATA = "botocore/data/"


def unused(name: str) -> bool:
    """Whether the package entry `name` is one that nothing in the functions reads."""
    if name.startswith(BOTOCORE_DATA):
        service = name[len(BOTOCORE_DATA) :].split("/", 1)
        # Files directly under data/ (endpoints, partitions, retry rules) serve every client.
        return len(service) == 2 and service[0] not in SERVICES
    if name.startswith("pycountry/locales/"):
        return True
    return name.startswith("swagger_ui_bundle/") and name.endswith(".map")


def slim(package: Path) -> tuple[int, int]:
    """Rewrites `package` without its unused entries; its size before and after, in bytes."""
    before = package.stat().st_size
    with rewritten(package) as (source, target):
        for info in source.infolist():
            if not unused(info.filename):
                copy_entry(source, target, info)
    return before, package.stat().st_size


def main(argv: list[str]) -> int:
    package = Path(argv[0])
    before, after = slim(package)
    print(f"{package}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB without unused files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
