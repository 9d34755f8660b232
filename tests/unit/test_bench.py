"""The benchmark's own arithmetic and bookkeeping (`bench/`), without running it."""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import bulk, calls, stats
from bench.stack import Call, CallLog, counted, items_read

# What issue 9 asks section 1 to count, by name.
ISSUE_OPERATIONS = {
    "recipient lookup by email",
    "claim create (1)",
    "claim create (1,000)",
    "claim",
    "lookup",
    "instant edit",
    "spend",
    "issue reward (1)",
    "issue reward (1,000)",
    "rewards of a month",
    "campaign list",
    "availability",
    "buy",
    "cashback redeem",
    "expiry job per page",
}


def test_the_minimum_table_covers_every_operation_of_the_issue_and_gives_reasons() -> None:
    assert set(calls.MINIMUMS) == ISSUE_OPERATIONS == set(calls.OPERATIONS)
    for name, minimum in calls.MINIMUMS.items():
        assert minimum.reason.strip(), name
        assert sum(minimum.calls.values()) > 0, name
        assert all(count > 0 for count in minimum.calls.values()), name
    assert set(calls.WARMED_BY.values()) <= set(calls.OPERATIONS)


def test_minimum_names_default_to_dynamodb_and_take_other_services_by_prefix() -> None:
    minimum = calls._minimum("why", GetItem=2, sqs__SendMessageBatch=1)
    assert minimum.calls == Counter({"dynamodb:GetItem": 2, "sqs:SendMessageBatch": 1})


@pytest.mark.parametrize(
    ("samples", "fraction", "expected"),
    [
        ([5.0], 0.5, 5.0),
        ([3.0, 1.0, 2.0], 0.5, 2.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0),  # nearest rank: a value that was measured
        ([float(n) for n in range(1, 101)], 0.95, 95.0),
        ([float(n) for n in range(1, 21)], 0.95, 19.0),
        ([1.0, 2.0], 1.0, 2.0),
    ],
)
def test_percentile_is_the_nearest_rank(samples: list[float], fraction: float, expected: float):
    assert stats.percentile(samples, fraction) == expected


def test_percentile_refuses_nothing_to_rank_and_a_bad_fraction() -> None:
    with pytest.raises(ValueError):
        stats.percentile([], 0.5)
    with pytest.raises(ValueError):
        stats.percentile([1.0], 0)


def test_ratio_against_a_zero_floor() -> None:
    assert stats.ratio(3.0, 2.0) == 1.5
    assert stats.ratio(0.0, 0.0) == 0.0
    assert math.isinf(stats.ratio(1.0, 0.0))


@pytest.mark.parametrize(
    ("value", "target", "verdict"),
    [
        (1.2, "<= 1.2", True),
        (1.21, "<= 1.2", False),
        (0.7, ">= 0.7", True),
        (0.69, ">= 0.7", False),
        (0, "== 0", True),
        (1, "== 0", False),
        (12.0, "info", None),
    ],
)
def test_a_figure_meets_its_target_or_is_for_reference(
    value: float, target: str, verdict: bool | None
) -> None:
    assert stats.Figure("s", "f", value, target).on_target is verdict


def test_the_table_has_a_row_per_figure_and_json_has_no_infinity() -> None:
    figures = [
        stats.Figure("1 AWS calls", "spend", 0, "== 0", "3 calls"),
        stats.Figure("2 overhead", "spend: median", math.inf, "<= 1.2"),
    ]
    lines = stats.table(figures).splitlines()
    assert len(lines) == 2 + len(figures)
    assert "yes" in lines[2] and "NO" in lines[3] and "inf" in lines[3]
    assert json.loads(json.dumps([f.to_json() for f in figures]))[1]["value"] is None


def test_interleaved_runs_each_action_in_turns() -> None:
    order: list[str] = []
    samples = stats.interleaved(
        {"app": lambda: order.append("app"), "floor": lambda: order.append("floor")}, 3
    )
    assert order == ["app", "floor"] * 3
    assert [len(taken) for taken in samples.values()] == [3, 3]


def _model(service: str, operation: str) -> SimpleNamespace:
    return SimpleNamespace(name=operation, service_model=SimpleNamespace(service_name=service))


def test_the_call_log_records_only_inside_a_block_with_items_read() -> None:
    log = CallLog()
    log(_model("dynamodb", "GetItem"), params={"body": b"{}"})
    with log.record() as made:
        log(_model("dynamodb", "Query"), params={"body": b'{"TableName": "t"}'})
        log.answered(_model("dynamodb", "Query"), parsed={"ScannedCount": 21, "Count": 20})
        log(_model("sqs", "SendMessageBatch"), params={"body": b"{}"})
        log.answered(_model("sqs", "SendMessageBatch"), parsed={"Successful": []})
    log(_model("dynamodb", "PutItem"), params={"body": b"{}"})
    assert counted(made) == Counter({"dynamodb:Query": 1, "sqs:SendMessageBatch": 1})
    assert log.read == 21


@pytest.mark.parametrize(
    ("parsed", "expected"),
    [
        ({"Item": {"pk": {"S": "a"}}}, 1),
        ({}, 0),  # GetItem of nothing
        ({"Count": 0, "ScannedCount": 7}, 7),  # a COUNT query still reads what it counts
        ({"Responses": {"a": [{}, {}], "b": [{}]}}, 3),
        (None, 0),
    ],
)
def test_items_read_follow_what_dynamodb_bills(parsed: object, expected: int) -> None:
    assert items_read(parsed) == expected


