"""`infra.package_slim` and the load check of `infra.package_check`, on small made-up zips."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from infra import package_check, package_slim

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "dropped"),
    [
        ("botocore/data/ec2/2016-11-15/service-2.json.gz", True),
        ("botocore/data/sagemaker/", True),
        ("botocore/data/dynamodb/2012-08-10/service-2.json.gz", False),
        ("botocore/data/sqs/2012-11-05/service-2.json.gz", False),
        ("botocore/data/endpoints.json", False),
        ("botocore/client.py", False),
        ("pycountry/locales/fr/LC_MESSAGES/iso3166-1.mo", True),
        ("pycountry/databases/iso3166-1.json", False),
        ("swagger_ui_bundle/vendor/swagger-ui-5/swagger-ui-bundle.js.map", True),
        ("swagger_ui_bundle/vendor/swagger-ui-5/swagger-ui-bundle.js", False),
        ("chalicelib/api/admin/docs.py", False),
    ],
)
def test_only_files_no_function_reads_are_dropped(name: str, dropped: bool) -> None:
    assert package_slim.unused(name) is dropped


def test_every_service_the_code_calls_keeps_its_model() -> None:
    sources = "\n".join(path.read_text() for path in (ROOT / "chalicelib").rglob("*.py"))
    called = set(re.findall(r"\bclient\(\"([a-z0-9-]+)\"", sources))

    assert called  # the pattern still finds the clients
    assert called | {"dynamodb"} <= package_slim.SERVICES  # PynamoDB and Powertools: DynamoDB


def test_slimming_rewrites_the_zip_with_the_rest_unchanged(tmp_path: Path) -> None:
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", "app = 1\n")
        archive.writestr("botocore/data/ec2/2016-11-15/service-2.json", "x" * 50_000)
        archive.writestr("botocore/data/s3/2006-03-01/service-2.json", "{}")

    before, after = package_slim.slim(package)

    assert after < before
    with zipfile.ZipFile(package) as archive:
        assert archive.namelist() == ["app.py", "botocore/data/s3/2006-03-01/service-2.json"]
        assert archive.read("app.py") == b"app = 1\n"
    assert [path.name for path in tmp_path.iterdir()] == ["deployment.zip"]


def test_the_load_check_reads_the_package_alone_not_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # where an `app.py` is, which the check must not find
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("chalicelib/__init__.py", "")

    assert package_check.load_error(package) == "ModuleNotFoundError: No module named 'app'"
