"""`make bench`: how close each operation is to its floor, measured side by side (issue 9).

Run as `python -m bench`. It starts its own serialized embedded AWS (`local.aws_server`, a
subprocess on a free port) with every resource of `infra/resources.json`, measures the six
sections of the issue, the point batches' (issue 19, `bench/batches.py`) and the event
outbox's (issue 23, `bench/outbox.py`), prints one table
and writes `bench/results.json`. Every figure is a ratio of two things measured in the same
run; absolute times are shown for reference only.
"""
