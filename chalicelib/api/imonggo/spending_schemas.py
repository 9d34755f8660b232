"""Answers of the Imonggo reward API (chalicelib/api/imonggo/spending.py): a spend's `<hash>`,
in XML or JSON, written by `contract.render` (decimals `type="decimal"` in XML)."""

from typing import ClassVar

from pydantic import ConfigDict, Field

from chalicelib.api.schemas import Amount, ResponseModel


class PointsSpent(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "xml": {"name": "hash"},
            "examples": [
                {"points-spent": 2000.0, "amount-spent": 10.0, "points-available": 28511.0}
            ],
        }
    )
    xml_typed: ClassVar[bool] = True  # the document's `<hash>` marks its decimals

    points_spent: Amount = Field(alias="points-spent", description="`amount` times the ratio.")
    amount_spent: Amount = Field(alias="amount-spent")
    points_available: Amount = Field(
        alias="points-available", description="The balance after the spend."
    )
