from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from pulso.kit.aftercommit import after_commit


def test_callbacks_run_after_commit_only(session: Session) -> None:
    calls: list[str] = []
    with session.begin():
        session.execute(text("select 1"))
        after_commit(session, lambda: calls.append("a"))
        after_commit(session, lambda: calls.append("b"))
        assert calls == []
    assert calls == ["a", "b"]


def test_callbacks_are_dropped_on_rollback(session: Session) -> None:
    calls: list[str] = []
    try:
        with session.begin():
            after_commit(session, lambda: calls.append("lost"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with session.begin():
        session.execute(text("select 1"))
    assert calls == []


def test_a_failing_callback_does_not_stop_the_others(session: Session) -> None:
    calls: list[str] = []

    def fail() -> None:
        raise ValueError("queue down")

    with session.begin():
        after_commit(session, fail)
        after_commit(session, lambda: calls.append("ran"))
    assert calls == ["ran"]


def test_callbacks_wait_for_the_outer_commit_when_a_savepoint_is_released(session: Session) -> None:
    calls: list[str] = []
    with session.begin():
        with session.begin_nested():
            session.execute(text("select 1"))
            after_commit(session, lambda: calls.append("ran"))
        assert calls == []  # released, but nothing is committed yet
    assert calls == ["ran"]
