"""Pure rules of the accounts domain: token format and hashing."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "pulso_"  # noqa: S105 - a public prefix, not a secret


def new_token() -> str:
    """A fresh API token: a recognisable prefix and 256 bits of randomness."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # API tokens carry 256 random bits, so a fast hash is safe here (unlike passwords, which use argon2).
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    return token[: len(TOKEN_PREFIX) + 6]
