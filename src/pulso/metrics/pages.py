"""The CX overview, Pulso's landing page: KPI cards, a trend with its confidence band, a breakdown table.

Everything the page shows lives in the URL (a GET form), so a view can be bookmarked; HTMX swaps only
the results. One KPI engine call per card, one for the trend and one for the table, all in one
`compute_many` (one sync of the analytic store); the trend's and the table's totals fill their cards.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.feedback.models import Feedback
from pulso.interactions.enums import Channel
from pulso.interactions.models import Interaction
from pulso.kit.errors import ValidationFailed
from pulso.kit.export import csv_cell
from pulso.metrics import service
from pulso.metrics.logic import preset_range
from pulso.metrics.repository import INTERACTION_KPIS
from pulso.metrics.schemas import KpiPoint, KpiResult
from pulso.web import i18n
from pulso.web.deps import CurrentUser, DbSession, PageUser, get_runtime, page_router
from pulso.web.i18n import N_
from pulso.web.templating import is_htmx, render, request_locale, tr

router = page_router()

RESULTS_ID = "overview-results"
CARD_KPIS = ("nps", "csat", "ces", "fcr", "first_response_time", "resolution_time", "volume")
KPI_NAMES = {
    "nps": N_("NPS"),
    "csat": N_("CSAT"),
    "ces": N_("Customer effort (CES)"),
    "fcr": N_("First-contact resolution"),
    "first_response_time": N_("First-response time"),
    "resolution_time": N_("Resolution time"),
    "volume": N_("Feedback volume"),
}
KPI_HELP = {
    "nps": N_("Promoters minus detractors, −100 to 100"),
    "csat": N_("Share of 4–5 answers"),
    "ces": N_("Mean effort, 1 very easy to 7 very hard"),
    "fcr": N_("Resolved in one contact"),
    "first_response_time": N_("Median; from interactions"),
    "resolution_time": N_("Median; from interactions"),
    "volume": N_("Pieces of feedback received"),
}
UNIT_NAMES = {
    "nps": N_("points"),
    "csat": "%",
    "ces": N_("effort (1–7)"),
    "fcr": "%",
    "first_response_time": N_("minutes"),
    "resolution_time": N_("hours"),
    "volume": N_("pieces of feedback"),
}
PRESETS = {
    "7d": N_("Last 7 days"),
    "30d": N_("Last 30 days"),
    "90d": N_("Last 90 days"),
    "this_month": N_("This month"),
    "last_month": N_("Last month"),
    "12m": N_("Last 12 months"),
    "custom": N_("Custom dates"),
}
DEFAULT_PERIOD = "90d"
GRAIN_NAMES = {"day": N_("day"), "week": N_("week"), "month": N_("month")}
DIMENSIONS = {
    "touchpoint": N_("Touchpoint"),
    "stage": N_("Journey stage"),
    "team": N_("Team"),
    "agent": N_("Agent"),
    "channel": N_("Channel"),
    "product": N_("Product"),
    "segment": N_("Segment"),
    "region": N_("Region"),
    "language": N_("Language"),
    "key_account": N_("Key account"),
}
FEEDBACK_ONLY = {"language"}
CHANNEL_NAMES: dict[str, str] = {
    Channel.WEB.value: N_("Web"),
    Channel.APP.value: N_("App"),
    Channel.PHONE.value: N_("Phone"),
    Channel.EMAIL.value: N_("E-mail"),
    Channel.CHAT.value: N_("Chat"),
    Channel.WHATSAPP.value: N_("WhatsApp"),
    Channel.STORE.value: N_("Store"),
    Channel.SOCIAL.value: N_("Social media"),
    Channel.OTHER.value: N_("Other"),
}
LANGUAGE_NAMES = {"es": N_("Spanish"), "en": N_("English"), "pt": N_("Portuguese"), "fr": N_("French")}
FILTERS = ("channel", "team", "touchpoint", "segment", "product", "language")
SORT_COLUMNS = ("label", "value", "n", "change")
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2100, 12, 31)
MAX_DAYS = 5 * 366
MIN_N = 30
CONFIDENCE = 0.95


# --------------------------------------------------------------------------- the view in the URL


@dataclass
class View:
    """What the page shows, read from (and written back to) the URL."""

    period: str = DEFAULT_PERIOD
    start: date = date(2000, 1, 1)
    end: date = date(2000, 1, 1)
    filters: dict[str, str] = field(default_factory=dict)
    trend: str = "nps"
    grain: str = "week"
    grain_auto: bool = True
    table: str = "nps"
    by: str = "touchpoint"
    sort: str = "-n"
    errors: list[str] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> tuple[date, date]:
        return self.start - timedelta(days=self.days), self.start - timedelta(days=1)

    def params(self) -> dict[str, str]:
        """The URL parameters that rebuild this view (links keep them)."""
        out: dict[str, str] = {"period": self.period}
        if self.period == "custom":
            out.update({"from": self.start.isoformat(), "to": self.end.isoformat()})
        out.update(self.filters)
        out.update({"trend": self.trend, "table": self.table, "by": self.by, "sort": self.sort})
        if not self.grain_auto:
            out["grain"] = self.grain
        return out


def auto_grain(days: int) -> str:
    """Some 7 to 60 points on the trend."""
    if days <= 45:
        return "day"
    if days <= 200:
        return "week"
    return "month"


def _one(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    return str(value).strip() if value is not None else ""


def parse_view(params: Mapping[str, Any], today: date, gettext: Callable[[str], str]) -> View:
    """The view a query string asks for; what is wrong lands in `errors` (named, translated) with defaults."""
    view = View()
    errors = view.errors

    def bad(text: str, **values: str) -> None:
        errors.append(text % values)

    period = _one(params, "period") or ("custom" if _one(params, "from") or _one(params, "to") else DEFAULT_PERIOD)
    if period not in PRESETS:
        bad(gettext("Period: “%(value)s” is not one of the offered periods."), value=period)
        period = DEFAULT_PERIOD
    view.period = period
    view.start, view.end = preset_range(DEFAULT_PERIOD if period == "custom" else period, today)
    if period == "custom":
        dates: dict[str, date] = {}
        for name, label, default in (("from", N_("From"), today - timedelta(days=89)), ("to", N_("To"), today)):
            text = _one(params, name)
            try:
                dates[name] = date.fromisoformat(text) if text else default
            except ValueError:
                bad(gettext("%(field)s: “%(value)s” is not a date (YYYY-MM-DD)."), field=gettext(label), value=text)
                dates[name] = default
            if not FIRST_DAY <= dates[name] <= LAST_DAY:
                bad(gettext("%(field)s: choose a date between 1970 and 2100."), field=gettext(label))
                dates[name] = default
        if dates["to"] < dates["from"]:
            bad(gettext("To: the end date is before the start date."))
        elif (dates["to"] - dates["from"]).days + 1 > MAX_DAYS:
            bad(gettext("To: choose a range of at most five years."))
        else:
            view.start, view.end = dates["from"], dates["to"]

    for name in FILTERS:
        value = _one(params, name)
        if value:
            if len(value) > 200:
                bad(gettext("%(field)s: the value is too long."), field=gettext(DIMENSIONS[name]))
                continue
            view.filters[name] = value
    channel = view.filters.get("channel")
    if channel is not None and channel not in CHANNEL_NAMES:
        bad(gettext("Channel: “%(value)s” is not a channel."), value=channel)
        view.filters.pop("channel")

    for param, label in (("trend", N_("Chart KPI")), ("table", N_("Table KPI"))):
        kpi = _one(params, param) or "nps"
        if kpi not in CARD_KPIS:
            bad(gettext("%(field)s: “%(value)s” is not a KPI of the overview."), field=gettext(label), value=kpi)
            kpi = "nps"
        setattr(view, param, kpi)
    by = _one(params, "by") or "touchpoint"
    if by not in DIMENSIONS:
        bad(gettext("Breakdown: “%(value)s” is not a dimension."), value=by)
        by = "touchpoint"
    if by in FEEDBACK_ONLY and view.table in INTERACTION_KPIS:
        bad(
            gettext("Breakdown: %(dimension)s is not recorded for interactions; choose another dimension or KPI."),
            dimension=gettext(DIMENSIONS[by]),
        )
        by = "touchpoint"
    view.by = by
    grain = _one(params, "grain")
    if grain and grain not in GRAIN_NAMES:
        bad(gettext("Granularity: “%(value)s” is not day, week or month."), value=grain)
        grain = ""
    view.grain_auto = not grain
    view.grain = grain or auto_grain(view.days)
    sort = _one(params, "sort") or "-n"
    if sort.lstrip("-") not in SORT_COLUMNS:
        bad(gettext("Sort: “%(value)s” is not a column of the table."), value=sort)
        sort = "-n"
    view.sort = sort
    return view


def check_entities(
    view: View, options: Mapping[str, Sequence[service.DimensionOption]], gettext: Callable[[str], str]
) -> None:
    """Team, touchpoint and product filters must name something that exists."""
    for name, msgid in (
        ("team", N_("Team: there is no team “%(value)s”.")),
        ("touchpoint", N_("Touchpoint: there is no touchpoint with the code “%(value)s”.")),
        ("product", N_("Product: there is no product “%(value)s”.")),
    ):
        value = view.filters.get(name)
        if value is not None and value not in {o.value for o in options.get(name, ())}:
            view.errors.append(gettext(msgid) % {"value": value})
            view.filters.pop(name)


# --------------------------------------------------------------------------- formatting


def compact_duration(seconds: float | None, locale: str) -> str:
    """A duration a person reads at a glance: 45 s, 3 min 05 s, 12 min, 3 h 05 min, 2 d 4 h."""
    if seconds is None or math.isnan(seconds):
        return "—"
    if seconds < 59.5:
        return f"{i18n.format_integer(round(seconds), locale)} s"
    if seconds < 599.5:  # under ten minutes the seconds still matter
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
    days, hours = divmod(round(seconds / 3600), 24)
    return f"{i18n.format_integer(days, locale)} d {hours} h" if hours else f"{i18n.format_integer(days, locale)} d"


def format_value(kpi: str, value: float | None, locale: str) -> str:
    if value is None or math.isnan(value):
        return "—"
    if kpi == "nps":
        return i18n.format_number(value, locale, 1)
    if kpi in ("csat", "fcr"):
        return i18n.format_percent(value / 100, locale, 1)
    if kpi == "ces":
        return i18n.format_number(value, locale, 2)
    if kpi in service.DURATION_SCALE:
        return compact_duration(value * service.DURATION_SCALE[kpi], locale)
    return i18n.format_integer(value, locale)


def format_change(kpi: str, difference: float, reference: float | None, locale: str) -> str:
    sign = "+" if difference > 0 else "-" if difference < 0 else "±"
    size = abs(difference)
    if kpi == "nps":
        return f"{sign}{i18n.format_number(size, locale, 1)} pts"
    if kpi in ("csat", "fcr"):
        return f"{sign}{i18n.format_number(size, locale, 1)} pp"
    if kpi == "ces":
        return f"{sign}{i18n.format_number(size, locale, 2)}"
    if kpi in service.DURATION_SCALE:
        return f"{sign}{compact_duration(size * service.DURATION_SCALE[kpi], locale)}"
    text = f"{sign}{i18n.format_integer(size, locale)}"
    if reference:
        text += f" ({sign}{i18n.format_number(100 * size / reference, locale, 1)} %)"
    return text


def _p_value(p: float | None, locale: str) -> str:
    if p is None:
        return "—"
    if p < 0.001:
        return "< " + i18n.format_number(0.001, locale, 3)
    return i18n.format_number(p, locale, 3)


@dataclass
class Change:
    """A change against the previous period, marked only when it is significant."""

    text: str
    significant: bool
    good: bool
    arrow: str
    css: str
    label: str  # what a screen reader says
    detail: str  # reference value and p-value, for the title and the CSV


@dataclass
class Shown:
    """A KPI point as the page shows it."""

    value: str
    low: str
    high: str
    n: int
    n_text: str
    small_sample: bool
    change: Change | None


# More feedback is neither good nor bad in itself: its change is marked, not coloured.
NEUTRAL_DIRECTION = frozenset({"volume"})


def show_change(kpi: str, point: KpiPoint, locale: str, gettext: Callable[[str], str]) -> Change | None:
    c = point.comparison
    if c is None or c.difference is None or c.reference_n == 0:
        return None
    higher_is_better = service.KPIS[kpi].higher_is_better
    good = (c.difference > 0) == higher_is_better
    detail = gettext("Previous period: %(value)s (n = %(n)s); p = %(p)s") % {
        "value": format_value(kpi, c.reference_value, locale),
        "n": i18n.format_integer(c.reference_n, locale),
        "p": _p_value(c.p_value, locale),
    }
    text = format_change(kpi, c.difference, c.reference_value, locale)
    if not c.significant or c.difference == 0:
        return Change(text, False, good, "", "chip", gettext("No significant change"), detail)
    arrow = "▲" if c.difference > 0 else "▼"
    if kpi in NEUTRAL_DIRECTION:
        label = gettext("Significant rise") if c.difference > 0 else gettext("Significant fall")
        return Change(text, True, good, arrow, "chip chip-info", label, detail)
    if good:
        return Change(text, True, True, arrow, "chip chip-good", gettext("Significant improvement"), detail)
    return Change(text, True, False, arrow, "chip chip-bad", gettext("Significant worsening"), detail)


def show(kpi: str, point: KpiPoint, locale: str, gettext: Callable[[str], str]) -> Shown:
    return Shown(
        value=format_value(kpi, point.value, locale),
        low=format_value(kpi, point.low, locale),
        high=format_value(kpi, point.high, locale),
        n=point.n,
        n_text=i18n.format_integer(point.n, locale),
        small_sample=point.small_sample and point.n > 0,
        change=show_change(kpi, point, locale, gettext),
    )


# --------------------------------------------------------------------------- what to compute


def kpi_filters(view: View, kpi: str, scope: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The view's filters that apply to a KPI (interactions record no language), then the role's scope."""
    filters = {k: [v] for k, v in view.filters.items() if not (kpi in INTERACTION_KPIS and k in FEEDBACK_ONLY)}
    if "agent" in scope:
        filters.pop("team", None)  # an agent's own data already is their team's
    filters.update(scope)
    return filters


