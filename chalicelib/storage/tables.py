"""`TableModel`: the base of every table model, so that all tables share one DynamoDB client.

PynamoDB gives each model class its own connection, and each connection its own botocore
session and client. Making one loads botocore's service and endpoint data (hundreds of
milliseconds), so a process paid that again for the first use of every table: a cold start
touching three tables made three clients. Here each model's table connection is pointed at the
process-wide connection of `storage.base.connection()` (the one transactions use), which holds
every table's schema and makes its client once. Re-binding (`bind_models`) still gives fresh
connections, since both the model's and the shared one are dropped.

A `save`, `update` or `delete` whose condition refused raises `errors.ConditionFailedError`,
so no caller reads DynamoDB's error code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from pynamodb.connection import TableConnection
from pynamodb.exceptions import PynamoDBConnectionError
from pynamodb.models import Model

from chalicelib.storage.base import connection
from chalicelib.storage.errors import ConditionFailedError


class TableModel(Model):
    """A PynamoDB model whose operations go through the process-wide connection."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table_connection = super()._get_connection()
        shared = connection()
        if table_connection.connection is not shared:
            schema = table_connection.connection.get_meta_table(cls.Meta.table_name)
            with contextlib.suppress(ValueError):  # the shared connection knows it already
                shared.add_meta_table(schema)
            table_connection.connection = shared
        return table_connection

    def save(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        with _refusal_as_error():
            return super().save(*args, **kwargs)

    def update(self, *args: Any, **kwargs: Any) -> Any:
        with _refusal_as_error():
            return super().update(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        with _refusal_as_error():
            return super().delete(*args, **kwargs)


@contextlib.contextmanager
def _refusal_as_error() -> Iterator[None]:
    try:
        yield
    except PynamoDBConnectionError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise ConditionFailedError(error.msg, error.cause) from error
