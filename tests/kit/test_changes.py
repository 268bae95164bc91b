"""Change versions: every write to a fact gets the transaction's version; deletions leave tombstones."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pulso.feedback.enums import FeedbackSource
from pulso.feedback.models import Feedback
from pulso.kit.changes import FactDeletion, current_version


def make_feedback(external_id: str, nps: int = 9) -> Feedback:
    return Feedback(
        source=FeedbackSource.SURVEY,
        external_id=external_id,
        received_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
        nps=nps,
    )


def test_versions_follow_transactions(session: Session) -> None:
    with session.begin():
        a, b = make_feedback("a"), make_feedback("b")
        session.add_all([a, b])
    assert a.version == b.version == 1
    with session.begin():
        a.nps = 3
    assert a.version == 2
    assert b.version == 1
    with session.begin():
        session.add(make_feedback("c"))
        session.flush()
        session.add(make_feedback("d"))
    versions = sorted(v for (v,) in session.execute(select(Feedback.version)))
    assert versions == [1, 2, 3, 3]
    assert current_version(session) == 3


def test_deletion_leaves_a_tombstone(session: Session) -> None:
    with session.begin():
        row = make_feedback("x")
        session.add(row)
    with session.begin():
        session.delete(row)
    tomb = session.execute(select(FactDeletion)).scalar_one()
    assert (tomb.fact, tomb.fact_id, tomb.version) == ("feedback", row.id, 2)


def test_unchanged_object_keeps_its_version(session: Session) -> None:
    with session.begin():
        row = make_feedback("y")
        session.add(row)
    with session.begin():
        row.nps = 9  # same value: no change, no new version
    assert row.version == 1
    assert current_version(session) == 1
