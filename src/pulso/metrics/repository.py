"""The SQL behind the KPIs, written once with SQLAlchemy Core and run on DuckDB, SQLite or PostgreSQL.

A `FactSource` says where the facts are (the analytic copy with its rollups, or the operational
tables) and how to bucket time there; the query builders below never look at the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, FromClause, and_, func, literal, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from pulso.analytics.facts import (
    FEEDBACK_DIMENSIONS,
    INTERACTION_DIMENSIONS,
    ROLLUPS,
    feedback_facts,
    interaction_facts,
    operational_feedback,
    operational_interactions,
    rollup_table,
)
from pulso.kit.db import AnySelect
from pulso.kit.sqlexpr import local_trunc, trunc_date

Measure = tuple[str, Callable[[Any], ColumnElement[Any]], str | None]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.count().filter(condition)


# KPI -> the additive measures it needs: (label, aggregate over raw facts, rollup column or None).
ADDITIVE_MEASURES: dict[str, tuple[Measure, ...]] = {
    "nps": (
        ("n", lambda c: func.count(c.nps), "n_nps"),
        ("promoters", lambda c: _count_if(c.nps >= 9), "promoters"),
        ("detractors", lambda c: _count_if(c.nps <= 6), "detractors"),
    ),
    "csat": (
        ("n", lambda c: func.count(c.csat), "n_csat"),
        ("successes", lambda c: _count_if(c.csat >= 4), "csat_top2"),
    ),
    "ces": (
        ("n", lambda c: func.count(c.ces), "n_ces"),
        ("total", lambda c: func.sum(c.ces), "ces_sum"),
        ("total_sq", lambda c: func.sum(c.ces * c.ces), "ces_sumsq"),
    ),
    "volume": (("n", lambda c: func.count(), "n_rows"),),
    "fcr": (
        ("n", lambda c: func.count(c.contacts_to_resolve), None),
        ("successes", lambda c: _count_if(c.contacts_to_resolve == 1), None),
    ),
    "contacts": (("n", lambda c: func.count(), None),),
}
INTERACTION_KPIS = {"fcr", "contacts", "first_response_time", "resolution_time"}
DURATION_COLUMNS = {"first_response_time": "first_response_seconds", "resolution_time": "resolution_seconds"}


@dataclass(frozen=True, slots=True)
class FactSource:
    """Where a KPI's facts live, and how time is bucketed there."""

    name: str  # "analytic" or "operational"
    timezone: str

    def facts(self, kpi: str) -> FromClause:
        interactions = kpi in INTERACTION_KPIS
        if self.name == "analytic":
            return interaction_facts if interactions else feedback_facts
        query = operational_interactions() if interactions else operational_feedback()
        return query.subquery("facts")

    def time_column(self, kpi: str) -> str:
        return "opened_at" if kpi in INTERACTION_KPIS else "received_at"

    def bucket(self, table: FromClause, kpi: str, grain: str) -> ColumnElement[Any]:
        if "local_day" in table.c:
            return trunc_date(table.c.local_day, grain)
        return local_trunc(table.c[self.time_column(kpi)], grain, self.timezone)

    def in_range(self, table: FromClause, kpi: str, start: date, end: date) -> ColumnElement[bool]:
        """Local calendar days start..end, both included."""
        if "local_day" in table.c:
            return and_(table.c.local_day >= start, table.c.local_day <= end)
        zone = ZoneInfo(self.timezone)
        low = datetime.combine(start, time(), zone).astimezone(UTC)
        high = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC)
        column = table.c[self.time_column(kpi)]
        return and_(column >= low, column < high)


def dimension_column(kpi: str, dimension: str) -> str:
    dims = INTERACTION_DIMENSIONS if kpi in INTERACTION_KPIS else FEEDBACK_DIMENSIONS
    return dims[dimension]


def choose_rollup(kpi: str, columns: set[str]) -> FromClause | None:
    """The smallest rollup holding every needed dimension column, for additive feedback KPIs."""
    if kpi in INTERACTION_KPIS:
        return None
    covering = [r for r in ROLLUPS if columns <= set(r.dimensions)]
    if not covering:
        return None
    return rollup_table(min(covering, key=lambda r: len(r.dimensions)))


@dataclass(frozen=True, slots=True)
class Slice:
    """What to compute: a KPI over a date range, optionally by time grain and one dimension."""

    kpi: str
    start: date
    end: date
    grain: str | None = None
    by: str | None = None
    filters: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def columns(self) -> set[str]:
        names = {dimension_column(self.kpi, d) for d, _ in self.filters}
        if self.by:
            names.add(dimension_column(self.kpi, self.by))
        return names


def _where(table: FromClause, source: FactSource, s: Slice) -> list[ColumnElement[bool]]:
    conditions = [source.in_range(table, s.kpi, s.start, s.end)]
    for dimension, values in s.filters:
        column = table.c[dimension_column(s.kpi, dimension)]
        conditions.append(column.in_(values))
    return conditions


