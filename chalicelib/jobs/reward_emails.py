"""The reward email consumer: SQS messages from `mail.outbox` in, emails through SES out."""

from __future__ import annotations

from chalice import Blueprint

jobs = Blueprint(__name__)
