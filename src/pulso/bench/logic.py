"""Pure parts of the benchmarks: the overview's seeded plan of varied loads, the closed loop's schedule
and matching of posts to e-mails, and the statistics of the timings.

No clock, no database and no request here (they live in bench/service.py and bench/closed_loop.py), so
the plans, the matching and the percentiles are tested with plain numbers.
"""

from __future__ import annotations

import math
import random
import re
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


# --------------------------------------------------------------------------- the closed loop (`pulso bench cases`)

# The bench's external ids: "cl", the run's tag (6 hex digits), a dash, the post's index. The tag keeps a
# message of an earlier run (or of anyone else's) from ever matching a post of this one.
_ID_DIGITS = 6


def send_schedule(rate: float, seconds: float) -> list[float]:
    """When each post is due, in seconds from the start: `rate` a second, evenly spaced, for `seconds`.

    Open loop: the offsets are fixed before the run, so a slow server shows as latency, not as a lower rate.
    """
    if not rate > 0 or not math.isfinite(rate):
        raise ValueError("rate must be a positive number")
    if not seconds >= 0 or not math.isfinite(seconds):
        raise ValueError("seconds must not be negative")
    return [i / rate for i in range(round(rate * seconds))]


def external_id(tag: str, index: int) -> str:
    """The external id of post `index` of the run tagged `tag` (also the customer's id and name)."""
    if not re.fullmatch(r"[0-9a-f]{6}", tag):
        raise ValueError("the tag is 6 lower-case hex digits")
    if not 0 <= index < 10**_ID_DIGITS:
        raise ValueError(f"index must lie in [0, {10**_ID_DIGITS})")
    return f"cl{tag}-{index:0{_ID_DIGITS}d}"


def ids_in(text: str, tag: str) -> list[str]:
    """The run's external ids named in a text (an e-mail's subject and body), each once, in order."""
    found = re.findall(rf"(?<![0-9A-Za-z])cl{re.escape(tag)}-\d{{{_ID_DIGITS}}}(?!\d)", text)
    return list(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class Matching:
    """Posts matched to the e-mails that arrived for them."""

    latencies: dict[str, float]  # external id -> first arrival minus the post's send time
    duplicates: dict[str, int]  # external id -> arrivals beyond the first
    missing: tuple[str, ...]  # posted ids no e-mail named, in the order of `sent`
    unexpected: int  # arrivals naming no id of `sent` (or more than one)

    @property
    def duplicated(self) -> int:
        return sum(self.duplicates.values())


def match_arrivals(sent: Mapping[str, float], arrivals: Sequence[tuple[str | None, float]]) -> Matching:
    """Match each arrival (the id its e-mail names, or None; when it arrived) to the post sent with that id."""
    first: dict[str, float] = {}
    extra: dict[str, int] = {}
    unexpected = 0
    for key, at in sorted(arrivals, key=lambda a: a[1]):
        if key is None or key not in sent:
            unexpected += 1
        elif key in first:
            extra[key] = extra.get(key, 0) + 1
        else:
            first[key] = at
    return Matching(
        latencies={key: at - sent[key] for key, at in first.items()},
        duplicates=extra,
        missing=tuple(key for key in sent if key not in first),
        unexpected=unexpected,
    )


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles of a set of durations, in seconds."""

    n: int
    p50: float
    p90: float
    p99: float
    max: float
    min: float
    mean: float

    def as_ms(self, digits: int = 1) -> dict[str, float | int]:
        """In milliseconds, for the report and its JSON."""
        values = {k: round(getattr(self, k) * 1000, digits) for k in ("p50", "p90", "p99", "max", "min", "mean")}
        return {"n": self.n, **values}


def latency(values: Sequence[float]) -> Latency | None:
    """p50, p90, p99, max (and min, mean) of durations; None when there are none."""
    if not values:
        return None
    return Latency(
        n=len(values),
        p50=percentile(values, 50),
        p90=percentile(values, 90),
        p99=percentile(values, 99),
        max=max(values),
        min=min(values),
        mean=statistics.fmean(values),
    )


def achieved_rate(times: Sequence[float]) -> float | None:
    """Posts a second over the span from the first send to the last (None with fewer than two)."""
    if len(times) < 2:
        return None
    span = max(times) - min(times)
    return (len(times) - 1) / span if span > 0 else None


@dataclass(frozen=True, slots=True)
class Trace:
    """One post's way through the loop, every instant on the bench's clock (None: not known)."""

    sent: float  # the POST left
    answered: float | None  # its response came back
    opened: float | None  # the case's opened_at: when the rules run that opened it started
    published: float | None  # its notification's created_at, in that run's transaction
    arrived: float | None  # the e-mail reached the SMTP sink


# Each stage ends where the next begins, so the four add up to the whole latency of one post.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("api", "sent", "answered"),
    ("to_rules_run", "answered", "opened"),
    ("in_rules_run", "opened", "published"),
    ("to_smtp", "published", "arrived"),
)


def stage_breakdown(traces: Sequence[Trace]) -> dict[str, Latency | None]:
    """The percentiles of each stage over the traces that know both of its ends."""
    out: dict[str, Latency | None] = {}
    for name, start, end in STAGES:
        durations = []
        for trace in traces:
            a, b = getattr(trace, start), getattr(trace, end)
            if a is not None and b is not None:
                durations.append(b - a)
        out[name] = latency(durations)
    return out


def loop_problems(*, sent: int, accepted: int, cases: int, matching: Matching) -> list[str]:
    """What broke "nothing lost, nothing duplicated"; an empty list when nothing did."""
    problems = []
    if accepted < sent:
        problems.append(f"{sent - accepted} of {sent} posts were not accepted")
    if matching.missing:
        problems.append(f"{len(matching.missing)} accepted posts got no e-mail")
    if matching.duplicated:
        problems.append(f"{matching.duplicated} duplicate e-mails (for {len(matching.duplicates)} posts)")
    if cases != accepted:
        problems.append(f"{cases} cases opened for {accepted} accepted posts")
    if matching.unexpected:
        problems.append(f"{matching.unexpected} e-mails name no post of this run")
    return problems
