"""Operator commands against whichever AWS the environment points at.

python -m chalicelib.cli create-store CODE [--currency EUR] [--ratio 200] ...
python -m chalicelib.cli create-api-key CODE [--label LABEL]      (prints the key once)
python -m chalicelib.cli list-api-keys CODE
python -m chalicelib.cli revoke-api-key CODE KEY_ID
python -m chalicelib.cli create-user CODE ROLE USERNAME           (password from stdin/env)
python -m chalicelib.cli migrate-passcodes CODE                  (passcodes keyed by store, once)
python -m chalicelib.cli number-customers CODE                  (Imonggo integer ids, once)
python -m chalicelib.cli count-audiences CODE                   (levels' and targets' counts, once)
python -m chalicelib.cli migrate-batches CODE                   (balances from before batches, once)
python -m chalicelib.cli seed-demo                               (what `make run` does)
python -m chalicelib.cli jobs follow CODE JOB_ID                 (a bulk job's progress bar)

With neither AWS_ENDPOINT_URL nor REWARDS_STAGE (other than `local`) in the environment, the
commands go to the stack `make run` is serving, found in its data folder (REWARDS_DATA_DIR,
default .local/stack.json); with none running they say so and exit with status 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import EndpointConnectionError

from chalicelib.config import reset_settings
from chalicelib.domain.access import auth, stores
from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import campaigns, entries, targeting
from chalicelib.domain.catalog.campaign_form import read_campaign
from chalicelib.domain.customers import records
from chalicelib.domain.errors import RewardsError
from chalicelib.domain.points import batches, ledger
from chalicelib.domain.rewards import issuing

DEMO_CAMPAIGN_ID = "demo-welcome-gift"
DEMO_COUPONS = 100
DEMO_CUSTOMER_POINTS = 500
LOCAL_STACK_FILE = "stack.json"  # written by `make run` (local/run.py) while it serves
NO_STACK_STATUS = 2


class NoLocalStack(Exception):
    """The environment names no AWS and no local stack is serving."""


def local_stack_file() -> Path:
    """Where `make run` says which ports it serves on."""
    data_dir = os.environ.get("REWARDS_DATA_DIR") or Path(__file__).resolve().parents[1] / ".local"
    return Path(data_dir) / LOCAL_STACK_FILE


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 1):
            return True
    except OSError:
        return False


def reach_local_stack() -> str | None:
    """Point this process at the stack `make run` serves, unless the environment names an AWS
    (AWS_ENDPOINT_URL, or a REWARDS_STAGE other than `local`); the endpoint used, if any."""
    env = os.environ
    if env.get("AWS_ENDPOINT_URL") or env.get("REWARDS_STAGE", "local") != "local":
        return None
    path = local_stack_file()
    start = "start it with `make run`, or set AWS_ENDPOINT_URL or REWARDS_STAGE"
    try:
        stack = json.loads(path.read_text())
        environment = {str(k): str(v) for k, v in stack["environment"].items()}
        endpoint = environment["AWS_ENDPOINT_URL"]
    except FileNotFoundError:
        raise NoLocalStack(f"no local stack is running ({path} not found); {start}") from None
    except (OSError, ValueError, KeyError, AttributeError) as error:
        raise NoLocalStack(f"{path} is unreadable ({error}); {start}") from None
    if not _answers(endpoint):
        raise NoLocalStack(f"the local stack of {path} is not answering on {endpoint}; {start}")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):  # real credentials have no place there
        env.pop(name, None)
    env.update(environment)
    reset_settings()
    from chalicelib.storage.base import bind_models

    bind_models()  # the models were bound to the settings read at import
    return endpoint


def _unreachable(error: BaseException) -> EndpointConnectionError | None:
    """The connection failure behind `error` (PynamoDB wraps botocore's), if that is what it is."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, EndpointConnectionError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _demo_campaign() -> dict[str, Any]:
    return {
        "campaign": {
            "reward": "gift_code",
            "translations": {
                "en": {
                    "name": "Welcome gift",
                    "shortDescription": "A **10% discount** on your next order.",
                    "conditionsDescription": "One code per order.",
                    "usageInstruction": "Enter the code at checkout.",
                    "brandDescription": "The demo store.",
                }
            },
            "active": True,
            "costInPoints": 100,
            "unlimited": True,
            "daysInactive": 0,
            "daysValid": 30,
            "campaignVisibility": {"allTimeVisible": True},
            "campaignActivity": {"allTimeActive": True},
            "coupons": [f"WELCOME-{n:04}" for n in range(1, DEMO_COUPONS + 1)],
        }
    }


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str


def seed_demo(
    store_code: str,
    api_key: str,
    admin_email: str,
    admin_password: str,
    passcode: str | None = None,
    seller: DemoLogin | None = None,
    customer: DemoLogin | None = None,
    sandbox_passcode: str | None = None,
) -> None:
    """Create the demo store, its API key, admin user and campaign unless they exist
    (idempotent); with `passcode`, the campaign's issuing passcode, unless it has one: a
    passcode rotated since the first run stays rotated. With `seller` and `customer`, those
    logins too (their passwords set each time, as the admin's), the customer with
    DEMO_CUSTOMER_POINTS granted through the ledger once, when the customer is made. With
    `sandbox_passcode`, the campaign's sandbox passcode, as `passcode`."""
    stores.create_store(store_code, name="Demo store", exist_ok=True)
    auth.ensure_api_key(store_code, api_key, label="demo")
    auth.ensure_user(store_code, Role.ADMIN, admin_email, admin_password)
    if seller is not None:
        auth.ensure_user(store_code, Role.SELLER, seller.email, seller.password)
    if customer is not None:
        customer_id = _demo_customer(store_code, customer.email)
        auth.ensure_user(store_code, Role.CUSTOMER, customer.email, customer.password, customer_id)
    try:
        campaigns.get_campaign(store_code, DEMO_CAMPAIGN_ID)
    except campaigns.CampaignNotFoundError:
        entries.create_campaign(
            store_code, read_campaign(_demo_campaign()), campaign_id=DEMO_CAMPAIGN_ID
        )
        # Its Mokugift queries answer anyone, as the original's did (until an admin stops it).
        issuing.set_public_queries(store_code, DEMO_CAMPAIGN_ID, lambda: True)
    auth.migrate_passcodes(store_code)  # a state folder from before passcodes had a store
    if passcode:
        auth.ensure_passcode(store_code, DEMO_CAMPAIGN_ID, passcode)
    if sandbox_passcode:
        auth.ensure_passcode(store_code, DEMO_CAMPAIGN_ID, sandbox_passcode, sandbox=True)


def _demo_customer(store_code: str, email: str) -> str:
    """The demo customer's id: made with its points in one ledger posting (its first entry),
    or found by its email, so a restart grants nothing again."""
    found = records.find_by_email(store_code, email, consistent=True)
    if found is not None:
        return found.customer_id
    made = records.new_customer(store_code, email, firstname="Demo", surname="Customer")
    grant = ledger.Posting(
        store_code,
        made.customer_id,
        DEMO_CUSTOMER_POINTS,
        ledger.EntryKind.ADJUST,
        reference="demo-seed",
        reason="Demo balance",
        actor="cli:seed-demo",
    )
    try:
        ledger.post(grant, new_customer=made)
    except ledger.CustomerExistsError:  # another seeding made it meanwhile: that one stands
        found = records.find_by_email(store_code, email, consistent=True)
        if found is None:
            raise
        return found.customer_id
    return made.customer_id


DEMO_LOGINS = {
    "SELLER": DemoLogin("seller@example.com", "seller123"),
    "CUSTOMER": DemoLogin("customer@example.com", "customer123"),
}


def demo_login(role: str) -> DemoLogin:
    """REWARDS_DEMO_<ROLE>_EMAIL and _PASSWORD, else the README's defaults (as the admin's)."""
    default = DEMO_LOGINS[role]
    return DemoLogin(
        os.environ.get(f"REWARDS_DEMO_{role}_EMAIL") or default.email,
        os.environ.get(f"REWARDS_DEMO_{role}_PASSWORD") or default.password,
    )


def _password(args: argparse.Namespace) -> str:
    return os.environ.get("REWARDS_USER_PASSWORD") or getpass.getpass("Password: ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    store = commands.add_parser("create-store", help="create a store (tenant)")
    store.add_argument("store_code")
    store.add_argument("--name")
    store.add_argument("--currency")
    store.add_argument("--ratio", type=Decimal, help="default point-to-amount ratio")
    store.add_argument("--claim-expiry-days", type=int)
    store.add_argument(
        "--points-lifetime-days", type=int, help="days credited points last (default: forever)"
    )
    store.add_argument("--sender", help="email sender address")
    store.add_argument("--base-url", help="public base URL for links")
    store.add_argument("--country", help="default ISO 3166-1 alpha-2 country code")

    key = commands.add_parser("create-api-key", help="make a store API key (shown once)")
    key.add_argument("store_code")
    key.add_argument("--label")

    keys = commands.add_parser("list-api-keys", help="list a store's API keys (ids only)")
    keys.add_argument("store_code")

    revoke = commands.add_parser("revoke-api-key", help="revoke an API key by its id")
    revoke.add_argument("store_code")
    revoke.add_argument("key_id")

    user = commands.add_parser("create-user", help="create an admin, seller or customer login")
    user.add_argument("store_code")
    user.add_argument("role", choices=[role.value for role in auth.USER_ROLES])
    user.add_argument("username")
    user.add_argument("--subject", help="customer id (customer) or seller id")

    migrate = commands.add_parser(
        "migrate-passcodes", help="key a store's passcodes by store and campaign (once)"
    )
    migrate.add_argument("store_code")

    number = commands.add_parser(
        "number-customers", help="give the store's customers without one an Imonggo integer id"
    )
    number.add_argument("store_code")

    recount = commands.add_parser(
        "count-audiences",
        help="count the customers of the store's levels and campaigns' segment targets (once)",
    )
    recount.add_argument("store_code")

    to_batches = commands.add_parser(
        "migrate-batches", help="move balances from before point batches into batches (once)"
    )
    to_batches.add_argument("store_code")

    demo = commands.add_parser(
        "seed-demo", help="the demo store, key, campaign and logins of `make run`"
    )
    demo.add_argument("--store", default="DEFAULT")

    jobs = commands.add_parser("jobs", help="bulk jobs").add_subparsers(
        dest="jobs_command", required=True
    )
    follow = jobs.add_parser("follow", help="show a bulk job's progress until it ends")
    follow.add_argument("store_code")
    follow.add_argument("job_id")
    follow.add_argument("--interval", type=float, default=1.0, help="seconds between reads")

    args = parser.parse_args(argv)
    try:
        reach_local_stack()
        return _run(args)
    except NoLocalStack as error:
        print(f"error: {error}", file=sys.stderr)
        return NO_STACK_STATUS
    except Exception as error:
        unreachable = _unreachable(error)
        if unreachable is None:
            raise
        print(f"error: cannot reach AWS: {unreachable}", file=sys.stderr)
        return NO_STACK_STATUS


def _run(args: argparse.Namespace) -> int:
    """Runs the command `args` names; its exit status."""
    try:
        if args.command == "create-store":
            created = stores.create_store(
                args.store_code,
                name=args.name,
                currency=args.currency,
                point_to_amount_ratio=args.ratio,
                claim_expiry_days=args.claim_expiry_days,
                email_sender=args.sender,
                public_base_url=args.base_url,
                country_code=args.country,
                points_lifetime_days=args.points_lifetime_days,
            )
            print(f"created store {created.store_code}")
        elif args.command == "create-api-key":
            made = auth.create_api_key(args.store_code, label=args.label)
            print(f"key id: {made.key_id}\napi key (shown once): {made.key}")
        elif args.command == "list-api-keys":
            for item in auth.list_api_keys(args.store_code):
                state = "revoked" if item.revoked else "active"
                print(f"{item.key_id}\t{state}\t{item.label or ''}\t{item.created_at:%Y-%m-%d}")
        elif args.command == "revoke-api-key":
            auth.revoke_api_key(args.store_code, args.key_id)
            print(f"revoked {args.key_id}")
        elif args.command == "create-user":
            subject = auth.create_user(
                args.store_code, Role(args.role), args.username, _password(args), args.subject
            )
            print(f"created {args.role} {args.username} (subject {subject})")
        elif args.command == "migrate-passcodes":
            moved = auth.migrate_passcodes(args.store_code)
            print(f"{moved} passcode(s) of store {args.store_code} migrated")
        elif args.command == "number-customers":
            numbered = records.number_customers(args.store_code)
            print(f"{numbered} customer(s) of store {args.store_code} numbered")
        elif args.command == "migrate-batches":
            moved = batches.migrate_store(args.store_code)
            print(f"{moved} customer(s) of store {args.store_code} moved into batches")
        elif args.command == "count-audiences":
            levels, counted = targeting.recount(args.store_code)
            print(f"{levels} level(s) and {counted} audience(s) of store {args.store_code} counted")
        elif args.command == "seed-demo":
            if not os.environ.get("REWARDS_DEMO_API_KEY"):
                print("error: set REWARDS_DEMO_API_KEY to the demo key", file=sys.stderr)
                return 1
            seed_demo(
                args.store,
                os.environ["REWARDS_DEMO_API_KEY"],
                os.environ.get("REWARDS_DEMO_ADMIN_EMAIL", "admin@example.com"),
                os.environ.get("REWARDS_DEMO_ADMIN_PASSWORD", "admin123"),
                os.environ.get("REWARDS_DEMO_PASSCODE", "demo-passcode"),
                seller=demo_login("SELLER"),
                customer=demo_login("CUSTOMER"),
                sandbox_passcode=os.environ.get(
                    "REWARDS_DEMO_SANDBOX_PASSCODE", "demo-sandbox-passcode"
                ),
            )
            print(f"demo store {args.store} ready")
        elif args.command == "jobs":
            from chalicelib.domain import bulk_jobs
            from chalicelib.job_progress import follow

            def read() -> dict[str, Any]:
                return bulk_jobs.view(bulk_jobs.get_job(args.store_code, args.job_id))

            return follow(read, sys.stdout, args.interval)
    except RewardsError as error:
        print(f"error: {error.message}", file=sys.stderr)
        for field, messages in getattr(error, "errors", {}).items():
            print(f"  {field}: {' '.join(messages)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
