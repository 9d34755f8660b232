"""`chalicelib.mail` sits under the domain: it imports storage, config and AWS, never the
domain, the API or the jobs that use it (the loop "mail imports the domain that imports mail"
stays broken)."""

import ast
from pathlib import Path

MAIL = Path(__file__).resolve().parents[2] / "chalicelib" / "mail"
ABOVE = ("chalicelib.domain", "chalicelib.api", "chalicelib.jobs")


def _imports(source: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_mail_imports_nothing_above_it() -> None:
    found = {
        f"{source.name}: {name}"
        for source in sorted(MAIL.glob("*.py"))
        for name in _imports(source)
        if name.startswith(ABOVE)
    }
    assert found == set()
