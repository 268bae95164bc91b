"""Pure rules of notifications: retry back-off, webhook signatures and bodies, what an endpoint accepts.

No session, no clock, no network: the time is always passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(hours=1)
SIGNATURE_TOLERANCE = timedelta(minutes=5)
MAX_URL_LENGTH = 2000
MAX_ERROR_LENGTH = 2000


# --------------------------------------------------------------------------- retries


def backoff(attempts: int, *, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 10 s, 20 s, 40 s … doubling, at most an hour."""
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    # Past 2**20 the cap has long been reached; stop doubling before the number grows without need.
    wait: timedelta = base * (2 ** min(attempts - 1, 20))
    return min(cap, wait)


def retry_delay(attempts: int, max_attempts: int) -> timedelta | None:
    """How long to wait before the next attempt, or None when `attempts` used them all (a dead letter)."""
    if attempts >= max_attempts:
        return None
    return backoff(attempts)


# --------------------------------------------------------------------------- webhook signatures


def _unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware UTC instant")
    return int(moment.timestamp())


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, now: datetime) -> str:
    """The Pulso-Signature header of `body`: "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>"."""
    timestamp = _unix(now)
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: datetime, tolerance: timedelta = SIGNATURE_TOLERANCE) -> bool:
    """True when `header` signs `body` with `secret` at a time within `tolerance` of `now`.

    What a receiver runs: the timestamp is inside the signature, so an old delivery replayed by
    someone who captured it fails once the tolerance has passed. Several v1 values (a secret being
    rotated) are accepted if any one matches.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs(_unix(now) - timestamp) > tolerance.total_seconds():
        return False
    expected = _mac(secret, timestamp, body)
    # compare_digest on every candidate: the time taken says nothing about which one matched.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(matches)


def iso_utc(moment: datetime) -> str:
    """An instant as ISO 8601 in UTC with a Z: 2026-12-04T23:00:00.123456Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def webhook_body(notification_id: int, event: str, key: str, created_at: datetime, data: Mapping[str, Any]) -> str:
    """The JSON a webhook receives; built once, stored, and sent byte for byte on every attempt."""
    document = {"id": notification_id, "event": event, "key": key, "created_at": iso_utc(created_at), "data": data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def webhook_headers(notification_id: int, event: str, signature: str) -> dict[str, str]:
    """The headers of a webhook call; receivers de-duplicate by Pulso-Delivery (a retry repeats it)."""
    return {
        "Content-Type": "application/json",
        "Pulso-Event": event,
        "Pulso-Delivery": str(notification_id),
        "Pulso-Signature": signature,
    }


def is_success(status_code: int) -> bool:
    """Only a 2xx answer counts as delivered (a redirect is not followed: it is a failure)."""
    return 200 <= status_code < 300


# --------------------------------------------------------------------------- endpoints and recipients


def wants(subscribed: Iterable[str], event: str) -> bool:
    """Does an endpoint subscribed to these events receive `event`? An empty list means every event."""
    events = list(subscribed)
    return not events or event in events


def check_webhook_url(url: str) -> str:
    """The URL, trimmed, if it is an absolute http or https URL with a host; ValueError otherwise."""
    value = url.strip()
    if not value:
        raise ValueError("url: give the receiver's URL / url: indique la URL del receptor")
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"url: at most {MAX_URL_LENGTH} characters / url: como máximo {MAX_URL_LENGTH} caracteres")
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("url: no spaces or control characters / url: sin espacios ni caracteres de control")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("url: use an http:// or https:// URL / url: use una URL http:// o https://")
    try:
        port_ok = parts.hostname is not None and (parts.port is None or parts.port > 0)
    except ValueError:
        port_ok = False
    if not port_ok:
        raise ValueError("url: the URL has no valid host / url: la URL no tiene un servidor válido")
    return value


def check_events(events: Iterable[str], known: Iterable[str]) -> list[str]:
    """The events, without repeats and in the order of `known`; ValueError naming any unknown one."""
    chosen = {e.strip() for e in events if e.strip()}
    order = list(known)
    unknown = sorted(chosen - set(order))
    if unknown:
        names = ", ".join(unknown)
        raise ValueError(f"events: unknown {names} / events: no existen {names}")
    return [e for e in order if e in chosen]


# local@domain: no spaces, brackets or separators (a header injection or a list); a domain without a
# dot is allowed, as `pulso init`'s admin@localhost is a real address on a test server.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\".][^@\s<>,;\"]*$")


def check_address(address: str) -> str:
    """An e-mail address, trimmed, if it looks like one (local@domain); ValueError otherwise."""
    value = address.strip()
    if len(value) > 320 or not _ADDRESS.match(value):
        raise ValueError(
            f"address: {value!r} is not an e-mail address / address: {value!r} no es una dirección de correo"
        )
    return value


def one_line(text: str, limit: int = 998) -> str:
    """A header value (an e-mail's subject): whitespace collapsed, no line breaks, at most `limit` characters."""
    return " ".join(text.split())[:limit]


def error_text(message: str) -> str:
    """An error as stored on the row, cut short: a receiver's error page can be long."""
    message = message.strip() or "unknown error"
    return message if len(message) <= MAX_ERROR_LENGTH else message[: MAX_ERROR_LENGTH - 1] + "…"
