"""The same KPI query code gives the same answers on DuckDB (raw and rollups), SQLite and PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from pulso.analytics import service as analytics
from pulso.interactions.enums import Channel
from pulso.metrics import service as metrics
from pulso.metrics.repository import FactSource
from pulso.metrics.schemas import KpiResult
from pulso.runtime import Runtime
from tests.factories import (
    make_agent,
    make_customer,
    make_feedback,
    make_interaction,
    make_org,
    make_team,
    make_touchpoint,
)

TZ = "America/Mexico_City"
CHANNELS = [Channel.WEB, Channel.PHONE, Channel.CHAT]


def _populate(session: Session) -> None:
    rng = random.Random(11)
    make_org(session, timezone=TZ)
    teams = [make_team(session, f"Equipo {i}") for i in range(3)]
    agents = [make_agent(session, teams[i % 3]) for i in range(6)]
    touchpoints = [make_touchpoint(session, f"TP-{i}") for i in range(4)]
    customers = [make_customer(session, segment=s, region=r) for s in ("Premium", "Pyme") for r in ("CDMX", "NL")]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(600):
        agent = rng.choice(agents)
        make_feedback(
            session,
            # Around local midnight on purpose: 00:00-07:00 UTC is the previous day in Mexico City.
            received_at=start + timedelta(days=rng.randrange(120), hours=rng.randrange(24), minutes=rng.randrange(60)),
            nps=rng.choice([None, *range(11)]),
            csat=rng.choice([None, 1, 2, 3, 4, 5, 5]),
            ces=rng.choice([None, None, *range(1, 8)]),
            channel=rng.choice(CHANNELS),
            agent_id=agent.id,
            team_id=agent.team_id,
            touchpoint_id=rng.choice(touchpoints).id,
            customer_id=rng.choice(customers).id,
            language=rng.choice(["es", "es", "en"]),
            comment="ok" if i % 3 else None,
        )
    for _ in range(300):
        agent = rng.choice(agents)
        opened = start + timedelta(days=rng.randrange(120), minutes=rng.randrange(1440))
        make_interaction(
            session,
            opened_at=opened,
            first_response_at=opened + timedelta(seconds=rng.randrange(30, 7200)),
            resolved_at=opened + timedelta(hours=rng.randrange(1, 96)) if rng.random() < 0.9 else None,
            contacts_to_resolve=rng.choice([None, 1, 1, 1, 2, 3]),
            channel=rng.choice(CHANNELS),
            agent_id=agent.id,
            team_id=agent.team_id,
            touchpoint_id=rng.choice(touchpoints).id,
            customer_id=rng.choice(customers).id,
        )


QUERIES = [
    metrics.KpiQuery("nps", date(2026, 2, 1), date(2026, 3, 31)),
    metrics.KpiQuery("nps", date(2026, 1, 1), date(2026, 4, 30), grain="week"),
    metrics.KpiQuery("nps", date(2026, 1, 1), date(2026, 4, 30), grain="month", by="team"),
    metrics.KpiQuery("csat", date(2026, 1, 15), date(2026, 4, 15), by="touchpoint", filters={"segment": ["Premium"]}),
    metrics.KpiQuery("csat", date(2026, 1, 1), date(2026, 4, 30), by="channel", compare="rest"),
    metrics.KpiQuery("ces", date(2026, 1, 1), date(2026, 4, 30), grain="quarter", by="region"),
    metrics.KpiQuery("ces", date(2026, 2, 1), date(2026, 2, 28), by="agent", filters={"channel": ["web", "chat"]}),
    metrics.KpiQuery("volume", date(2026, 1, 1), date(2026, 4, 30), grain="day"),
    metrics.KpiQuery("volume", date(2026, 3, 1), date(2026, 3, 31), by="language"),
    metrics.KpiQuery("nps", date(2026, 1, 1), date(2026, 4, 30), by="key_account"),
    metrics.KpiQuery("fcr", date(2026, 1, 1), date(2026, 4, 30), grain="month", by="channel"),
    metrics.KpiQuery("contacts", date(2026, 1, 1), date(2026, 4, 30), by="team"),
    metrics.KpiQuery("first_response_time", date(2026, 1, 1), date(2026, 4, 30), by="channel"),
    metrics.KpiQuery("first_response_time", date(2026, 3, 3), date(2026, 4, 30), by="channel"),
    metrics.KpiQuery("resolution_time", date(2026, 3, 3), date(2026, 4, 30), by="team"),
    metrics.KpiQuery("resolution_time", date(2026, 1, 1), date(2026, 4, 30), grain="month"),
    metrics.KpiQuery("nps", date(2026, 1, 1), date(2026, 4, 30), by="stage", filters={"team": ["Equipo 1"]}),
]


def _normalised(result: KpiResult) -> list[tuple[object, ...]]:
    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 6)

    out = [("total", result.total.n, r(result.total.value), r(result.total.low), r(result.total.high))]
    for p in result.rows:
        c = p.comparison
        out.append(
            (
                p.period,
                p.group,
                p.label,
                p.n,
                r(p.value),
                r(p.low),
                r(p.high),
                r(p.p90),
                None if c is None else (r(c.difference), r(c.p_value), c.significant),
            )
        )
    return out


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.kpi}-{q.grain}-{q.by}")
def test_engines_agree(runtime: Runtime, session: Session, query: metrics.KpiQuery) -> None:
    with session.begin():
        _populate(session)
    analytics.sync(runtime)
    with session.begin():
        operational = metrics.compute_on(session.connection(), FactSource("operational", TZ), session, query)
        with runtime.analytics.engine.connect() as conn:
            raw = metrics.compute_on(conn, FactSource("analytic", TZ), session, query, use_rollups=False)
            rolled = metrics.compute_on(conn, FactSource("analytic", TZ), session, query, use_rollups=True)
    assert operational.total.n > 0
    assert _normalised(operational) == _normalised(raw) == _normalised(rolled)


@pytest.mark.parametrize("kpi", ["volume", "nps", "resolution_time"])
def test_compare_rows_off_compares_only_the_total(runtime: Runtime, session: Session, kpi: str) -> None:
    with session.begin():
        _populate(session)
    analytics.sync(runtime)
    query = metrics.KpiQuery(kpi, date(2026, 2, 1), date(2026, 4, 30), grain="week")
    both = metrics.compute(runtime, query)
    total_only = metrics.compute(runtime, replace(query, compare_rows=False))
    assert total_only.total.comparison == both.total.comparison is not None
    assert all(p.comparison is None for p in total_only.rows)
    assert [(p.period, p.n, p.value) for p in total_only.rows] == [(p.period, p.n, p.value) for p in both.rows]
    if kpi != "resolution_time":  # a duration trend compares no buckets anyway
        assert any(p.comparison is not None for p in both.rows)
