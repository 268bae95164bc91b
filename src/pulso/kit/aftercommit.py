"""Run work only once a session's transaction has committed (queue a job, send a notification).

A job queued inside the transaction could run before the rows it reads are visible, or run for a
transaction that is then rolled back. `after_commit(session, fn)` keeps `fn` until the outermost
transaction commits and drops it on rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_KEY = "pulso_after_commit"


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Call `callback` after the session's current transaction commits; forget it on rollback."""
    pending: list[Callable[[], object]] = session.info.setdefault(_KEY, [])
    pending.append(callback)


@event.listens_for(Session, "after_commit")
def _run_callbacks(session: Session) -> None:
    if session.in_nested_transaction():
        return  # SQLAlchemy sends after_commit when a savepoint is released too; wait for the real commit
    callbacks: list[Callable[[], object]] = session.info.pop(_KEY, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the commit stands; a periodic sweep catches what a callback failed to do
            log.exception("after-commit callback %r failed", callback)


@event.listens_for(Session, "after_soft_rollback")
def _drop_callbacks(session: Session, previous_transaction: object) -> None:
    if session.in_transaction():
        return  # a savepoint rolled back; the outer transaction may still commit
    session.info.pop(_KEY, None)
