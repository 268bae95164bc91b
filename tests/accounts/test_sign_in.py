"""Sign-in: right and wrong passwords, throttling per account and per address, password change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from pulso.accounts import logic
from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.kit.errors import Unauthorized, ValidationFailed

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def test_locked_until_doubles_and_expires() -> None:
    fails = [NOW - timedelta(seconds=50 - i) for i in range(5)]
    until = logic.locked_until(fails, 5, now=NOW)
    assert until == fails[-1] + timedelta(minutes=1)
    assert logic.locked_until(fails, 5, now=fails[-1] + timedelta(minutes=2)) is None
    more = [*fails, NOW - timedelta(seconds=1), NOW]
    assert logic.locked_until(more, 5, now=NOW) == NOW + timedelta(minutes=4)
    old = [NOW - timedelta(hours=1)] * 10
    assert logic.locked_until(old, 5, now=NOW) is None


def _user(session: Session) -> int:
    with session.begin():
        return accounts.create_user(
            session, email="Ana@Example.com", name="Ana", role=Role.CX_MANAGER, password="correcta-123"
        ).id


def _try(
    session: Session, password: str, *, email: str = "ana@example.com", ip: str = "10.0.0.1", now: datetime = NOW
) -> accounts.SignIn:
    with session.begin():
        return accounts.sign_in(session, email=email, password=password, ip=ip, now=now)


def test_right_and_wrong_passwords(session: Session) -> None:
    user_id = _user(session)
    ok = _try(session, "correcta-123", email=" ANA@example.com ")
    assert ok.user is not None
    assert ok.user.id == user_id
    wrong = _try(session, "incorrecta")
    assert wrong.user is None
    assert wrong.retry_after_seconds is None
    unknown = _try(session, "correcta-123", email="nadie@example.com")
    assert unknown.message == wrong.message  # no hint that the account does not exist


def test_an_account_is_locked_after_repeated_failures(session: Session) -> None:
    _user(session)
    for i in range(logic.FAILURES_PER_ACCOUNT):
        assert _try(session, "x", now=NOW + timedelta(seconds=i)).retry_after_seconds is None
    locked = _try(session, "correcta-123", now=NOW + timedelta(seconds=10))
    assert locked.user is None  # even the right password waits
    assert locked.retry_after_seconds is not None
    assert "demasiados intentos" in locked.message
    other_ip = _try(session, "correcta-123", ip="10.0.0.2", now=NOW + timedelta(seconds=11))
    assert other_ip.user is None
    later = _try(session, "correcta-123", now=NOW + timedelta(minutes=2))
    assert later.user is not None


def test_an_address_is_locked_across_accounts(session: Session) -> None:
    _user(session)
    for i in range(logic.FAILURES_PER_ADDRESS):
        _try(session, "x", email=f"u{i}@example.com", now=NOW + timedelta(seconds=i))
    assert _try(session, "correcta-123", now=NOW + timedelta(seconds=30)).retry_after_seconds is not None
    assert _try(session, "correcta-123", ip="10.9.9.9", now=NOW + timedelta(seconds=31)).user is not None


def test_inactive_users_cannot_sign_in(session: Session) -> None:
    user_id = _user(session)
    with session.begin():
        user = session.get(accounts.User, user_id)
        assert user is not None
        user.is_active = False
    assert _try(session, "correcta-123").user is None


def test_change_password(session: Session) -> None:
    user_id = _user(session)
    with session.begin(), pytest.raises(Unauthorized):
        accounts.change_password(session, user_id, current="mala", new="nueva-clave-1")
    with session.begin(), pytest.raises(ValidationFailed):
        accounts.change_password(session, user_id, current="correcta-123", new="corta")
    with session.begin():
        accounts.change_password(session, user_id, current="correcta-123", new="nueva-clave-1")
    assert _try(session, "nueva-clave-1").user is not None
    assert _try(session, "correcta-123").user is None
