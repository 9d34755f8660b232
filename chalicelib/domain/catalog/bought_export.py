"""The bought list as a CSV file (`GET /campaign/bought/export/csv`), from the same rows as the
JSON list (chalicelib/domain/catalog/bought.py), with its filters.

It streams the list's Query page by page, each page written with one BatchGetItem of its
customers; campaigns are read once for the whole export. Dates are in UTC
(`2019-03-14 10:29:05`); cells are quoted as the document's export (PHP's `fputcsv`) is, and a
value that would start a spreadsheet formula is written as text.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import Any

from chalicelib.domain.catalog.bought import BoughtRow, campaigns_of, now_utc, rows_of
from chalicelib.domain.catalog.bought_query import BoughtQuery, all_bought
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.rewards import RewardModel
from chalicelib.timefmt import SPACED_SECONDS

EXPORT_PAGE_SIZE = 1000  # rewards per Query page and per CSV chunk
# Open Loyalty sends the export as an attachment whose name starts with a configured prefix
# (its own test checks `attachment; filename="<prefix>`) and is made unique per export.
CSV_FILENAME_PREFIX = "campaigns_bought_"
CSV_HEADER = (
    "0.Name",
    "1.Date",
    "2.Cost",
    "3.Tax value",
    "4.email",
    "5.phone",
    "6.Firstname",
    "7.Surname",
    "8.Points balance",
    "9.Is used",
)


class CsvText:
    """CSV rows as text, quoted as the document's export is (PHP's `fputcsv`): besides the
    delimiter, quotes and line breaks, a value with a space or a tab is quoted too.

    The csv module quotes a value holding any character of the line terminator, so the writer
    ends its lines with those two characters first; they are cut off each line it writes.
    """

    QUOTED_TOO = " \t"
    LINE_END = "\r\n"

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._writer = csv.writer(self, lineterminator=self.QUOTED_TOO + self.LINE_END)

    def write(self, line: str) -> None:  # called by the csv writer, once per row
        self._lines.append(line.removesuffix(self.QUOTED_TOO + self.LINE_END) + self.LINE_END)

    def rows(self, rows: Iterable[Iterable[Any]]) -> str:
        self._writer.writerows(rows)
        text = "".join(self._lines)
        self._lines.clear()
        return text


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_LIKE = re.compile(r"^[+-]?[\d\s().-]+$")  # a phone number such as +44 20 7946 0000


def _text_cell(value: str | None) -> str | None:
    """A name or address as a cell a spreadsheet shows as text: one that would start a formula
    (`=HYPERLINK(...)` in a customer's name) is prefixed with a quote, as OWASP advises."""
    if value and value.startswith(FORMULA_STARTS) and not NUMBER_LIKE.match(value):
        return f"'{value}"
    return value


def csv_row(row: BoughtRow) -> tuple[Any, ...]:
    """One row of the list as the export's columns (`CSV_HEADER`)."""
    buyer = row.buyer
    return (
        _text_cell(row.campaign_name),
        row.purchased_at.astimezone(UTC).strftime(SPACED_SECONDS),
        row.cost_in_points,
        "",  # tax value: campaigns carry none
        _text_cell(buyer.email),
        _text_cell(buyer.phone),
        _text_cell(buyer.firstname),
        _text_cell(buyer.surname),
        buyer.points,
        1 if row.used else "",
    )


def _chunks(items: Iterator[RewardModel], size: int) -> Iterator[list[RewardModel]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def csv_filename() -> str:
    """The export's attachment name: the prefix and the UTC time of the export."""
    return f"{CSV_FILENAME_PREFIX}{now_utc().strftime('%Y%m%d_%H%M%S')}.csv"


def export_csv(store_code: str, wanted: BoughtQuery) -> Iterator[str]:
    """The header, then one text chunk per Query page, in purchase order; the list's filters
    apply (the document names `purchasedAtFrom/To`)."""
    text = CsvText()
    yield text.rows([CSV_HEADER])
    found: dict[str, CampaignModel] = {}  # over the whole export
    asked: set[str] = set()
    now = now_utc()
    for chunk in _chunks(all_bought(store_code, wanted, EXPORT_PAGE_SIZE), EXPORT_PAGE_SIZE):
        new = {r.campaign_id for r in chunk} - asked
        found.update(campaigns_of(store_code, new))
        asked |= new
        yield text.rows(csv_row(row) for row in rows_of(store_code, chunk, found, now))
