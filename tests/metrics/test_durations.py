"""Median, p90 and the order-statistic CI of the median computed in SQL match the pure rank rule."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from pulso.analytics import service as analytics
from pulso.metrics import logic
from pulso.metrics import service as metrics
from pulso.metrics.repository import FactSource
from pulso.runtime import Runtime
from tests.factories import make_interaction, make_org


@pytest.mark.parametrize("n", [1, 7, 37, 100])
def test_sql_order_statistics_match_logic(runtime: Runtime, session: Session, n: int) -> None:
    opened = datetime(2026, 5, 4, 9, tzinfo=UTC)
    with session.begin():
        make_org(session)
        for minutes in range(n, 0, -1):  # inserted in reverse: the SQL must sort
            make_interaction(session, opened_at=opened, first_response_at=opened + timedelta(minutes=minutes))
    analytics.sync(runtime)
    query = metrics.KpiQuery("first_response_time", date(2026, 5, 1), date(2026, 5, 31))
    j, k = logic.median_ci_ranks(n)
    with session.begin():
        results = [metrics.compute_on(session.connection(), FactSource("operational", "UTC"), session, query)]
        with runtime.analytics.engine.connect() as conn:
            results.append(metrics.compute_on(conn, FactSource("analytic", "UTC"), session, query))
    for result in results:
        total = result.total
        assert total.n == n
        assert total.value == pytest.approx(math.ceil(n / 2))  # values are their own ranks, in minutes
        assert total.p90 == pytest.approx(math.ceil(0.9 * n))
        assert (total.low, total.high) == (pytest.approx(j), pytest.approx(k))


def test_median_change_is_tested_against_the_previous_period(runtime: Runtime, session: Session) -> None:
    from scipy import stats

    before = [3, 5, 8, 9, 12, 15, 20, 22, 30, 41, 44, 60]
    after = [7, 11, 14, 19, 25, 31, 38, 45, 52, 66, 70, 81, 95]
    with session.begin():
        make_org(session)
        for day, values in (
            (datetime(2026, 4, 10, 9, tzinfo=UTC), before),
            (datetime(2026, 5, 10, 9, tzinfo=UTC), after),
        ):
            for minutes in values:
                make_interaction(session, opened_at=day, first_response_at=day + timedelta(minutes=minutes))
    analytics.sync(runtime)
    query = metrics.KpiQuery("first_response_time", date(2026, 5, 1), date(2026, 5, 31))
    _, p_expected, _, _ = stats.median_test(after, before)
    with session.begin():
        result = metrics.compute_on(session.connection(), FactSource("operational", "UTC"), session, query)
    c = result.total.comparison
    assert c is not None
    assert c.method == "Mood's median test"
    assert c.reference_value == pytest.approx(15)  # ceil(12/2) = 6th value
    assert c.difference == pytest.approx(38 - 15)
    assert c.p_value == pytest.approx(p_expected)


def test_each_groups_median_is_tested_against_its_previous_period(runtime: Runtime, session: Session) -> None:
    from scipy import stats

    samples = {
        "web": ([3, 5, 8, 9, 12, 15, 20, 22], [30, 41, 44, 60, 65, 70, 72, 90, 95]),
        "phone": ([10, 11, 12, 13, 14, 15], [9, 12, 13, 14, 16, 18, 19]),
    }
    with session.begin():
        make_org(session)
        for channel, (before, after) in samples.items():
            for day, values in (
                (datetime(2026, 4, 10, tzinfo=UTC), before),
                (datetime(2026, 5, 10, tzinfo=UTC), after),
            ):
                for minutes in values:
                    make_interaction(
                        session, opened_at=day, first_response_at=day + timedelta(minutes=minutes), channel=channel
                    )
    analytics.sync(runtime)
    query = metrics.KpiQuery("first_response_time", date(2026, 5, 1), date(2026, 5, 31), by="channel")
    with session.begin(), runtime.analytics.engine.connect() as conn:
        result = metrics.compute_on(conn, FactSource("analytic", "UTC"), session, query)
    for point in result.rows:
        before, after = samples[str(point.group)]
        _, p_expected, _, _ = stats.median_test(after, before)
        assert point.comparison is not None
        assert point.comparison.p_value == pytest.approx(p_expected)
        assert point.comparison.reference_n == len(before)