def _query(view: View, kpi: str, scope: Mapping[str, list[str]], **extra: Any) -> service.KpiQuery:
    return service.KpiQuery(
        kpi=kpi,
        start=view.start,
        end=view.end,
        filters=kpi_filters(view, kpi, scope),
        compare="previous",
        confidence=CONFIDENCE,
        min_n=MIN_N,
        **extra,
    )


@dataclass
class Plan:
    queries: list[service.KpiQuery]
    cards: dict[str, int]  # KPI → the index of the result whose total fills its card
    trend: int | None
    table: int | None
    options: dict[str, int]  # select → the index of the result listing its values


PARTS = frozenset({"cards", "trend", "table"})


def plan(
    view: View, scope: Mapping[str, list[str]], *, parts: frozenset[str] = PARTS, with_options: bool = False
) -> Plan:
    """The fewest engine calls for what is shown: the trend's and the table's totals serve as their cards."""
    queries: list[service.KpiQuery] = []
    cards: dict[str, int] = {}
    trend = table = None
    if "trend" in parts:
        trend = len(queries)
        # The chart and its table show no change between buckets: only the total (a card) is compared.
        queries.append(_query(view, view.trend, scope, grain=view.grain, compare_rows=False))
        cards[view.trend] = trend
    if "table" in parts:
        table = len(queries)
        queries.append(_query(view, view.table, scope, by=view.by))
        cards.setdefault(view.table, table)
    if "cards" in parts:
        for kpi in CARD_KPIS:
            if kpi not in cards:
                cards[kpi] = len(queries)
                queries.append(_query(view, kpi, scope))
    options: dict[str, int] = {}
    if with_options:
        # The values people actually have, over the last year, within the role's scope.
        for dimension in ("segment", "language"):
            options[dimension] = len(queries)
            queries.append(
                service.KpiQuery(
                    kpi="volume",
                    start=view.end - timedelta(days=364),
                    end=view.end,
                    by=dimension,
                    filters=dict(scope),
                    compare="none",
                )
            )
    return Plan(queries, cards, trend, table, options)


