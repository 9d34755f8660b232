"""`storage.tables.TableModel`: every table model talks through the one process-wide client."""

from __future__ import annotations

from chalicelib.storage import base
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.ledger import LedgerEntryModel


def test_every_table_shares_the_connection_transactions_use() -> None:
    base.bind_models(force=True)

    connections = {
        id(model._get_connection().connection)
        for model in (CustomerModel, CampaignModel, LedgerEntryModel)
    }

    assert connections == {id(base.connection())}


def test_a_rebind_gives_every_table_a_fresh_shared_connection() -> None:
    base.bind_models(force=True)
    before = CustomerModel._get_connection().connection

    base.bind_models(force=True)

    after = CustomerModel._get_connection().connection
    assert after is not before
    assert after is base.connection() is CampaignModel._get_connection().connection
