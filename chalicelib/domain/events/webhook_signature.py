"""How a webhook delivery is signed, and the function a receiver checks it with.

`Rewards-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, as
Stripe signs: one `v1` per secret that signs now (two during a rotation's overlap), so a
receiver holding either secret verifies. The time is signed too, so a receiver refuses a
replayed delivery older than its tolerance.

`verify_signature` uses nothing but the standard library (hashlib, hmac, time): the docs
show it as it is, for receivers to copy, and the tests check the service's own deliveries with it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Rewards-Signature"


def signature_header(secrets: list[str], body: bytes, timestamp: int) -> str:
    """The header value for `body` sent at `timestamp`, signed with each of `secrets`."""
    signed = str(timestamp).encode("ascii") + b"." + body
    macs = [hmac.new(s.encode("utf-8"), signed, hashlib.sha256).hexdigest() for s in secrets]
    return ",".join([f"t={timestamp}", *(f"v1={mac}" for mac in macs)])


# --8<-- [start:verify]
def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """Whether `body` was signed with `secret` less than `tolerance` seconds ago."""
    fields = [part.strip().split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in fields if key == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    signed = stamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, value in fields if key == "v1")


# --8<-- [end:verify]
