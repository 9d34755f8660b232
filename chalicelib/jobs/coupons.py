"""Scheduled expiry of bought coupons past their validity."""

from __future__ import annotations

from chalice import Blueprint

jobs = Blueprint(__name__)
