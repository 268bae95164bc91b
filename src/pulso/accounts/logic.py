"""Pure rules of the accounts domain: token format and hashing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

TOKEN_PREFIX = "pulso_"  # noqa: S105 - a public prefix, not a secret


def new_token() -> str:
    """A fresh API token: a recognisable prefix and 256 bits of randomness."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # API tokens carry 256 random bits, so a fast hash is safe here (unlike passwords, which use argon2).
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    return token[: len(TOKEN_PREFIX) + 6]


# Sign-in throttling (OWASP authentication cheat sheet): after repeated failures for one account or
# from one address, refuse further attempts for a while, doubling the wait, without saying whether
# the account exists.
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)
BASE_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(hours=1)


def locked_until(failures: list[datetime], limit: int, *, now: datetime) -> datetime | None:
    """When sign-in opens again given the failure times (within WINDOW), or None if it is open now."""
    recent = sorted(t for t in failures if now - t <= WINDOW)
    if len(recent) < limit:
        return None
    doublings = len(recent) - limit
    lock = min(BASE_LOCK * (2**doublings), MAX_LOCK)
    until = recent[-1] + lock
    return until if until > now else None


def new_password() -> str:
    """A password to hand out once (16 URL-safe characters, ~96 bits)."""
    return secrets.token_urlsafe(12)
