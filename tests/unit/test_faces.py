"""The faces on the app (chalicelib/api/faces.py): the route table, and loading on first use."""

from __future__ import annotations

import json

import pytest

from chalicelib.api import faces
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from tests.fixtures.aws import in_fresh_interpreter


def test_the_route_table_is_what_the_faces_declare() -> None:
    kept = json.loads(faces.ROUTE_TABLE.read_text(encoding="utf-8"))
    assert kept == faces.route_table(), "chalicelib/api/routes.json is stale: run `make routes`"


def test_the_app_has_every_route_as_its_face_declares_it() -> None:
    # Name, content types and docstring: what `chalice package` writes for API Gateway.
    from app import app

    table = {(r["path"], r["method"]): r for r in faces.route_table()}
    served = {
        (path, method): (entry.view_name, entry.content_types, entry.view_function.__doc__)
        for path, methods in app.routes.items()
        for method, entry in methods.items()
    }
    assert served == {key: (r["name"], r["content_types"], r["doc"]) for key, r in table.items()}
    assert any(doc for _, _, doc in served.values())


def test_importing_the_app_loads_no_face_and_a_request_loads_only_its_own() -> None:
    script = (
        "import json, sys\n"
        "from app import app\n"
        "from chalice.test import Client\n"
        "from chalicelib.api.faces import FACES\n"
        "loaded = lambda: [face for face in FACES if face in sys.modules]\n"
        "before = loaded()\n"
        "work = ['chalicelib.domain.' + name for name in ('claims', 'bought', 'deliveries')]\n"
        "jobs_work = [module for module in work if module in sys.modules]\n"
        "status = Client(app).http.get('/docs').status_code\n"
        "print(json.dumps({'before': before, 'jobs_work': jobs_work, 'after': loaded(),\n"
        "                  'status': status}))\n"
    )
    answer = in_fresh_interpreter(script)
    assert answer == {
        "before": [],
        "jobs_work": [],  # the jobs import their domain modules when they run
        "after": ["chalicelib.api.admin.docs"],
        "status": 200,
    }


def test_a_stand_in_gives_its_face_s_route_doc() -> None:
    from app import app

    stand_in = app.routes["/api/v1/points"]["POST"].view_function
    assert stand_in.route_doc.summary.startswith("Point claims request")
    assert stand_in.route_doc.routes is faces.routes_of("chalicelib.api.coggins.claims")


def test_a_face_serving_no_app_says_so() -> None:
    routes = Routes("tests.unserved")

    @routes.route("/unserved")
    def unserved(request: ApiRequest) -> None:
        return None

    with pytest.raises(RuntimeError, match="serves no app"):
        routes.view("/unserved", "GET")()
