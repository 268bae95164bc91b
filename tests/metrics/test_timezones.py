"""Weekly buckets start on Monday 00:00 in the organisation's zone, on every engine."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from pulso.analytics import service as analytics
from pulso.metrics import service as metrics
from pulso.metrics.repository import FactSource
from pulso.runtime import Runtime
from tests.factories import make_feedback, make_org

TZ = "America/Mexico_City"


def test_week_starts_monday_in_org_zone(runtime: Runtime, session: Session) -> None:
    with session.begin():
        make_org(session, timezone=TZ)
        make_feedback(session, nps=10, received_at=datetime(2026, 3, 2, 3, tzinfo=UTC))  # Sun 21:00 local
        make_feedback(session, nps=0, received_at=datetime(2026, 3, 2, 7, tzinfo=UTC))  # Mon 01:00 local
    analytics.sync(runtime)
    query = metrics.KpiQuery("nps", date(2026, 2, 16), date(2026, 3, 15), grain="week")
    with session.begin():
        results = [metrics.compute_on(session.connection(), FactSource("operational", TZ), session, query)]
        with runtime.analytics.engine.connect() as conn:
            results.append(metrics.compute_on(conn, FactSource("analytic", TZ), session, query))
    for result in results:
        assert [(p.period, p.n, p.value) for p in result.rows] == [
            (date(2026, 2, 23), 1, 100.0),
            (date(2026, 3, 2), 1, -100.0),
        ]


def test_today_is_the_organisations_date(runtime: Runtime, session: Session) -> None:
    from zoneinfo import ZoneInfo

    with session.begin():
        org = make_org(session, timezone="Pacific/Kiritimati")  # UTC+14
    east = metrics.today(runtime)
    with session.begin():
        session.merge(org).timezone = "Pacific/Pago_Pago"  # UTC-11: always another date
    west = metrics.today(runtime)
    assert east == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert west == datetime.now(ZoneInfo("Pacific/Pago_Pago")).date()
    assert east != west
