"""Facts reach the analytic store incrementally: inserts, corrections, deletions, rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from pulso.analytics import service as analytics
from pulso.runtime import Runtime
from tests.factories import make_customer, make_feedback, make_interaction, make_org, make_touchpoint


def _duck(runtime: Runtime, sql: str) -> list[tuple[object, ...]]:
    return runtime.analytics.cursor().execute(sql).fetchall()


@pytest.fixture(params=["cursor", "adbc"])
def read_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways changes are read: the DB-API cursor (few rows) and the ADBC bulk reader (many)."""
    if request.param == "adbc":
        monkeypatch.setattr(analytics, "BULK_ROWS", 1)
    return str(request.param)


def test_inserts_corrections_and_deletions_reach_the_store(runtime: Runtime, session: Session, read_path: str) -> None:
    with session.begin():
        make_org(session, timezone="America/Mexico_City")
        tp = make_touchpoint(session)
        customer = make_customer(session, segment="Premium")
        rows = [
            make_feedback(
                session,
                nps=n,
                touchpoint_id=tp.id,
                customer_id=customer.id,
                received_at=datetime(2026, 1, 5, 3, tzinfo=UTC) + timedelta(days=i),
            )
            for i, n in enumerate([10, 9, 3, 7])
        ]
    first = analytics.sync(runtime)
    assert (first.feedback_rows, first.to_version) == (4, 1)
    # 03:00 UTC is still the previous day in Mexico City: local_day follows the organisation's zone.
    assert _duck(runtime, "SELECT min(local_day)::VARCHAR, min(segment), min(stage_id) FROM feedback_facts") == [
        ("2026-01-04", "Premium", tp.stage_id)
    ]
    assert analytics.sync(runtime).changed is False

    with session.begin():
        rows[2].nps = 10  # a corrected score
    second = analytics.sync(runtime)
    assert second.feedback_rows == 1
    assert _duck(runtime, "SELECT sum(nps), count(*) FROM feedback_facts") == [(36, 4)]
    assert _duck(runtime, "SELECT sum(promoters), sum(detractors) FROM rollup_day") == [(3, 0)]

    with session.begin():
        session.delete(rows[0])
    third = analytics.sync(runtime)
    assert third.deleted == 1
    assert _duck(runtime, "SELECT sum(nps), count(*) FROM feedback_facts") == [(26, 3)]
    assert _duck(runtime, "SELECT sum(n_nps) FROM rollup_day_touchpoint") == [(3,)]
    assert analytics.check(runtime).consistent


def test_check_sees_pending_changes_and_rebuild_fixes_them(runtime: Runtime, session: Session, read_path: str) -> None:
    with session.begin():
        make_org(session)
        make_feedback(session, nps=8)
        make_interaction(
            session,
            opened_at=datetime(2026, 2, 1, tzinfo=UTC),
            first_response_at=datetime(2026, 2, 1, 0, 5, tzinfo=UTC),
            contacts_to_resolve=1,
        )
    analytics.sync(runtime)
    assert analytics.check(runtime).consistent
    with session.begin():
        make_feedback(session, nps=2)
    report = analytics.check(runtime)
    assert not report.consistent
    assert report.operational_version == report.analytic_version + 1
    rebuilt = analytics.rebuild(runtime)
    assert rebuilt.feedback_rows == 2
    assert rebuilt.interaction_rows == 1
    assert analytics.check(runtime).consistent
    assert _duck(runtime, "SELECT first_response_seconds FROM interaction_facts") == [(300.0,)]


def test_time_zone_change_rebuilds_local_days(runtime: Runtime, session: Session) -> None:
    with session.begin():
        org = make_org(session, timezone="UTC")
        make_feedback(session, nps=9, received_at=datetime(2026, 3, 1, 2, tzinfo=UTC))
    analytics.sync(runtime)
    assert _duck(runtime, "SELECT local_day::VARCHAR FROM feedback_facts") == [("2026-03-01",)]
    with session.begin():
        session.merge(org).timezone = "America/Bogota"
    analytics.sync(runtime)
    assert _duck(runtime, "SELECT local_day::VARCHAR FROM feedback_facts") == [("2026-02-28",)]


def test_rollups_follow_feedback_days_when_interactions_change_too(
    runtime: Runtime, session: Session, read_path: str
) -> None:
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    with session.begin():
        make_org(session)
        rows = [make_feedback(session, nps=9, received_at=start + timedelta(days=i)) for i in range(10)]
    analytics.sync(runtime)
    with session.begin():
        rows[3].nps = 0  # feedback changes on day 4...
        make_interaction(session, opened_at=start + timedelta(days=8))  # ...and an interaction on day 9
    analytics.sync(runtime)
    assert _duck(runtime, "SELECT sum(promoters), sum(detractors) FROM rollup_day") == [(9, 1)]
    assert _duck(runtime, "SELECT sum(n_nps) FROM rollup_day_team") == [(10,)]
    assert analytics.check(runtime).consistent


def test_a_customers_new_segment_reaches_their_facts(runtime: Runtime, session: Session) -> None:
    import polars as pl

    from pulso.feedback import service as feedback
    from pulso.feedback.enums import ImportKind
    from pulso.feedback.schemas import ImportOptions

    with session.begin():
        make_org(session)
        customer = make_customer(session, segment="Ocasional", region="CDMX")
        make_feedback(session, nps=9, customer_id=customer.id)
        make_interaction(session, opened_at=datetime(2026, 1, 5, tzinfo=UTC), customer_id=customer.id)
        other = make_customer(session, segment="Pyme", region="NL")
        make_feedback(session, nps=3, customer_id=other.id)
    analytics.sync(runtime)
    frame = pl.DataFrame(
        {
            "external_id": [customer.external_id, other.external_id],
            "segment": ["Premium", "Pyme"],
            "region": ["CDMX", "NL"],
        }
    )
    feedback.import_frame(runtime, frame, ImportOptions(kind=ImportKind.CUSTOMERS), name="clientes")
    assert _duck(runtime, "SELECT segment, count(*) FROM feedback_facts GROUP BY segment ORDER BY segment") == [
        ("Premium", 1),
        ("Pyme", 1),
    ]
    assert _duck(runtime, "SELECT segment FROM interaction_facts") == [("Premium",)]
    assert _duck(runtime, "SELECT segment, sum(n_nps) FROM rollup_day_customer GROUP BY segment ORDER BY 1") == [
        ("Premium", 1),
        ("Pyme", 1),
    ]


def test_a_replaced_operational_store_is_copied_afresh(runtime: Runtime, session: Session) -> None:
    from sqlalchemy import delete, update

    from pulso.feedback.models import Feedback
    from pulso.kit.changes import ChangeCounter

    with session.begin():
        make_org(session)
        make_feedback(session, nps=9)
    with session.begin():
        make_feedback(session, nps=9)
    analytics.sync(runtime)
    assert runtime.analytics.watermark == 2
    with session.begin():  # as if the database had been restored from an older backup
        session.execute(delete(Feedback))
        session.execute(update(ChangeCounter).values(value=0))
    with session.begin():
        make_feedback(session, nps=0)  # version 1, behind the copy's watermark
    result = analytics.sync(runtime)
    assert (result.from_version, result.to_version) == (0, 1)
    assert _duck(runtime, "SELECT count(*), sum(nps) FROM feedback_facts") == [(1, 0)]
    assert analytics.check(runtime).consistent
