"""Pure parts of the overview benchmark: the seeded plan of varied loads, and the statistics of the timings.

No clock, no database and no request here (they live in bench/service.py), so the plan and the
percentiles are tested with plain numbers.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pulso.metrics.logic import preset_range

# The overview's date presets (src/pulso/metrics/pages.py); every one ends today in the organisation's zone.
PERIODS: tuple[str, ...] = ("7d", "30d", "90d", "this_month", "last_month", "12m")
DEFAULT_PERIOD = "90d"
# The KPIs of the overview's cards; the trend and the table each show one of them.
CARD_KPIS: tuple[str, ...] = (
    "nps",
    "csat",
    "ces",
    "fcr",
    "first_response_time",
    "resolution_time",
    "volume",
)
BREAKDOWNS: tuple[str, ...] = (
    "touchpoint",
    "stage",
    "team",
    "agent",
    "channel",
    "product",
    "segment",
    "region",
    "language",
    "key_account",
)
FILTER_DIMENSIONS: tuple[str, ...] = ("channel", "team", "touchpoint", "segment", "product", "language")
SORTS: tuple[str, ...] = ("-n", "n", "-value", "value", "label", "-label", "change", "-change")
GRAINS: tuple[str, ...] = ("day", "week", "month")
# Feedback-only dimensions: interaction KPIs (FCR, times) record no language.
FEEDBACK_ONLY = frozenset({"language"})
INTERACTION_KPIS = frozenset({"fcr", "first_response_time", "resolution_time", "contacts"})


@dataclass(frozen=True, slots=True)
class Choices:
    """What the plan may pick from: today, the data's days, and the values each filter dimension holds."""

    today: date
    first_day: date
    last_day: date
    values: Mapping[str, Sequence[str]]  # filter dimension -> values as the page takes them in its URL


@dataclass(frozen=True, slots=True)
class Load:
    """One load of the overview: the full page or its HTMX results fragment, with its view."""

    index: int
    fragment: bool
    period: str  # one of PERIODS, or "custom"
    start: date
    end: date
    filters: tuple[tuple[str, str], ...]
    trend: str
    table: str
    by: str
    sort: str
    grain: str | None  # None: the page picks it from the range

    def axes(self) -> dict[str, str]:
        """The load's place on each axis of variation, for the per-variant medians."""
        return {
            "kind": "fragment" if self.fragment else "full",
            "period": self.period,
            "filters": str(len(self.filters)),
            "filter": "+".join(d for d, _ in self.filters) or "none",
            "trend": self.trend,
            "table": self.table,
            "by": self.by,
            "grain": self.grain or "auto",
        }

    def params(self) -> dict[str, str]:
        """The page's query string for this load."""
        out = {"period": self.period}
        if self.period == "custom":
            out.update({"from": self.start.isoformat(), "to": self.end.isoformat()})
        out.update(dict(self.filters))
        out.update({"trend": self.trend, "table": self.table, "by": self.by, "sort": self.sort})
        if self.grain:
            out["grain"] = self.grain
        return out


def plan(choices: Choices, *, loads: int, seed: int, fragment_share: float = 0.5) -> list[Load]:
    """`loads` varied loads drawn from a seeded generator: the same seed and choices give the same plan.

    The first load is the page as first opened (no parameter's choice: 90 days, NPS, by touchpoint).
    Then: an HTMX fragment half the time; a preset two times in three, else a custom range of 7 to
    365 days inside the data; no filter a third of the time, one filter half the time, else two (one
    value each, different dimensions); the trend's KPI, the table's KPI, the breakdown and the sort
    drawn uniformly (a feedback-only breakdown is not paired with an interaction KPI, which the page
    refuses); the page's automatic grain four times in five, else day, week or month.
    """
    if loads < 0:
        raise ValueError("loads must not be negative")
    rng = random.Random(seed)  # noqa: S311 - a reproducible plan, not a secret
    dimensions = [d for d in FILTER_DIMENSIONS if choices.values.get(d)]
    span = (choices.last_day - choices.first_day).days + 1
    out: list[Load] = []
    for index in range(loads):
        if index == 0:
            start, end = preset_range(DEFAULT_PERIOD, choices.today)
            out.append(Load(0, False, DEFAULT_PERIOD, start, end, (), "nps", "nps", "touchpoint", "-n", None))
            continue
        fragment = rng.random() < fragment_share
        if rng.random() < 2 / 3:
            period = rng.choice(PERIODS)
            start, end = preset_range(period, choices.today)
        else:
            period = "custom"
            length = min(span, rng.randint(7, 365))
            start = choices.first_day + timedelta(days=rng.randint(0, span - length))
            end = start + timedelta(days=length - 1)
        roll = rng.random()
        count = 0 if roll < 1 / 3 else (1 if roll < 5 / 6 else 2)
        picked = sorted(rng.sample(dimensions, min(count, len(dimensions))))
        filters = tuple((d, str(rng.choice(list(choices.values[d])))) for d in picked)
        trend, table = rng.choice(CARD_KPIS), rng.choice(CARD_KPIS)
        breakdowns = [b for b in BREAKDOWNS if not (table in INTERACTION_KPIS and b in FEEDBACK_ONLY)]
        by = rng.choice(breakdowns)
        sort = rng.choice(SORTS)
        grain = rng.choice(GRAINS) if rng.random() < 0.2 else None
        out.append(Load(index, fragment, period, start, end, filters, trend, table, by, sort, grain))
    return out