def _keys(table: FromClause, source: FactSource, s: Slice) -> list[ColumnElement[Any]]:
    keys: list[ColumnElement[Any]] = []
    if s.grain:
        keys.append(source.bucket(table, s.kpi, s.grain).label("period"))
    if s.by:
        keys.append(table.c[dimension_column(s.kpi, s.by)].label("grp"))
    return keys


def additive_query(source: FactSource, s: Slice, *, use_rollups: bool = True) -> AnySelect:
    """Sums per (period, group) for an additive KPI; on the analytic store from a rollup when one fits."""
    table: FromClause = source.facts(s.kpi)
    rollup = choose_rollup(s.kpi, s.columns()) if use_rollups and source.name == "analytic" else None
    measures = ADDITIVE_MEASURES[s.kpi]
    if rollup is not None:
        table = rollup
        aggregates = [func.coalesce(func.sum(table.c[col]), 0).label(label) for label, _, col in measures if col]
    else:
        aggregates = [fn(table.c).label(label) for label, fn, _ in measures]
    keys = _keys(table, source, s)
    query = select(*keys, *aggregates).select_from(table).where(*_where(table, source, s))
    if keys:
        query = query.group_by(*keys).order_by(*keys)
    return query


def duration_query(source: FactSource, s: Slice, z: float) -> AnySelect:
    """Median, p90 and a distribution-free CI of the median, per (period, group), in the engine.

    Order statistics by window functions, portable to every engine: the median is the value of rank
    ceil(n/2), p90 of rank ceil(0.9 n), and the CI spans the ranks of logic.median_ci_ranks
    (normal approximation to the binomial, Conover 1999), in integer arithmetic so no engine needs sqrt.
    """
    table = source.facts(s.kpi)
    value = table.c[DURATION_COLUMNS[s.kpi]]
    keys = _keys(table, source, s)
    partition = list(keys) or None
    ranked = (
        select(
            *keys,
            value.label("x"),
            func.row_number().over(partition_by=partition, order_by=value).label("rn"),
            func.count().over(partition_by=partition).label("n"),
        )
        .select_from(table)
        .where(value.is_not(None), value >= 0, *_where(table, source, s))
        .subquery("ranked")
    )
    r, n, x = ranked.c.rn, ranked.c.n, ranked.c.x
    # Ranks n/2 - s - 1/2 .. n/2 + 3/2 + s with s = z*sqrt(n)/2: the rounded ranks of
    # logic.median_ci_ranks (Campbell & Gardner), i.e. |2r - n - 1| <= z*sqrt(n) + 2.
    distance = func.abs(2 * r - n - 1)
    in_ci = or_(distance <= 2, (distance - 2) * (distance - 2) <= literal(z * z) * n)
    outer_keys = [ranked.c[str(k.key)] for k in keys]
    query = select(
        *outer_keys,
        func.max(n).label("n"),
        func.min(x).filter(and_(2 * r >= n, 2 * (r - 1) < n)).label("median"),
        func.min(x).filter(and_(10 * r >= 9 * n, 10 * (r - 1) < 9 * n)).label("p90"),
        func.min(x).filter(in_ci).label("low"),
        func.max(x).filter(in_ci).label("high"),
    ).select_from(ranked)
    if outer_keys:
        query = query.group_by(*outer_keys).order_by(*outer_keys)
    return query


def run(conn: Connection, query: AnySelect) -> Sequence[Any]:
    return conn.execute(query).mappings().all()


def above_query(source: FactSource, s: Slice, threshold: float) -> AnySelect:
    """How many durations there are, and how many lie above `threshold` (for Mood's median test)."""
    table = source.facts(s.kpi)
    value = table.c[DURATION_COLUMNS[s.kpi]]
    return (
        select(func.count().label("n"), func.count().filter(value > threshold).label("above"))
        .select_from(table)
        .where(value.is_not(None), value >= 0, *_where(table, source, s))
    )


def above_by_group_query(source: FactSource, s: Slice, thresholds: dict[Any, float]) -> AnySelect:
    """Per group of `s.by`: how many durations, and how many above that group's threshold."""
    table = source.facts(s.kpi)
    value = table.c[DURATION_COLUMNS[s.kpi]]
    group = table.c[dimension_column(s.kpi, str(s.by))]
    limits = union_all(
        *[select(literal(key).label("key"), literal(float(m)).label("m")) for key, m in thresholds.items()]
    ).subquery("limits")
    return (
        select(group.label("grp"), func.count().label("n"), func.count().filter(value > limits.c.m).label("above"))
        .select_from(table.join(limits, group == limits.c.key))
        .where(value.is_not(None), value >= 0, *_where(table, source, s))
        .group_by(group)
    )
