"""The pure rules: retry back-off, webhook signatures, URLs, events and addresses."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from pulso.notifications import logic

NOW = datetime(2026, 12, 4, 23, 0, 0, tzinfo=UTC)
SECRET = "whsec_test-secret"


def test_backoff_doubles_from_ten_seconds_and_stops_at_an_hour() -> None:
    waits = [logic.backoff(n).total_seconds() for n in range(1, 12)]
    assert waits == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
    assert logic.backoff(10_000) == timedelta(hours=1)
    with pytest.raises(ValueError, match="from 1"):
        logic.backoff(0)


def test_retry_delay_gives_up_after_the_last_attempt() -> None:
    assert logic.retry_delay(1, 10) == timedelta(seconds=10)
    assert logic.retry_delay(9, 10) == timedelta(seconds=2560)
    assert logic.retry_delay(10, 10) is None
    assert logic.retry_delay(1, 1) is None


def test_a_signature_is_stripe_style_hmac_of_timestamp_dot_body() -> None:
    body = b'{"id":1}'
    header = logic.sign(SECRET, body, NOW)
    timestamp = int(NOW.timestamp())
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert header == f"t={timestamp},v1={expected}"
    assert logic.verify(SECRET, header, body, NOW)
    assert logic.verify(SECRET, header, body, NOW + timedelta(minutes=4))


def test_verify_refuses_a_tampered_body_a_wrong_secret_and_an_old_or_future_timestamp() -> None:
    body = b'{"id":1,"event":"case.opened"}'
    header = logic.sign(SECRET, body, NOW)
    assert not logic.verify(SECRET, header, body.replace(b"opened", b"closed"), NOW)
    assert not logic.verify("whsec_other", header, body, NOW)
    assert not logic.verify(SECRET, header, body, NOW + timedelta(minutes=6))
    assert not logic.verify(SECRET, header, body, NOW - timedelta(minutes=6))
    assert logic.verify(SECRET, header, body, NOW + timedelta(minutes=6), tolerance=timedelta(minutes=10))
    # The timestamp is signed: moving it to look fresh breaks the signature.
    later = int((NOW + timedelta(hours=1)).timestamp())
    moved = header.replace(f"t={int(NOW.timestamp())}", f"t={later}")
    assert not logic.verify(SECRET, moved, body, NOW + timedelta(hours=1))


@pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "v1=00", "t=1764889200", "t=1764889200,v1="])
def test_verify_refuses_malformed_headers(header: str) -> None:
    assert not logic.verify(SECRET, header, b"{}", NOW)


def test_verify_accepts_any_matching_v1_while_a_secret_rotates() -> None:
    body = b"{}"
    header = logic.sign(SECRET, body, NOW)
    timestamp, mac = header.split(",")
    assert logic.verify(SECRET, f"{timestamp},v1={'0' * 64},{mac}", body, NOW)


def test_the_webhook_body_is_the_documented_json() -> None:
    created = datetime(2026, 12, 4, 23, 0, 1, 250000, tzinfo=UTC)
    body = logic.webhook_body(7, "case.opened", "case:42", created, {"case": 42, "nombre": "Peña"})
    assert json.loads(body) == {
        "id": 7,
        "event": "case.opened",
        "key": "case:42",
        "created_at": "2026-12-04T23:00:01.250000Z",
        "data": {"case": 42, "nombre": "Peña"},
    }
    assert "Peña" in body  # UTF-8, not \\u escapes
    headers = logic.webhook_headers(7, "case.opened", "t=1,v1=ab")
    assert headers == {
        "Content-Type": "application/json",
        "Pulso-Event": "case.opened",
        "Pulso-Delivery": "7",
        "Pulso-Signature": "t=1,v1=ab",
    }


def test_only_2xx_is_a_success() -> None:
    assert [logic.is_success(c) for c in (200, 201, 204, 299)] == [True] * 4
    assert [logic.is_success(c) for c in (199, 301, 302, 400, 404, 500, 503)] == [False] * 7


def test_an_endpoint_without_events_receives_every_event() -> None:
    assert logic.wants([], "case.opened")
    assert logic.wants(["case.opened"], "case.opened")
    assert not logic.wants(["case.resolved"], "case.opened")


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/pulso", "http://127.0.0.1:8080/in", "  https://example.com  ", "HTTPS://x.io"]
)
def test_http_and_https_urls_are_accepted(url: str) -> None:
    assert logic.check_webhook_url(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://example.com/x",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "example.com/hook",
        "https://",
        "https://exa mple.com",
        "https://example.com:0/x",
        "https://example.com:99999/x",
        "https://example.com/\nHost: evil",
        "https://example.com/" + "a" * 2000,
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"^url: "):
        logic.check_webhook_url(url)


def test_events_are_checked_against_the_known_ones_and_kept_in_their_order() -> None:
    known = ["case.opened", "case.assigned", "case.resolved"]
    assert logic.check_events(["case.resolved", "case.opened", "case.opened", " "], known) == [
        "case.opened",
        "case.resolved",
    ]
    with pytest.raises(ValueError, match=r"case\.deleted"):
        logic.check_events(["case.deleted"], known)


def test_addresses() -> None:
    assert logic.check_address(" ana@example.com ") == "ana@example.com"
    assert logic.check_address("admin@localhost") == "admin@localhost"
    for bad in (
        "ana",
        "ana@",
        "@example.com",
        "ana@.com",
        "a b@example.com",
        "a@b@c.com",
        "ana@example.com\nBcc: x@y.z",
    ):
        with pytest.raises(ValueError, match=r"^address: "):
            logic.check_address(bad)


def test_header_values_lose_their_line_breaks_and_errors_are_cut() -> None:
    assert logic.one_line("Caso  abierto\r\nBcc: x@y.z") == "Caso abierto Bcc: x@y.z"
    assert len(logic.error_text("x" * 5000)) == logic.MAX_ERROR_LENGTH
    assert logic.error_text("  ") == "unknown error"
