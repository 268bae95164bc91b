"""The serving process's sync loop copies new changes by itself, and survives a failing round."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from pulso.analytics.tasks import SyncLoop
from pulso.runtime import Runtime
from tests.factories import make_feedback, make_org


def _wait_for(predicate: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_sync_loop_follows_new_feedback(runtime: Runtime, session: Session) -> None:
    with session.begin():
        make_org(session)
    loop = SyncLoop(runtime, interval=0.05)
    loop.start()
    try:
        with session.begin():
            make_feedback(session, nps=10)
        assert _wait_for(lambda: runtime.analytics.counts()["feedback_facts"] == 1)
        with session.begin():
            make_feedback(session, nps=0)
        assert _wait_for(lambda: runtime.analytics.counts()["feedback_facts"] == 2)
        assert loop.last_error is None
    finally:
        loop.stop()
    assert loop.runs >= 2


def test_a_failing_round_is_logged_and_retried(runtime: Runtime, session: Session, monkeypatch: object) -> None:
    import pytest

    from pulso.analytics import service

    calls: list[int] = []
    original = service.sync

    def flaky(rt: Runtime, *, full: bool = False) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return original(rt, full=full)

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(service, "sync", flaky)
    with session.begin():
        make_org(session)
        make_feedback(session, nps=9)
    loop = SyncLoop(runtime, interval=0.05)
    loop.start()
    try:
        assert _wait_for(lambda: runtime.analytics.counts()["feedback_facts"] == 1)
    finally:
        loop.stop()
    assert len(calls) >= 2
    assert loop.last_error is None
