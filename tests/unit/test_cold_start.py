"""What keeps Lambda's import of `app` short: the collector paused, no model built at import."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from chalicelib.cold_start import loading
from tests.fixtures.aws import in_fresh_interpreter


@pytest.fixture
def collector() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    (gc.enable if enabled else gc.disable)()


def test_the_collector_is_paused_while_loading_and_what_loaded_is_frozen(collector: None) -> None:
    gc.enable()
    frozen = gc.get_freeze_count()
    with loading():
        assert not gc.isenabled()
        made = [[object()] for _ in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(made)


def test_a_collector_disabled_before_stays_disabled(collector: None) -> None:
    gc.disable()
    with loading():
        pass
    assert not gc.isenabled()


def test_the_collector_comes_back_when_an_import_fails(collector: None) -> None:
    gc.enable()
    with pytest.raises(ImportError), loading():
        import chalicelib.no_such_module  # noqa: F401
    assert gc.isenabled()


def test_importing_the_app_and_its_faces_builds_no_model_of_the_service() -> None:
    # A fresh interpreter, as Lambda's: every model's validator is left for its first use.
    script = (
        "import gc, json, pydantic, app\n"
        "from chalicelib.api import faces\n"
        "faces.route_table()  # every face imported\n"
        "def below(cls):\n"
        "    for sub in cls.__subclasses__():\n"
        "        yield sub\n"
        "        yield from below(sub)\n"
        "built = {f'{m.__module__}.{m.__qualname__}' for m in below(pydantic.BaseModel)\n"
        "         if m.__module__.startswith('chalicelib') and m.__pydantic_complete__}\n"
        "print(json.dumps({'built': sorted(built), 'frozen': gc.get_freeze_count()}))\n"
    )
    answer = in_fresh_interpreter(script)
    # Generic bases with a type variable are built by pydantic itself; they validate nothing.
    assert [name for name in answer["built"] if "[~" not in name and "Deferred" not in name] == []
    assert answer["frozen"] > 10_000  # the import ran inside `loading()`
