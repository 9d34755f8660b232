"""The idempotency table, in the layout Powertools' DynamoDB persistence layer writes.

Only its schema is declared here (so it is deployed and bootstrapped like every other table);
records are read and written by `aws_lambda_powertools.utilities.idempotency`.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.storage.base import table
from chalicelib.storage.tables import TableModel


@table("idempotency", ttl_attribute="expiration")
class IdempotencyRecordModel(TableModel):
    class Meta:
        pass

    id = UnicodeAttribute(hash_key=True)