# --------------------------------------------------------------------------- links


def explorer_link(view: View, start: date, end: date, **extra: str) -> str:
    """The feedback behind a number: the explorer with the same filters and dates."""
    params: dict[str, str] = {"received_from": start.isoformat(), "received_to": end.isoformat(), **view.filters}
    params.update(extra)
    return "/feedback?" + urlencode(params)


def _bucket_end(period: date, grain: str) -> date:
    if grain == "day":
        return period
    if grain == "week":
        return period + timedelta(days=6)
    following = date(period.year + period.month // 12, period.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _buckets(start: date, end: date, grain: str) -> list[date]:
    if grain == "day":
        first = start
    elif grain == "week":
        first = start - timedelta(days=start.weekday())
    else:
        first = start.replace(day=1)
    out, current = [], first
    while current <= end:
        out.append(current)
        current = _bucket_end(current, grain) + timedelta(days=1)
    return out


def sort_link_state(view: View, column: str) -> tuple[str, str | None]:
    """The sort a header link asks for, and the header's aria-sort."""
    if view.sort == column:
        return "-" + column, "ascending"
    if view.sort == "-" + column:
        return column, "descending"
    return (column if column == "label" else "-" + column), None


# --------------------------------------------------------------------------- the page's model


@dataclass
class Card:
    kpi: str
    name: str
    help: str
    shown: Shown
    note: str | None


@dataclass
class Row:
    label: str
    key: Any
    shown: Shown
    point: KpiPoint
    link: str | None


@dataclass
class Results:
    cards: list[Card]
    rows: list[Row]
    trend: dict[str, Any]
    trend_rows: list[dict[str, Any]]
    trend_summary: str
    table_total: Shown


def _label(view: View, point: KpiPoint, gettext: Callable[[str], str]) -> str:
    if point.group is None:
        return gettext("Not recorded")
    if view.by == "channel":
        name = CHANNEL_NAMES.get(str(point.group))
        return gettext(name) if name else str(point.group)
    if view.by == "language":
        name = LANGUAGE_NAMES.get(str(point.group))
        return f"{gettext(name)} ({point.group})" if name else str(point.group)
    if view.by == "key_account":
        return gettext("Key accounts") if point.group else gettext("Other accounts")
    return point.label or str(point.group)


# The explorer's filters for each breakdown dimension (it has none for journey stages or key accounts).
DRILLABLE = frozenset({"touchpoint", "team", "product", "channel", "segment", "language", "agent", "region"})


def _row_link(view: View, point: KpiPoint, touchpoint_codes: Mapping[int, str]) -> str | None:
    """The explorer showing the feedback of one row: the view's filters plus the row's own."""
    if point.group is None or view.by not in DRILLABLE:
        return None
    value = str(point.group)
    if view.by == "touchpoint":
        code = touchpoint_codes.get(point.group) if isinstance(point.group, int) else None
        if code is None:
            return None
        value = code
    return explorer_link(view, view.start, view.end, **{view.by: value})


def sort_rows(rows: list[Row], sort: str) -> list[Row]:
    column, descending = sort.lstrip("-"), sort.startswith("-")

    def key(row: Row) -> Any:
        if column == "label":
            return row.label.casefold()
        if column == "n":
            return row.point.n
        if column == "value":
            return row.point.value
        c = row.point.comparison
        return None if c is None or c.reference_n == 0 else c.difference

    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    present.sort(key=key, reverse=descending)
    if column in ("value", "change"):
        # Extremes of a few answers are mostly noise: rows with enough answers come first.
        present.sort(key=lambda r: r.shown.small_sample)
    return present + missing


def _bucket_label(period: date, grain: str, locale: str) -> str:
    if grain == "month":
        return i18n.format_date(period, locale, "MMM y")
    return i18n.format_date(period, locale, "d MMM")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def build_trend(
    view: View, result: KpiResult, locale: str, gettext: Callable[[str], str]
) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """The chart's data (JSON for ECharts), its rows as a table, and a one-sentence summary."""
    kpi = view.trend
    by_period = {p.period: p for p in result.rows if p.period is not None}
    periods = _buckets(view.start, view.end, view.grain)
    if not set(by_period) <= set(periods):
        periods = sorted(by_period)
    rows: list[dict[str, Any]] = []
    for period in periods:
        point = by_period.get(period)
        first, last = max(period, view.start), min(_bucket_end(period, view.grain), view.end)
        label = _bucket_label(period, view.grain, locale)
        if view.grain == "week":
            long_label = gettext("Week of %(date)s") % {"date": i18n.format_date(period, locale, "d MMM y")}
        elif view.grain == "month":
            long_label = i18n.format_date(period, locale, "MMMM y")
        else:
            long_label = i18n.format_date(period, locale, "EEE d MMM y")
        shown = show(kpi, point, locale, gettext) if point is not None else None
        rows.append(
            {
                "label": label,
                "long_label": long_label,
                "point": point,
                "shown": shown,
                "link": explorer_link(view, first, last) if point is not None and point.n else None,
            }
        )
    total = result.total
    reference = total.comparison.reference_value if total.comparison and total.comparison.reference_n else None
    name = gettext(KPI_NAMES[kpi])
    data = {
        "kpi": kpi,
        "name": name,
        "unit": gettext(UNIT_NAMES[kpi]),
        "locale": locale,
        "labels": [r["label"] for r in rows],
        "values": [_round(r["point"].value) if r["point"] else None for r in rows],
        "low": [_round(r["point"].low) if r["point"] else None for r in rows],
        "high": [_round(r["point"].high) if r["point"] else None for r in rows],
        "small": [bool(r["point"] and r["point"].small_sample) for r in rows],
        "links": [r["link"] for r in rows],
        "tooltips": [
            (
                f"{r['long_label']}: {r['shown'].value} · "
                + gettext("CI %(level)s") % {"level": i18n.format_percent(CONFIDENCE, locale, 0)}
                + f" {r['shown'].low} – {r['shown'].high} · n = {r['shown'].n_text}"
                + (" · " + gettext("small sample") if r["shown"].small_sample else "")
            )
            if r["shown"]
            else f"{r['long_label']}: " + gettext("no data")
            for r in rows
        ],
        "band": gettext("Confidence interval %(level)s") % {"level": i18n.format_percent(CONFIDENCE, locale, 0)},
        "previous": _round(reference),
        "previous_label": gettext("Previous period: %(value)s") % {"value": format_value(kpi, reference, locale)},
        "filename": f"pulso-{kpi}-{view.start.isoformat()}-{view.end.isoformat()}.png",
    }
    with_data = [r for r in rows if r["point"] is not None and r["point"].value is not None]
    if with_data:
        highest = max(with_data, key=lambda r: r["point"].value)
        lowest = min(with_data, key=lambda r: r["point"].value)
        summary = gettext(
            "%(kpi)s per %(grain)s from %(start)s to %(end)s: overall %(total)s; highest %(high)s (%(high_at)s), "
            "lowest %(low)s (%(low_at)s)."
        ) % {
            "kpi": name,
            "grain": gettext(GRAIN_NAMES[view.grain]),
            "start": i18n.format_date(view.start, locale),
            "end": i18n.format_date(view.end, locale),
            "total": format_value(kpi, total.value, locale),
            "high": highest["shown"].value,
            "high_at": highest["long_label"],
            "low": lowest["shown"].value,
            "low_at": lowest["long_label"],
        }
    else:
        summary = gettext("No data for these filters in this period.")
    return data, rows, summary


def build_results(
    view: View,
    results: Sequence[KpiResult],
    p: Plan,
    touchpoint_codes: Mapping[int, str],
    locale: str,
    gettext: Callable[[str], str],
) -> Results:
    assert p.trend is not None
    assert p.table is not None
    cards = []
    for kpi in CARD_KPIS:
        total = results[p.cards[kpi]].total
        note = None
        if kpi in INTERACTION_KPIS and any(k in view.filters for k in FEEDBACK_ONLY):
            note = gettext("Interactions record no language: that filter is not applied here.")
        cards.append(
            Card(kpi, gettext(KPI_NAMES[kpi]), gettext(KPI_HELP[kpi]), show(kpi, total, locale, gettext), note)
        )
    table = results[p.table]
    rows = [
        Row(
            _label(view, point, gettext),
            point.group,
            show(view.table, point, locale, gettext),
            point,
            _row_link(view, point, touchpoint_codes),
        )
        for point in table.rows
    ]
    trend, trend_rows, summary = build_trend(view, results[p.trend], locale, gettext)
    return Results(
        cards=cards,
        rows=sort_rows(rows, view.sort),
        trend=trend,
        trend_rows=trend_rows,
        trend_summary=summary,
        table_total=show(view.table, table.total, locale, gettext),
    )


# --------------------------------------------------------------------------- routes


def _store_is_empty(session: Session) -> bool:
    has_any = select(exists().where(Feedback.id.is_not(None)) | exists().where(Interaction.id.is_not(None)))
    return not session.execute(has_any).scalar()


@dataclass
class Prepared:
    """The request read and checked: the view, the role's scope, the entities a filter may name."""

    view: View
    scope: dict[str, list[str]]
    options: dict[str, list[service.DimensionOption]]
    empty: bool
    locale: str
    gettext: Callable[[str], str]

    @property
    def touchpoint_codes(self) -> dict[int, str]:
        return {o.key: o.value for o in self.options["touchpoint"]}


def _prepare(request: Request, user: PageUser, session: Session) -> Prepared:
    def gettext(msgid: str) -> str:
        return tr(request, user, msgid)

    view = parse_view(request.query_params, user.today(), gettext)
    scope = service.scope_filters(user.principal)
    options = service.dimension_options(session)
    check_entities(view, options, gettext)
    empty = _store_is_empty(session)
    return Prepared(view, scope, options, empty, request_locale(request, user), gettext)


def _compute(request: Request, prepared: Prepared, p: Plan) -> list[KpiResult] | None:
    """The engine's results, or None with the engine's complaint among the view's errors."""
    if prepared.empty or prepared.view.errors:
        return None
    try:
        return service.compute_many(get_runtime(request), p.queries)
    except ValidationFailed as error:
        prepared.view.errors.append(i18n.localized_message(error.message, prepared.locale))
        return None


def _select_options(
    prepared: Prepared, results: Sequence[KpiResult] | None, p: Plan
) -> dict[str, list[tuple[str, str]]]:
    view, options, gettext = prepared.view, prepared.options, prepared.gettext
    out: dict[str, list[tuple[str, str]]] = {
        "channel": [(c, gettext(name)) for c, name in CHANNEL_NAMES.items()],
        "team": [(o.value, o.label) for o in options["team"]],
        "touchpoint": [(o.value, f"{o.label} ({o.value})") for o in options["touchpoint"]],
        "product": [(o.value, o.label) for o in options["product"]],
    }
    for dimension in ("segment", "language"):
        values: list[str] = []
        if results is not None and dimension in p.options:
            values = sorted(str(r.group) for r in results[p.options[dimension]].rows if r.group not in (None, ""))
        chosen = view.filters.get(dimension)
        if chosen and chosen not in values:
            values.append(chosen)
        if dimension == "language":
            out[dimension] = [(v, f"{gettext(LANGUAGE_NAMES[v])} ({v})" if v in LANGUAGE_NAMES else v) for v in values]
        else:
            out[dimension] = [(v, v) for v in values]
    return out


def _explore_links(scope: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """Starting questions, as views of the dashboard (they suit any data; the demo planted answers)."""
    views = (
        (
            N_("When are first responses slowest?"),
            "12m",
            "first_response_time",
            "first_response_time",
            "channel",
            "-value",
        ),
        (N_("Which product drags NPS down?"), "90d", "nps", "nps", "product", "value"),
        (N_("Which product gets more feedback than before?"), "90d", "volume", "volume", "product", "-change"),
        (N_("Where do customers make the most effort?"), "90d", "ces", "ces", "touchpoint", "-value"),
        (N_("Which team satisfies most?"), "90d", "csat", "csat", "team", "-value"),
    )
    return [
        (question, urlencode({"period": period, "trend": trend, "table": table, "by": by, "sort": sort}))
        for question, period, trend, table, by, sort in views
        if not (by == "team" and scope)  # one team, or one agent: nothing to compare teams with
    ]


@router.get("/")
def overview(request: Request, user: CurrentUser, session: DbSession) -> Response:
    """The landing page; an HTMX request aimed at the results gets only the results."""
    fragment = is_htmx(request) and request.headers.get("hx-target") == RESULTS_ID
    prepared = _prepare(request, user, session)
    view = prepared.view
    p = plan(view, prepared.scope, with_options=not fragment)
    results = _compute(request, prepared, p)
    built = (
        build_results(view, results, p, prepared.touchpoint_codes, prepared.locale, prepared.gettext)
        if results is not None
        else None
    )
    team_name = None
    if user.role is Role.SUPERVISOR:
        team_name = next((o.label for o in prepared.options["team"] if o.key == user.team_id), None)
    previous_start, previous_end = view.previous
    context = {
        "view": view,
        "params": view.params(),
        "results": built,
        "empty": prepared.empty,
        "select_options": {} if fragment else _select_options(prepared, results, p),
        "presets": PRESETS,
        "dimensions": DIMENSIONS,
        "kpi_names": KPI_NAMES,
        "card_kpis": CARD_KPIS,
        "grain_names": GRAIN_NAMES,
        "interaction_kpis": INTERACTION_KPIS,
        "feedback_only": FEEDBACK_ONLY,
        "results_id": RESULTS_ID,
        "scoped": user.role in (Role.SUPERVISOR, Role.AGENT),
        "team_name": team_name,
        "previous_start": previous_start,
        "previous_end": previous_end,
        "sort_link_state": sort_link_state,
        "explore_links": _explore_links(prepared.scope),
        "min_n": MIN_N,
        "confidence": CONFIDENCE,
    }
    if fragment:
        # HTMX swaps only 2xx answers: a bad filter shows its message in place of the results.
        return render(request, "metrics/_results.html", context, user=user)
    return render(request, "metrics/overview.html", context, user=user, status_code=422 if view.errors else 200)


# --------------------------------------------------------------------------- CSV exports


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


COMPARISON_COLUMNS = ("previous_value", "previous_n", "difference", "p_value", "significant")


def _comparison_cells(point: KpiPoint) -> list[Any]:
    c = point.comparison
    if c is None or c.reference_n == 0:
        return [None, None, None, None, None]
    return [c.reference_value, c.reference_n, c.difference, c.p_value, c.significant]


def _csv_results(
    request: Request, user: PageUser, session: Session, parts: frozenset[str]
) -> tuple[Prepared, Plan, list[KpiResult]] | Response:
    prepared = _prepare(request, user, session)
    p = plan(prepared.view, prepared.scope, parts=parts)
    results = _compute(request, prepared, p)
    if results is None:
        text = "\n".join(prepared.view.errors) or prepared.gettext("There is no data yet.")
        status = 422 if prepared.view.errors else 404
        return Response(text + "\n", status_code=status, media_type="text/plain; charset=utf-8")
    return prepared, p, results


@router.get("/overview/breakdown.csv")
def breakdown_csv(request: Request, user: CurrentUser, session: DbSession) -> Response:
    """The breakdown table with its statistics: locale-independent numbers, one header row."""
    out = _csv_results(request, user, session, frozenset({"table"}))
    if isinstance(out, Response):
        return out
    prepared, p, results = out
    view, codes = prepared.view, prepared.touchpoint_codes
    assert p.table is not None
    rows = sort_rows(
        [
            Row(
                _label(view, point, prepared.gettext),
                point.group,
                show(view.table, point, "en", prepared.gettext),
                point,
                None,
            )
            for point in results[p.table].rows
        ],
        view.sort,
    )
    header = ["dimension", "key", "label", "kpi", "value", "low", "high", "n", "small_sample", *COMPARISON_COLUMNS]
    lines = [
        [
            view.by,
            codes.get(r.key, r.key) if view.by == "touchpoint" and isinstance(r.key, int) else r.key,
            r.label,
            view.table,
            r.point.value,
            r.point.low,
            r.point.high,
            r.point.n,
            r.point.small_sample,
            *_comparison_cells(r.point),
        ]
        for r in rows
    ]
    return _csv(f"pulso-{view.table}-by-{view.by}-{view.start}-{view.end}.csv", header, lines)


@router.get("/overview/kpis.csv")
def kpis_csv(request: Request, user: CurrentUser, session: DbSession) -> Response:
    """The KPI cards: value, interval, n and the comparison with the previous period."""
    out = _csv_results(request, user, session, frozenset({"cards"}))
    if isinstance(out, Response):
        return out
    prepared, p, results = out
    view = prepared.view
    header = ["kpi", "start", "end", "value", "low", "high", "n", "small_sample", *COMPARISON_COLUMNS, "unit"]
    lines = []
    for kpi in CARD_KPIS:
        t = results[p.cards[kpi]].total
        unit = service.KPIS[kpi].unit
        lines.append(
            [kpi, view.start, view.end, t.value, t.low, t.high, t.n, t.small_sample, *_comparison_cells(t), unit]
        )
    return _csv(f"pulso-kpis-{view.start}-{view.end}.csv", header, lines)


@router.get("/overview/trend.csv")
def trend_csv(request: Request, user: CurrentUser, session: DbSession) -> Response:
    """The trend chart's data: one row per period."""
    out = _csv_results(request, user, session, frozenset({"trend"}))
    if isinstance(out, Response):
        return out
    prepared, p, results = out
    view = prepared.view
    assert p.trend is not None
    header = ["kpi", "grain", "period", "value", "low", "high", "n", "small_sample"]
    lines = [
        [view.trend, view.grain, r.period, r.value, r.low, r.high, r.n, r.small_sample] for r in results[p.trend].rows
    ]
    return _csv(f"pulso-{view.trend}-by-{view.grain}-{view.start}-{view.end}.csv", header, lines)
