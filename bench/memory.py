"""Section 6: memory, the peak RSS of a Lambda-like process serving a 1,000-recipient bulk
request, against the function's configured memory; and the zipped deployment package's size
against Lambda's 50 MB limit for a directly uploaded zip.

The process (`python -m bench.memory CAMPAIGN PASSCODE`) imports the app, serves one
`POST /api/multi_reward_urls` of 1,000 new recipients through `chalice.test.Client`, and
reports its peak resident set size.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from bench.calls import people
from bench.stack import PASSCODE, REPO_ROOT, Stack, chalice_config, child_answer
from bench.stats import Figure

PACKAGE = Path("build") / "deployment.zip"
ZIP_LIMIT_MB = 50.0
RECIPIENTS = 1000


def main() -> None:
    from chalice.test import Client

    from app import app

    campaign_id, passcode = sys.argv[1], sys.argv[2]
    body = json.dumps({"recipients": people(RECIPIENTS)})
    headers = {"X-Passcode": passcode, "Content-Type": "application/json"}
    with Client(app) as client:
        answer = client.http.post(
            f"/api/multi_reward_urls/{campaign_id}", headers=headers, body=body
        )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"status": answer.status_code, "peak_mb": peak_kb / 1024}))


def lambda_memory_mb() -> float:
    return float(chalice_config().get("lambda_memory_size", 128))


def measure(stack: Stack) -> list[Figure]:
    answer = child_answer(
        "bench.memory", [stack.campaign_id, PASSCODE], "bulk request in the Lambda-like process"
    )
    configured = lambda_memory_mb()
    peak = float(answer["peak_mb"])
    figures = [
        Figure(
            "6 memory",
            "peak RSS / Lambda memory",
            peak / configured,
            "<= 1",
            f"{peak:.0f} MB of {configured:.0f} MB serving {RECIPIENTS:,} recipients",
        )
    ]
    package = REPO_ROOT / PACKAGE
    if package.exists():
        size = package.stat().st_size / (1024 * 1024)
        figures.append(
            Figure(
                "6 memory",
                "deployment.zip / 50 MB",
                size / ZIP_LIMIT_MB,
                "<= 1",
                f"{size:.1f} MB zipped ({PACKAGE})",
            )
        )
    else:
        figures.append(
            Figure("6 memory", "deployment.zip", 0.0, "info", f"no {PACKAGE}: run make package")
        )
    return figures


if __name__ == "__main__":
    main()