def test_the_bulk_floor_writes_every_item_the_app_put() -> None:
    batch = {"RequestItems": {"claims": [{"PutRequest": {"Item": {"t": {"S": "1"}}}}]}}
    transaction = {
        "TransactItems": [
            {"Put": {"TableName": "rewards", "Item": {"r": {"S": "1"}}}},
            {"Update": {"TableName": "campaigns", "Key": {"c": {"S": "1"}}}},
        ]
    }
    made = [
        Call("dynamodb", "BatchWriteItem", json.dumps(batch).encode()),
        Call("dynamodb", "TransactWriteItems", json.dumps(transaction).encode()),
    ]
    assert bulk.put_requests(made) == [
        ("claims", {"t": {"S": "1"}}),
        ("rewards", {"r": {"S": "1"}}),
    ]


def test_the_cold_start_side_calls_the_handler_with_an_api_gateway_event(store: str) -> None:
    from bench import cold
    from tests.fixtures.clients import API_KEY

    event = cold._event("GET", f"/api/v1/points/{API_KEY}/email/nobody@example.com/Full")

    assert event["requestContext"]["resourcePath"] == "/api/v1/points/{csapikey}/email/{email}/Full"
    assert event["pathParameters"]["email"] == "nobody@example.com"
    # Answered by the app as Lambda would call it: the key is found, the customer is not.
    assert cold._app_side(event) == 404


def test_a_child_run_gives_its_last_answer_and_refuses_one_that_is_not_200(
    tmp_path: Path,
) -> None:
    from bench.stack import child_answer

    (tmp_path / "child.py").write_text(
        "import json, sys\nprint('noise')\nprint(json.dumps({'status': int(sys.argv[1])}))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}

    assert child_answer("child", ["200"], "child", environment) == {"status": 200}
    with pytest.raises(RuntimeError, match="child: status 500"):
        child_answer("child", ["500"], "child", environment)


def test_benchmark_processes_get_what_every_deployed_function_gets() -> None:
    from bench.stack import ENVIRONMENT, chalice_config, deployed_environment

    deployed = chalice_config()["environment_variables"]
    environment = deployed_environment()
    assert environment["PYDANTIC_DISABLE_PLUGINS"] == deployed["PYDANTIC_DISABLE_PLUGINS"]
    assert {name: environment[name] for name in ENVIRONMENT} == ENVIRONMENT


def test_the_transaction_floor_sends_the_same_items_to_the_floor_tables() -> None:
    condition = {"ConditionExpression": "attribute_not_exists (#0)"}
    body = {
        "TransactItems": [
            {"Put": {"TableName": "bench-rewards", "Item": {"r": {"S": "1"}}, **condition}},
            {"Update": {"TableName": "bench-campaigns", "Key": {"c": {"S": "1"}}}},
        ],
        "ClientRequestToken": "t",
    }
    moved = bulk.on_floor_tables(body, "bench-")
    assert [next(iter(e.values()))["TableName"] for e in moved["TransactItems"]] == [
        f"{bulk.FLOOR_PREFIX}rewards",
        f"{bulk.FLOOR_PREFIX}campaigns",
    ]
    assert moved["TransactItems"][0]["Put"]["Item"] == {"r": {"S": "1"}}
    assert moved["TransactItems"][0]["Put"]["ConditionExpression"] == "attribute_not_exists (#0)"
    assert "ClientRequestToken" not in moved
    assert body["TransactItems"][0]["Put"]["TableName"] == "bench-rewards"  # the app's untouched


def test_sections_are_selected_by_name_in_run_order_and_unknown_ones_refused() -> None:
    from bench import run

    assert run.selected([]) == list(run.SECTIONS)
    assert run.selected(["restart", "install"]) == ["install", "restart"]
    assert [name for name, _, _ in run._sections(None)] == list(run.SECTIONS)
    with pytest.raises(SystemExit):
        run.selected(["nope"])


def test_the_cold_install_starts_from_what_a_clone_has(tmp_path: Path) -> None:
    from bench import install

    install.scratch_copy(tmp_path)

    for name in ("Makefile", "requirements-local.txt", "local/run.py", "app.py"):
        assert (tmp_path / name).is_file(), name
    for name in (".venv", ".local", "bench/results.json"):
        assert not (tmp_path / name).exists(), name
    assert not list(tmp_path.rglob("__pycache__"))


def test_a_started_stack_sees_a_users_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from bench import served

    venv_bin = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", os.pathsep.join([venv_bin, "/usr/bin"]))
    outer = {"AWS_ENDPOINT_URL", "REWARDS_STAGE", "VIRTUAL_ENV", "MAKEFLAGS", "PIP_CACHE_DIR"}
    for name in outer:
        monkeypatch.setenv(name, "x")

    environment = served.user_environment(PIP_NO_CACHE_DIR="1")

    assert environment["PATH"] == "/usr/bin"
    assert environment["PIP_NO_CACHE_DIR"] == "1"
    assert not outer & set(environment)


def test_the_restart_history_is_as_many_recorded_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import restart
    from local import bootstrap
    from local.aws_server import start_in_thread

    recording = tmp_path / "aws-recording.jsonl"
    server = start_in_thread(0, recording)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        bootstrap.create_resources(bootstrap.load_template(), restart.PREFIX)
        before = len(recording.read_text().splitlines())

        restart.make_history(server.url, 200)

        made = len(recording.read_text().splitlines()) - before
        assert 180 <= made <= 200  # a receive that found nothing deletes nothing
    finally:
        server.stop()
