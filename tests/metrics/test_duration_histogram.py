"""Durations on DuckDB (histogram ranks, one statement) give the portable window queries' answers exactly.

The analytic engine locates each rank through counts per bucket of the durations (from a daily
duration histogram, or from the facts when none holds the slice's dimensions) and ranks only the
values of the buckets needed; SQLite and PostgreSQL sort every value with window functions. Both
must give the same medians, p90s, intervals and Mood's tests, also with ties, groups without a
key, durations at a bucket's edge, empty ranges and previous periods without data.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pulso.analytics import service as analytics
from pulso.interactions.enums import Channel
from pulso.metrics import service as metrics
from pulso.metrics.repository import FactSource
from pulso.metrics.schemas import KpiResult
from pulso.runtime import Runtime
from tests.factories import make_agent, make_interaction, make_org, make_team

TZ = "America/Mexico_City"


def _populate(session: Session) -> None:
    rng = random.Random(5)
    make_org(session, timezone=TZ)
    teams = [make_team(session, f"Equipo {i}") for i in range(2)]
    agents = [make_agent(session, teams[i % 2]) for i in range(4)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # Whole minutes (many ties), the edges of buckets (2**k - 1 seconds) and a long tail.
    choices = [60 * m for m in range(1, 30)] + [2**k - 1 for k in range(1, 18)] + [0, 0, 1]
    for _ in range(700):
        agent = rng.choice([*agents, None])
        opened = start + timedelta(days=rng.randrange(120), minutes=rng.randrange(1440))
        first = rng.choice(choices) if rng.random() < 0.8 else rng.uniform(0, 90_000)
        make_interaction(
            session,
            opened_at=opened,
            first_response_at=opened + timedelta(seconds=first) if rng.random() < 0.95 else None,
            resolved_at=opened + timedelta(hours=rng.randrange(1, 96), seconds=rng.choice(choices)),
            channel=rng.choice([Channel.WEB, Channel.PHONE, Channel.CHAT]),
            agent_id=None if agent is None else agent.id,
            team_id=None if agent is None else agent.team_id,
        )


QUERIES = [
    metrics.KpiQuery("first_response_time", date(2026, 3, 1), date(2026, 4, 30)),
    metrics.KpiQuery("first_response_time", date(2026, 2, 1), date(2026, 3, 15), by="agent"),
    metrics.KpiQuery("first_response_time", date(2026, 3, 1), date(2026, 4, 30), by="team", sort="-value"),
    metrics.KpiQuery("first_response_time", date(2026, 1, 1), date(2026, 4, 30), grain="week"),
    metrics.KpiQuery("first_response_time", date(2026, 1, 1), date(2026, 4, 30), grain="month", by="channel"),
    metrics.KpiQuery(
        "resolution_time", date(2026, 2, 10), date(2026, 4, 20), by="channel", filters={"team": ["Equipo 0"]}
    ),
    metrics.KpiQuery("resolution_time", date(2026, 3, 1), date(2026, 3, 31), compare="none", by="agent"),
    metrics.KpiQuery("resolution_time", date(2026, 1, 1), date(2026, 1, 31)),  # no previous period
    metrics.KpiQuery("resolution_time", date(2026, 3, 1), date(2026, 3, 31), compare="rest", by="team"),
    metrics.KpiQuery("first_response_time", date(2027, 1, 1), date(2027, 1, 31)),  # no data at all
    metrics.KpiQuery("first_response_time", date(2026, 4, 1), date(2026, 4, 1), by="agent", confidence=0.99),
]


def _everything(result: KpiResult) -> list[Any]:
    def rounded(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        return value

    # SQLite sorts a group without a key first, DuckDB and PostgreSQL last: compare in one order.
    rows = result.rows
    if result.rows and all(p.value is not None for p in rows):
        rows = sorted(rows, key=lambda p: (str(p.period), p.group is None, str(p.group)))
    return [rounded(p.model_dump()) for p in (result.total, *rows)]


@pytest.mark.parametrize("histograms", [True, False], ids=["histograms", "fact-counts"])
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.kpi}-{q.grain}-{q.by}-{q.compare}")
def test_histogram_ranks_give_the_window_answers(
    runtime: Runtime, session: Session, query: metrics.KpiQuery, histograms: bool
) -> None:
    with session.begin():
        _populate(session)
    analytics.sync(runtime)
    with session.begin():
        portable = metrics.compute_on(session.connection(), FactSource("operational", TZ), session, query)
        with runtime.analytics.engine.connect() as conn:
            histogram = metrics.compute_on(conn, FactSource("analytic", TZ), session, query, use_rollups=histograms)
    assert _everything(histogram) == _everything(portable)
    if query.start.year == 2026 and query.compare == "previous" and query.start > date(2026, 2, 1):
        assert portable.total.comparison is not None  # the test does reach Mood's test