def auto_grain(start: date, end: date) -> str:
    """The trend's grain the page picks for a range: days up to 45 days, weeks up to 200, months beyond."""
    days = (end - start).days + 1
    return "day" if days <= 45 else ("week" if days <= 200 else "month")


def api_requests(load: Load) -> list[tuple[str, dict[str, str | list[str]]]]:
    """The JSON API calls that compute what one overview load shows, as the page plans them.

    The trend (by grain) and the table (by the breakdown) give their KPIs' cards; each other card is
    one total; a full page also lists the segments and languages of the last year for its selects.
    """

    def params(kpi: str, start: date, end: date, **extra: str) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {"from": start.isoformat(), "to": end.isoformat()}
        for dimension, value in load.filters:
            if not (kpi in INTERACTION_KPIS and dimension in FEEDBACK_ONLY):
                out[dimension] = [value]
        out.update(extra)
        return out

    grain = load.grain or auto_grain(load.start, load.end)
    calls: list[tuple[str, dict[str, str | list[str]]]] = [
        (f"/api/v1/metrics/{load.trend}", params(load.trend, load.start, load.end, grain=grain)),
        (f"/api/v1/metrics/{load.table}", params(load.table, load.start, load.end, by=load.by)),
    ]
    calls += [
        (f"/api/v1/metrics/{kpi}", params(kpi, load.start, load.end))
        for kpi in CARD_KPIS
        if kpi not in (load.trend, load.table)
    ]
    if not load.fragment:
        year = load.end - timedelta(days=364)
        calls += [
            (
                "/api/v1/metrics/volume",
                {"from": year.isoformat(), "to": load.end.isoformat(), "by": d, "compare": "none"},
            )
            for d in ("segment", "language")
        ]
    return calls


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between order statistics (numpy's default)."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError("q must lie between 0 and 100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    median: float
    p95: float
    max: float
    min: float
    mean: float

    def as_dict(self, digits: int = 1) -> dict[str, float | int]:
        return {
            "n": self.n,
            "median": round(self.median, digits),
            "p95": round(self.p95, digits),
            "max": round(self.max, digits),
            "min": round(self.min, digits),
            "mean": round(self.mean, digits),
        }


def summarise(values: Sequence[float]) -> Summary:
    return Summary(
        n=len(values),
        median=statistics.median(values),
        p95=percentile(values, 95),
        max=max(values),
        min=min(values),
        mean=statistics.fmean(values),
    )


def by_axis(loads: Sequence[Load], times: Sequence[float]) -> dict[str, dict[str, Summary]]:
    """Group the timings by each axis of the loads (kind, dates, filter, by, kpi) and summarise each group."""
    if len(loads) != len(times):
        raise ValueError("one time per load")
    groups: dict[str, dict[str, list[float]]] = {}
    for load, seconds in zip(loads, times, strict=True):
        for axis, value in load.axes().items():
            groups.setdefault(axis, {}).setdefault(value, []).append(seconds)
    return {axis: {value: summarise(values) for value, values in sorted(per.items())} for axis, per in groups.items()}
