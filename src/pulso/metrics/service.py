"""Public entry points of the metrics domain: any KPI, by time grain and one dimension, with statistics."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from scipy import stats
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.models import Team, User
from pulso.accounts.schemas import Principal
from pulso.catalog.models import Product
from pulso.journeys.models import Stage, Touchpoint
from pulso.kit.db import READ_ONLY, utcnow
from pulso.kit.errors import Forbidden, ValidationFailed
from pulso.kit.sqlfuncs import GRAINS
from pulso.metrics import logic
from pulso.metrics.repository import (
    ADDITIVE_MEASURES,
    DURATION_COLUMNS,
    FactSource,
    Slice,
    above_by_group_query,
    above_query,
    additive_query,
    dimension_column,
    duration_query,
    duration_stats_query,
    run,
)
from pulso.metrics.schemas import Compare, ComparisonOut, KpiDefinition, KpiPoint, KpiResult
from pulso.runtime import Runtime

log = logging.getLogger(__name__)

KPIS: dict[str, KpiDefinition] = {
    k.key: k
    for k in (
        KpiDefinition(
            key="nps",
            name_es="Net Promoter Score",
            name_en="Net Promoter Score",
            unit="points (-100..100)",
            method="adjusted-Wald interval; two-sample z-test",
            higher_is_better=True,
        ),
        KpiDefinition(
            key="csat",
            name_es="Satisfacción (CSAT, top-2-box)",
            name_en="Satisfaction (CSAT, top-2-box)",
            unit="% of 4–5 answers",
            method="Wilson interval; Newcombe difference",
            higher_is_better=True,
        ),
        KpiDefinition(
            key="ces",
            name_es="Esfuerzo del cliente (CES)",
            name_en="Customer effort (CES)",
            unit="mean effort, 1 = very easy … 7 = very hard",
            method="t-interval; Welch's test",
            higher_is_better=False,
        ),
        KpiDefinition(
            key="fcr",
            name_es="Resolución en el primer contacto",
            name_en="First-contact resolution",
            unit="% of resolved interactions",
            method="Wilson interval; Newcombe difference",
            higher_is_better=True,
        ),
        KpiDefinition(
            key="first_response_time",
            name_es="Tiempo de primera respuesta",
            name_en="First-response time",
            unit="minutes (median; p90 too)",
            method="order-statistic CI of the median",
            higher_is_better=False,
        ),
        KpiDefinition(
            key="resolution_time",
            name_es="Tiempo de resolución",
            name_en="Resolution time",
            unit="hours (median; p90 too)",
            method="order-statistic CI of the median",
            higher_is_better=False,
        ),
        KpiDefinition(
            key="volume",
            name_es="Volumen de opiniones",
            name_en="Feedback volume",
            unit="pieces of feedback",
            method="exact Poisson interval; E-test on daily rates",
            higher_is_better=True,
        ),
        KpiDefinition(
            key="contacts",
            name_es="Volumen de contactos",
            name_en="Contact volume",
            unit="interactions",
            method="exact Poisson interval; E-test on daily rates",
            higher_is_better=False,
        ),
    )
}
DURATION_SCALE = {"first_response_time": 60.0, "resolution_time": 3600.0}
ENGINES = ("auto", "analytic", "operational")
Engine = Literal["auto", "analytic", "operational"]


@dataclass(frozen=True, slots=True)
class KpiQuery:
    kpi: str
    start: date
    end: date
    grain: str | None = None
    by: str | None = None
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    compare: Compare = "previous"
    confidence: float = 0.95
    min_n: int = 30
    sort: Literal["key", "value", "-value", "n"] = "key"
    limit: int | None = None
    only_min_n: bool = False
    # False: only the total is compared (a trend whose points show no change skips a test per bucket).
    compare_rows: bool = True

    def validate(self) -> None:
        if self.kpi not in KPIS:
            raise ValidationFailed(f"kpi: {self.kpi!r} is unknown; use one of {', '.join(KPIS)} / KPI desconocido")
        if self.end < self.start:
            raise ValidationFailed("to: the end date is before the start date / la fecha final es anterior")
        if self.grain is not None and self.grain not in GRAINS:
            raise ValidationFailed(f"grain: use one of {', '.join(GRAINS)} / granularidad no válida")
        for dimension in ([self.by] if self.by else []) + list(self.filters):
            try:
                dimension_column(self.kpi, dimension)
            except KeyError:
                raise ValidationFailed(
                    f"{dimension}: not a dimension of {self.kpi} / no es una dimensión de {self.kpi}"
                ) from None
        if not 0.5 <= self.confidence < 1:
            raise ValidationFailed("confidence: between 0.5 and 1 / entre 0,5 y 1")


# --------------------------------------------------------------------------- dimension labels

_LABELLED: dict[str, tuple[Any, Any, tuple[Any, ...]]] = {
    # dimension: (model, label column, columns a filter value may match)
    "touchpoint": (Touchpoint, Touchpoint.name, (Touchpoint.code, Touchpoint.name)),
    "stage": (Stage, Stage.name, (Stage.name, Stage.name_en)),
    "team": (Team, Team.name, (Team.name, Team.code)),
    "agent": (User, User.name, (User.code, User.email, User.name)),
    "product": (Product, Product.name, (Product.sku, Product.name)),
}


def _labels(session: Session, dimension: str | None, keys: set[Any]) -> dict[Any, str]:
    if dimension not in _LABELLED or not keys:
        return {}
    model, label, _ = _LABELLED[dimension]
    rows = session.execute(select(model.id, label).where(model.id.in_([k for k in keys if k is not None])))
    return {key: name for key, name in rows}  # noqa: C416 - a Result is not a mapping


def _resolve_filter(session: Session, dimension: str, values: Sequence[str]) -> tuple[Any, ...]:
    """Filter values as stored in the facts: ids for entities (given by id, code or name), else text."""
    if dimension == "key_account":
        return tuple(str(v).lower() in ("1", "true", "yes", "si", "sí") for v in values)
    if dimension not in _LABELLED:
        return tuple(values)
    model, _, matchers = _LABELLED[dimension]
    resolved: list[int] = []
    for value in values:
        text = str(value).strip()
        if text.isdigit() and session.get(model, int(text)) is not None:
            resolved.append(int(text))
            continue
        ids: list[int] = []
        for column in matchers:
            ids = [i for (i,) in session.execute(select(model.id).where(column == text))]
            if ids:
                break
        if not ids:
            raise ValidationFailed(f"{dimension}: {text!r} not found / no encontrado")
        resolved.extend(ids)
    return tuple(resolved)


# --------------------------------------------------------------------------- estimates


def _additive_estimate(kpi: str, row: Mapping[str, Any], confidence: float) -> logic.Estimate:
    n = int(row["n"] or 0)
    if kpi == "nps":
        promoters, detractors = int(row["promoters"] or 0), int(row["detractors"] or 0)
        raw = logic.nps_wald(promoters, n - promoters - detractors, detractors, confidence)
        adjusted = logic.nps_adjusted_wald(promoters, n - promoters - detractors, detractors, confidence)
        return logic.Estimate(raw.value, adjusted.low, adjusted.high, n, confidence)
    if kpi in ("csat", "fcr"):
        return logic.wilson_interval(int(row["successes"] or 0), n, confidence)
    if kpi == "ces":
        mean, variance = logic.mean_from_sums(n, float(row["total"] or 0), float(row["total_sq"] or 0))
        return logic.t_interval(mean, variance, n, confidence)
    return logic.poisson_interval(n, confidence)


def _additive_compare(
    kpi: str, a: Mapping[str, Any], b: Mapping[str, Any], days_a: int, days_b: int, alpha: float
) -> logic.Comparison:
    n_a, n_b = int(a["n"] or 0), int(b["n"] or 0)
    if kpi == "nps":
        ta = (
            int(a["promoters"] or 0),
            n_a - int(a["promoters"] or 0) - int(a["detractors"] or 0),
            int(a["detractors"] or 0),
        )
        tb = (
            int(b["promoters"] or 0),
            n_b - int(b["promoters"] or 0) - int(b["detractors"] or 0),
            int(b["detractors"] or 0),
        )
        return logic.nps_z_test(ta, tb, alpha)
    if kpi in ("csat", "fcr"):
        if n_a == 0 or n_b == 0:
            return logic.Comparison(None, None, None, None, None, None, False, logic.NEWCOMBE)
        comparison = logic.newcombe_difference(int(a["successes"] or 0), n_a, int(b["successes"] or 0), n_b, 1 - alpha)
        return comparison
    if kpi == "ces":
        mean_a, var_a = logic.mean_from_sums(n_a, float(a["total"] or 0), float(a["total_sq"] or 0))
        mean_b, var_b = logic.mean_from_sums(n_b, float(b["total"] or 0), float(b["total_sq"] or 0))
        if mean_a is None or mean_b is None or var_a is None or var_b is None:
            diff = None if mean_a is None or mean_b is None else mean_a - mean_b
            return logic.Comparison(diff, None, None, None, None, None, False, logic.WELCH)
        return logic.welch_test(mean_a, var_a, n_a, mean_b, var_b, n_b, alpha)
    return logic.poisson_rate_test(n_a, float(days_a), n_b, float(days_b), alpha)


def _scale(kpi: str) -> float:
    if kpi in ("nps", "csat", "fcr"):
        return 100.0
    return 1.0


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _comparison_out(
    kpi: str, against: str, comparison: logic.Comparison, reference: logic.Estimate, days_a: int, days_b: int
) -> ComparisonOut:
    factor = _scale(kpi)
    reference_value = reference.value
    if kpi in ("volume", "contacts") and reference_value is not None:
        factor, reference_value = 1.0, reference_value * days_a / max(days_b, 1)  # same-length expectation
        diff_scale = float(days_a)  # rates per day -> counts over the current period
    else:
        diff_scale = factor
    return ComparisonOut(
        against=against,
        reference_value=_scaled(reference_value, factor),
        reference_n=reference.n,
        difference=_scaled(comparison.difference, diff_scale),
        low=_scaled(comparison.low, diff_scale),
        high=_scaled(comparison.high, diff_scale),
        statistic=comparison.statistic,
        p_value=comparison.p_value,
        df=comparison.df,
        significant=comparison.significant,
        method=comparison.method,
    )


def _point(kpi: str, estimate: logic.Estimate, min_n: int, **extra: Any) -> KpiPoint:
    factor = _scale(kpi)
    return KpiPoint(
        n=estimate.n,
        value=_scaled(estimate.value, factor),
        low=_scaled(estimate.low, factor),
        high=_scaled(estimate.high, factor),
        small_sample=estimate.n < min_n,
        **extra,
    )


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _group_value(by: str | None, value: Any) -> Any:
    if by == "key_account" and value is not None:
        return bool(value)
    return value


# --------------------------------------------------------------------------- computing


@dataclass
class _Context:
    conn: Connection
    source: FactSource
    use_rollups: bool


def _sum_rows(rows: Sequence[Mapping[str, Any]], kpi: str) -> dict[str, Any]:
    labels = [label for label, _, _ in ADDITIVE_MEASURES[kpi]]
    return {label: sum(int(r[label] or 0) for r in rows) for label in labels}


def _days(start: date, end: date) -> int:
    return (end - start).days + 1


def _additive(ctx: _Context, q: KpiQuery, s: Slice) -> tuple[KpiPoint, list[KpiPoint]]:
    alpha = 1 - q.confidence
    rows = run(ctx.conn, additive_query(ctx.source, s, use_rollups=ctx.use_rollups))
    length = _days(q.start, q.end)
    previous = _previous(q, s)
    if s.grain or s.by:
        total_rows = run(
            ctx.conn, additive_query(ctx.source, replace(s, grain=None, by=None), use_rollups=ctx.use_rollups)
        )
    else:
        total_rows = rows
    total_row = dict(total_rows[0]) if total_rows else _sum_rows([], q.kpi)
    prev_total_rows = run(
        ctx.conn,
        additive_query(ctx.source, replace(previous, grain=None, by=None), use_rollups=ctx.use_rollups),
    )
    prev_total = dict(prev_total_rows[0]) if prev_total_rows else _sum_rows([], q.kpi)
    total = _point(q.kpi, _additive_estimate(q.kpi, total_row, q.confidence), q.min_n)
    if q.compare != "none":
        comparison = _additive_compare(q.kpi, total_row, prev_total, length, length, alpha)
        total.comparison = _comparison_out(
            q.kpi,
            "previous_period",
            comparison,
            _additive_estimate(q.kpi, prev_total, q.confidence),
            length,
            length,
        )
    points: list[KpiPoint] = []
    prev_by_group: dict[Any, Mapping[str, Any]] = {}
    if not s.grain and s.by and q.compare == "previous":
        prev_by_group = {
            r["grp"]: r for r in run(ctx.conn, additive_query(ctx.source, previous, use_rollups=ctx.use_rollups))
        }
    last_in_group: dict[Any, tuple[Mapping[str, Any], int]] = {}
    for row in rows:
        group = row["grp"] if s.by else None
        period = _as_date(row["period"]) if s.grain else None
        point = _point(
            q.kpi,
            _additive_estimate(q.kpi, row, q.confidence),
            q.min_n,
            period=period,
            group=_group_value(s.by, group),
        )
        days = _bucket_days(period, s.grain, q.start, q.end) if s.grain else length
        reference: Mapping[str, Any] | None = None
        against, ref_days = "", length
        if s.grain and q.compare != "none" and q.compare_rows and group in last_in_group:
            reference, ref_days = last_in_group[group]
            against = "previous_bucket"
        elif not s.grain and s.by and q.compare == "previous":
            reference = prev_by_group.get(group) or _sum_rows([], q.kpi)
            against = "previous_period"
        elif not s.grain and s.by and q.compare == "rest":
            reference = {k: int(total_row[k] or 0) - int(row[k] or 0) for k in total_row}
            against = "rest"
        if reference is not None:
            comparison = _additive_compare(q.kpi, row, reference, days, ref_days, alpha)
            point.comparison = _comparison_out(
                q.kpi, against, comparison, _additive_estimate(q.kpi, reference, q.confidence), days, ref_days
            )
        if s.grain:
            last_in_group[group] = (row, days)
        points.append(point)
    return total, points


def _bucket_days(period: date | None, grain: str | None, start: date, end: date) -> int:
    """Days of a bucket that fall inside the query's range (for per-day rates of partial buckets)."""
    if period is None or grain is None:
        return _days(start, end)
    if grain == "day":
        following = period + timedelta(days=1)
    elif grain == "week":
        following = period + timedelta(days=7)
    else:
        months = {"month": 1, "quarter": 3, "year": 12}[grain]
        month_index = period.month - 1 + months
        following = date(period.year + month_index // 12, month_index % 12 + 1, 1)
    first, last = max(period, start), min(following - timedelta(days=1), end)
    return max(1, (last - first).days + 1)


def _duration(ctx: _Context, q: KpiQuery, s: Slice) -> tuple[KpiPoint, list[KpiPoint]]:
    z = float(stats.norm.ppf(0.5 + q.confidence / 2))
    factor = 1.0 / DURATION_SCALE[q.kpi]

    def point(row: Mapping[str, Any] | None, **extra: Any) -> KpiPoint:
        if row is None or not row["n"]:
            return KpiPoint(n=0, value=None, low=None, high=None, small_sample=True, **extra)
        return KpiPoint(
            n=int(row["n"]),
            value=_scaled(row["median"], factor),
            low=_scaled(row["low"], factor),
            high=_scaled(row["high"], factor),
            p90=_scaled(row["p90"], factor),
            small_sample=int(row["n"]) < q.min_n,
            **extra,
        )

    if ctx.source.name == "analytic" and ctx.conn.dialect.name == "duckdb":
        return _duration_by_histogram(ctx, q, s, z, point, factor)
    rows = run(ctx.conn, duration_query(ctx.source, s, z))
    total_slice = replace(s, grain=None, by=None)
    total_rows = run(ctx.conn, duration_query(ctx.source, total_slice, z))
    total = point(total_rows[0] if total_rows else None)
    if q.compare != "none" and total.n:
        total.comparison = _duration_compare(ctx, q, total_slice, z, total, factor)
    points = [
        point(
            row,
            period=_as_date(row["period"]) if s.grain else None,
            group=_group_value(s.by, row["grp"]) if s.by else None,
        )
        for row in rows
    ]
    if s.by and not s.grain and q.compare == "previous" and rows:
        _duration_compare_groups(ctx, q, s, z, rows, points, factor)
    return total, points


def _duration_by_histogram(
    ctx: _Context,
    q: KpiQuery,
    s: Slice,
    z: float,
    point: Callable[..., KpiPoint],
    factor: float,
) -> tuple[KpiPoint, list[KpiPoint]]:
    """_duration's answer on DuckDB: one statement for the rows and one for the total (with Mood's test).

    duration_stats_query gives the same order statistics, previous-period medians and counts above
    the pooled median as the portable window queries, without sorting every duration (tests/metrics
    compare both engines).
    """
    since = _previous(q, s).start
    by_group = bool(s.by) and not s.grain and q.compare == "previous"
    total_slice = replace(s, grain=None, by=None)
    use = ctx.use_rollups
    total_since = since if q.compare != "none" else None
    total_rows = run(ctx.conn, duration_stats_query(ctx.source, total_slice, z, since=total_since, use_histograms=use))
    total_row = total_rows[0] if total_rows else None
    total = point(total_row)
    if q.compare != "none" and total.n and total_row is not None and total_row["prev_n"]:
        total.comparison = _mood_from_stats(total_row, total.value, q, factor)
    if not (s.grain or s.by):
        return total, [point(total_row)]  # the portable query's one row, even over no data
    rows = run(ctx.conn, duration_stats_query(ctx.source, s, z, since=since if by_group else None, use_histograms=use))
    points = [
        point(
            row,
            period=_as_date(row["period"]) if s.grain else None,
            group=_group_value(s.by, row["grp"]) if s.by else None,
        )
        for row in rows
    ]
    if by_group:
        for row, p in zip(rows, points, strict=True):
            if row["grp"] is not None and row["prev_n"]:
                p.comparison = _mood_from_stats(row, p.value, q, factor)
    return total, points


def _mood_from_stats(row: Mapping[str, Any], current: float | None, q: KpiQuery, factor: float) -> ComparisonOut:
    now = {"above": row["above_now"], "n": row["n"]}
    then = {"above": row["above_then"], "n": row["prev_n"]}
    before = {"median": row["prev_median"], "n": row["prev_n"]}
    return _mood_comparison(now, then, before, current, q, factor)


def _previous(q: KpiQuery, s: Slice) -> Slice:
    """The same slice over the period of equal length just before the query's."""
    length = _days(q.start, q.end)
    return replace(s, start=q.start - timedelta(days=length), end=q.start - timedelta(days=1))


def _mood_comparison(
    now: Mapping[str, Any],
    then: Mapping[str, Any],
    before: Mapping[str, Any],
    current: float | None,
    q: KpiQuery,
    factor: float,
) -> ComparisonOut:
    """A median against the previous period's: counts above the pooled median, Mood's test."""
    test = logic.mood_median_test(
        int(now["above"]), int(now["n"]), int(then["above"]), int(then["n"]), 1 - q.confidence
    )
    reference = _scaled(before["median"], factor)
    return ComparisonOut(
        against="previous_period",
        reference_value=reference,
        reference_n=int(before["n"]),
        difference=None if current is None or reference is None else current - reference,
        low=None,
        high=None,
        statistic=test.statistic,
        p_value=test.p_value,
        df=test.df,
        significant=test.significant,
        method=test.method,
    )


def _duration_compare_groups(
    ctx: _Context,
    q: KpiQuery,
    s: Slice,
    z: float,
    rows: Sequence[Mapping[str, Any]],
    points: list[KpiPoint],
    factor: float,
) -> None:
    """Each group's median against the same group's in the previous period (Mood's median test)."""
    previous = _previous(q, s)
    before = {r["grp"]: r for r in run(ctx.conn, duration_query(ctx.source, previous, z)) if r["n"]}
    pooled = {
        r["grp"]: float(r["median"])
        for r in run(ctx.conn, duration_query(ctx.source, replace(s, start=previous.start), z))
        if r["grp"] is not None and r["grp"] in before
    }
    if not pooled:
        return
    now = {r["grp"]: r for r in run(ctx.conn, above_by_group_query(ctx.source, s, pooled))}
    then = {r["grp"]: r for r in run(ctx.conn, above_by_group_query(ctx.source, previous, pooled))}
    for row, point in zip(rows, points, strict=True):
        key = row["grp"]
        if key not in pooled or key not in now or key not in then:
            continue
        point.comparison = _mood_comparison(now[key], then[key], before[key], point.value, q, factor)


def _duration_compare(
    ctx: _Context, q: KpiQuery, s: Slice, z: float, current: KpiPoint, factor: float
) -> ComparisonOut | None:
    """The period's median against the previous period's, with Mood's median test."""
    previous = _previous(q, s)
    before = run(ctx.conn, duration_query(ctx.source, previous, z))
    if not before or not before[0]["n"]:
        return None
    pooled = run(ctx.conn, duration_query(ctx.source, replace(s, start=previous.start), z))[0]["median"]
    now = run(ctx.conn, above_query(ctx.source, s, float(pooled)))[0]
    then = run(ctx.conn, above_query(ctx.source, previous, float(pooled)))[0]
    return _mood_comparison(now, then, before[0], current.value, q, factor)


def compute_on(
    conn: Connection, source: FactSource, session: Session, q: KpiQuery, *, use_rollups: bool = True
) -> KpiResult:
    """Compute a KPI on one engine (`conn` runs the fact queries; `session` resolves names)."""
    q.validate()
    filters = tuple(
        (dimension, _resolve_filter(session, dimension, values)) for dimension, values in q.filters.items() if values
    )
    s = Slice(kpi=q.kpi, start=q.start, end=q.end, grain=q.grain, by=q.by, filters=filters)
    ctx = _Context(conn, source, use_rollups)
    if q.kpi in DURATION_COLUMNS:
        total, points = _duration(ctx, q, s)
    else:
        total, points = _additive(ctx, q, s)
    if q.by:
        names = _labels(session, q.by, {p.group for p in points})
        for p in points:
            p.label = names.get(p.group, None if p.group is None else str(p.group))
    if q.only_min_n:
        points = [p for p in points if p.n >= q.min_n]
    if q.sort != "key":

        def sort_key(p: KpiPoint) -> tuple[bool, float, tuple[int, float, str]]:
            number = float(p.n) if q.sort == "n" else (p.value if p.value is not None else float("-inf"))
            # Ties in a natural order of the group (ids numerically), so a top-N list is stable.
            group = (0, float(p.group), "") if isinstance(p.group, int) else (1, 0.0, str(p.group))
            return (p.value is None, -number if q.sort in ("-value", "n") else number, group)

        points.sort(key=sort_key)
    if q.limit is not None:
        points = points[: q.limit]
    return KpiResult(
        kpi=KPIS[q.kpi],
        start=q.start,
        end=q.end,
        grain=q.grain,
        by=q.by,
        filters={k: [str(v) for v in vs] for k, vs in q.filters.items() if vs},
        timezone=source.timezone,
        engine=f"{source.name}:{conn.dialect.name}",
        confidence=q.confidence,
        min_n=q.min_n,
        total=total,
        rows=points,
    )


def compute(runtime: Runtime, q: KpiQuery, *, engine: Engine = "auto") -> KpiResult:
    """Compute a KPI: on the analytic store (synced first), or on the operational store."""
    return compute_many(runtime, [q], engine=engine)[0]


def scope_filters(principal: Principal) -> dict[str, list[str]]:
    """The filters a principal's role imposes: a supervisor sees their team, an agent themselves."""
    if principal.role is Role.SUPERVISOR:
        if principal.team_id is None:
            raise Forbidden("a supervisor without a team sees no data / supervisor sin equipo")
        return {"team": [str(principal.team_id)]}
    if principal.role is Role.AGENT:
        if principal.user_id is None:
            raise Forbidden("an agent token must belong to a user / el token debe pertenecer a un usuario")
        return {"agent": [str(principal.user_id)]}
    return {}


def today(runtime: Runtime) -> date:
    """Today's date in the organisation's time zone (the default end of a KPI's range)."""
    from zoneinfo import ZoneInfo

    with runtime.sessions(bind=runtime.engine.execution_options(**READ_ONLY)) as session, session.begin():
        timezone = accounts.organization_timezone(session, default=runtime.settings.timezone)
    return utcnow().astimezone(ZoneInfo(timezone)).date()


def compute_many(runtime: Runtime, queries: Sequence[KpiQuery], *, engine: Engine = "auto") -> list[KpiResult]:
    """Several KPIs for one screen (a dashboard's widgets): one sync, one session, one connection."""
    from pulso.analytics import service as analytics
    from pulso.analytics.store import AnalyticStoreBusy

    if not queries:
        return []
    with runtime.sessions() as session, session.begin():
        timezone = accounts.organization_timezone(session, default=runtime.settings.timezone)
        if engine in ("auto", "analytic"):
            try:
                store = runtime.analytics
                analytics.sync_store(session, store)
            except AnalyticStoreBusy:
                if engine == "analytic":
                    raise
                names = ", ".join(q.kpi for q in queries)
                log.warning("analytic store busy; computing %s on the operational store", names)
            else:
                with store.engine.connect() as conn:
                    return [compute_on(conn, FactSource("analytic", timezone), session, q) for q in queries]
        source = FactSource("operational", timezone)
        return [compute_on(session.connection(), source, session, q) for q in queries]


@dataclass(frozen=True, slots=True)
class DimensionOption:
    key: int  # the id stored in the facts
    value: str  # what a filter takes in a URL: the code of a touchpoint, the id of a team or product
    label: str


def dimension_options(session: Session, *, limit: int = 1000) -> dict[str, list[DimensionOption]]:
    """The teams, touchpoints and products a filter can name, labelled as the KPI breakdowns label them."""
    teams = session.execute(select(Team.id, Team.name).order_by(Team.name).limit(limit))
    touchpoints = session.execute(
        select(Touchpoint.id, Touchpoint.code, Touchpoint.name).order_by(Touchpoint.name, Touchpoint.code).limit(limit)
    )
    products = session.execute(select(Product.id, Product.name).order_by(Product.name).limit(limit))
    return {
        "team": [DimensionOption(i, str(i), name) for i, name in teams],
        "touchpoint": [DimensionOption(i, code, name) for i, code, name in touchpoints],
        "product": [DimensionOption(i, str(i), name) for i, name in products],
    }
