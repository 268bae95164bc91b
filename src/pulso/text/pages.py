"""Pages of text analytics: the Topics report (/topics), its CSV, the taxonomy editor and discovered themes.

The report's period and filters live in the URL under the overview's names (period, from, to, channel,
team, touchpoint, product, segment, language) and are read by the overview's own parser, so a view can
be bookmarked and a link from one page to the other keeps its meaning; HTMX swaps only the results.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.analytics.store import AnalyticStoreBusy
from pulso.feedback import logic as feedback_logic
from pulso.feedback import service as feedback
from pulso.kit.errors import ValidationFailed
from pulso.kit.export import csv_cell
from pulso.metrics import pages as overview
from pulso.metrics import service as metrics
from pulso.text import logic, service
from pulso.text.analysis.taxonomy import Topic
from pulso.web import i18n
from pulso.web.deps import CurrentUser, DbSession, PageUser, get_runtime, page_router, require_page_roles
from pulso.web.i18n import N_
from pulso.web.templating import flash, is_htmx, redirect, render, request_locale, tr

router = page_router()

RESULTS_ID = "topics-results"
EditorUser = Annotated[PageUser, require_page_roles(*service.EDITORS)]
SORTS = {"volume": N_("Mentions"), "impact": N_("NPS impact"), "sentiment": N_("Sentiment"), "rise": N_("Rise")}
DEFAULT_SORT = "-volume"
SENTIMENT_NAMES = {"negative": N_("Negative"), "neutral": N_("Neutral"), "positive": N_("Positive")}
SENTIMENT_TONES = {"negative": "bad", "neutral": "warn", "positive": "good"}
ORIGIN_NAMES = {"shipped": N_("Shipped"), "custom": N_("Custom"), "discovered": N_("Discovered")}
CHART_TOPICS = 6
THEME_LIMIT = 5_000
# The overview parameters that the Topics page keeps (the rest belong to the overview's chart and table).
VIEW_PARAMS = ("period", "from", "to", *overview.FILTERS)


# --------------------------------------------------------------------------- the view in the URL


@dataclass
class TopicsView:
    view: overview.View
    sort: str = DEFAULT_SORT
    errors: list[str] = field(default_factory=list)

    def params(self, **changes: str) -> dict[str, str]:
        out: dict[str, str] = {"period": self.view.period}
        if self.view.period == "custom":
            out.update({"from": self.view.start.isoformat(), "to": self.view.end.isoformat()})
        out.update(self.view.filters)
        out["sort"] = self.sort
        out.update(changes)
        return out


def parse_topics_view(
    params: Mapping[str, Any],
    today: date,
    options: Mapping[str, Sequence[metrics.DimensionOption]],
    gettext: Callable[[str], str],
) -> TopicsView:
    view = overview.parse_view({k: params[k] for k in VIEW_PARAMS if k in params}, today, gettext)
    overview.check_entities(view, options, gettext)
    sort = str(params.get("sort") or DEFAULT_SORT).strip()
    out = TopicsView(view, errors=view.errors)
    if sort.lstrip("-") not in SORTS:
        out.errors.append(gettext("Sort: “%(value)s” is not a column of the table.") % {"value": sort})
        sort = DEFAULT_SORT
    out.sort = sort
    return out


def fact_filters(
    view: overview.View, scope: Mapping[str, list[str]], options: Mapping[str, Sequence[metrics.DimensionOption]]
) -> dict[str, Any]:
    """The view's filters and the role's scope as analytic fact columns."""
    f = view.filters
    out: dict[str, Any] = {}
    for name in ("channel", "segment", "language"):
        if name in f:
            out[name] = f[name]
    for name in ("team", "product"):
        if name in f:
            out[f"{name}_id"] = int(f[name])
    if "touchpoint" in f:
        out["touchpoint_id"] = next(o.key for o in options["touchpoint"] if o.value == f["touchpoint"])
    if "team" in scope:
        out["team_id"] = int(scope["team"][0])
    if "agent" in scope:
        out["agent_id"] = int(scope["agent"][0])
    return out


def explorer_link(view: overview.View, key: str) -> str:
    """The comments behind a topic: the explorer with the topic, the period and the same filters."""
    params = {
        "topic": key,
        "received_from": view.start.isoformat(),
        "received_to": view.end.isoformat(),
        **view.filters,
    }
    return "/feedback?" + urlencode(params)


# --------------------------------------------------------------------------- what a row shows


def signed(value: float | None, locale: str, digits: int = 1) -> str:
    if value is None:
        return "—"
    value = round(value, digits)
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return sign + i18n.format_number(abs(value), locale, digits)


def sparkline(values: Sequence[float | None], width: int = 96, height: int = 24) -> str:
    """The SVG polyline points of a weekly share (weeks without analysed comments are skipped)."""
    known = [v for v in values if v is not None]
    if len(values) < 2 or not known:
        return ""
    top = max(known) or 1.0
    step = width / (len(values) - 1)
    points = [
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values) if v is not None
    ]
    return " ".join(points)


def _sort_key(column: str, descending: bool) -> Callable[[service.TopicRow], tuple[bool, bool, float, str]]:
    def key(row: service.TopicRow) -> tuple[bool, bool, float, str]:
        value = logic.sort_value(row.stats, column)
        small = row.stats.small_sample and column in ("impact", "sentiment")
        number = value if value is not None else 0.0
        return (value is None, small, -number if descending else number, row.name)

    return key


def sorted_groups(groups: Iterable[service.TopicRow], sort: str) -> list[service.TopicRow]:
    column, descending = sort.lstrip("-"), sort.startswith("-")
    key = _sort_key(column, descending)
    out = sorted(groups, key=key)
    for group in out:
        group.children.sort(key=key)
    return out


def sort_link_state(current: str, column: str) -> tuple[str, str | None]:
    """The sort a header link asks for, and the header's aria-sort (impact and sentiment: worst first)."""
    if current == column:
        return "-" + column, "ascending"
    if current == "-" + column:
        return column, "descending"
    return (column if column in ("impact", "sentiment") else "-" + column), None


def chart_data(report: service.TopicReport, locale: str, gettext: Callable[[str], str]) -> dict[str, Any]:
    """The weekly share of the most mentioned topics, for topics.js (ECharts)."""
    leaves = [c for g in report.groups for c in (g.children or [g])]
    top = sorted(leaves, key=lambda r: -r.stats.mentions)[:CHART_TOPICS]
    return {
        "locale": locale,
        "labels": [i18n.format_date(w, locale, "d MMM") for w in report.weeks],
        "unit": gettext("share of comments"),
        "series": [
            {"name": r.name, "values": [None if v is None else round(100 * v, 2) for v in r.weeks]} for r in top
        ],
    }


# --------------------------------------------------------------------------- the report


@dataclass
class Prepared:
    tv: TopicsView
    scope: dict[str, list[str]]
    options: dict[str, list[metrics.DimensionOption]]
    locale: str
    gettext: Callable[[str], str]


def _prepare(request: Request, user: PageUser, session: Session) -> Prepared:
    def gettext(msgid: str) -> str:
        return tr(request, user, msgid)

    options = metrics.dimension_options(session)
    tv = parse_topics_view(request.query_params, user.today(), options, gettext)
    return Prepared(tv, metrics.scope_filters(user.principal), options, request_locale(request, user), gettext)


def _report(request: Request, prepared: Prepared) -> service.TopicReport | None:
    if prepared.tv.errors:
        return None
    view = prepared.tv.view
    query = service.TopicQuery(view.start, view.end, fact_filters(view, prepared.scope, prepared.options))
    try:
        return service.topic_report(get_runtime(request), query, locale=prepared.locale)
    except AnalyticStoreBusy:
        prepared.tv.errors.append(
            prepared.gettext("The analytic store is in use by another process; try again in a moment.")
        )
        return None


@router.get("/topics")
def topics(request: Request, user: CurrentUser, session: DbSession) -> Response:
    """What customers talk about: volume, sentiment, NPS and impact per topic; HTMX gets only the results."""
    fragment = is_htmx(request) and request.headers.get("hx-target") == RESULTS_ID
    prepared = _prepare(request, user, session)
    tv, locale = prepared.tv, prepared.locale
    report = _report(request, prepared)
    groups = sorted_groups(report.groups, tv.sort) if report else []
    team_name = None
    if user.role is Role.SUPERVISOR:
        team_name = next((o.label for o in prepared.options["team"] if o.key == user.team_id), None)
    choices = feedback.filter_choices(session, user.principal)
    gettext = prepared.gettext
    select_options = {
        "channel": [(c, gettext(name)) for c, name in overview.CHANNEL_NAMES.items()],
        "team": [(o.value, o.label) for o in prepared.options["team"]],
        "touchpoint": [(o.value, f"{o.label} ({o.value})") for o in prepared.options["touchpoint"]],
        "product": [(o.value, o.label) for o in prepared.options["product"]],
        "segment": [(s, s) for s in choices.segments],
        "language": [(code, f"{gettext(name)} ({code})") for code, name in overview.LANGUAGE_NAMES.items()],
    }
    previous_start, previous_end = service.TopicQuery(tv.view.start, tv.view.end).previous
    context = {
        "tv": tv,
        "view": tv.view,
        "params": tv.params(),
        "report": report,
        "groups": groups,
        "chart": chart_data(report, locale, gettext) if report else None,
        "select_options": select_options,
        "presets": overview.PRESETS,
        "sorts": SORTS,
        "sentiment_names": SENTIMENT_NAMES,
        "sentiment_tones": SENTIMENT_TONES,
        "results_id": RESULTS_ID,
        "team_name": team_name,
        "previous_start": previous_start,
        "previous_end": previous_end,
        "sort_link_state": sort_link_state,
        "explorer_link": lambda key: explorer_link(tv.view, key),
        "signed": lambda value, digits=1: signed(value, locale, digits),
        "sparkline": sparkline,
        "min_n": logic.MIN_N,
        "confidence": logic.CONFIDENCE,
        "can_edit": user.role in service.EDITORS,
    }
    if fragment:
        return render(request, "text/_topics_results.html", context, user=user)
    return render(request, "text/topics.html", context, user=user, status_code=422 if tv.errors else 200)


CSV_HEADER = (
    "level",
    "parent",
    "key",
    "name",
    "start",
    "end",
    "mentions",
    "share",
    "sentiment",
    "nps_with",
    "nps_with_low",
    "nps_with_high",
    "nps_with_n",
    "nps_without",
    "nps_without_n",
    "nps_difference",
    "p_value",
    "significant",
    "nps_impact",
    "previous_mentions",
    "previous_share",
    "share_change",
    "share_change_low",
    "share_change_high",
    "share_change_p",
    "rising",
    "small_sample",
)


def _csv_line(row: service.TopicRow, level: str, view: overview.View) -> list[Any]:
    s = row.stats
    return [
        level,
        row.parent_key,
        row.key,
        row.name,
        view.start,
        view.end,
        s.mentions,
        s.share,
        s.sentiment,
        s.nps_with.value,
        s.nps_with.low,
        s.nps_with.high,
        s.nps_with.n,
        s.nps_without.value,
        s.nps_without.n,
        s.difference,
        s.p_value,
        s.significant,
        s.impact,
        s.previous_mentions,
        s.previous_share,
        s.rise,
        s.rise_low,
        s.rise_high,
        s.rise_p,
        s.rising,
        s.small_sample,
    ]


@router.get("/topics/topics.csv")
def topics_csv(request: Request, user: CurrentUser, session: DbSession) -> Response:
    """The Topics table with its statistics: plain decimals (NPS in points, shares 0–1), one header row."""
    prepared = _prepare(request, user, session)
    report = _report(request, prepared)
    view = prepared.tv.view
    if report is None:
        text = "\n".join(prepared.tv.errors)
        return Response(text + "\n", status_code=422, media_type="text/plain; charset=utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for group in sorted_groups(report.groups, prepared.tv.sort):
        writer.writerow([csv_cell(v) for v in _csv_line(group, "parent" if group.children else "topic", view)])
        for child in group.children:
            writer.writerow([csv_cell(v) for v in _csv_line(child, "topic", view)])
    name = f"pulso-topics-{view.start}-{view.end}.csv"
    return Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --------------------------------------------------------------------------- the taxonomy editor

TOPIC_FIELDS = ("key", "parent", "name_es", "name_en", "examples", "keywords")
# What the taxonomy's checks say (text/analysis/taxonomy.py), as a person reads it next to the field.
FIELD_MESSAGES: tuple[tuple[str, str, str], ...] = (
    (
        "key",
        "must be 1-64",
        N_("Use 1 to 64 lower-case letters, digits, “.”, “_” or “-”, starting with a letter or digit."),
    ),
    ("key", "is reserved", N_("“other” is kept for comments no topic fits; choose another key.")),
    ("key", "used twice", N_("There is already a topic with this key.")),
    ("parent", "is not a topic", N_("There is no topic with this key.")),
    ("parent", "itself a child", N_("A subtopic cannot have subtopics: choose a top-level topic.")),
    ("name_es", "is empty", N_("Required.")),
    ("name_en", "is empty", N_("Required.")),
    ("examples", "needs examples or keywords", N_("A topic needs examples or keywords.")),
    ("examples", "holds an empty", N_("Remove the empty lines.")),
    ("keywords", "holds an empty", N_("Remove the empty entries.")),
)


def field_error(message: str, request: Request, user: PageUser) -> tuple[str, str]:
    """The form field a validation message is about, and what to tell the person there."""
    for name, marker, text in FIELD_MESSAGES:
        if f"'{name}'" in message and marker in message:
            return name, tr(request, user, text)
    for name in TOPIC_FIELDS:
        if f"'{name}'" in message or message.startswith(f"{name}:") or message.startswith(f"{name},"):
            return name, i18n.localized_message(message, request_locale(request, user))
    return "key", i18n.localized_message(message, request_locale(request, user))


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(",") if word.strip())


def _form_of(entry: service.TaxonomyEntry | None) -> dict[str, str]:
    if entry is None:
        return dict.fromkeys(TOPIC_FIELDS, "")
    return {
        "key": entry.key,
        "parent": entry.parent or "",
        "name_es": entry.name_es,
        "name_en": entry.name_en,
        "examples": "\n".join(entry.examples),
        "keywords": ", ".join(entry.keywords),
    }


def theme_defaults(key_words: Sequence[str]) -> dict[str, str]:
    """An accepted theme's first proposal: a key and names from its key words."""
    words = [feedback_logic.fold_text(w) for w in key_words[:2]]
    key = re.sub(r"[^a-z0-9]+", "_", "_".join(words)).strip("_")[:64] or "theme"
    name = ", ".join(key_words[:3])
    name = name[:1].upper() + name[1:]
    return {"key": key, "parent": "", "name_es": name, "name_en": name}


def _taxonomy_page(
    request: Request,
    user: PageUser,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    editing: str | None = None,
    theme_forms: dict[int, dict[str, str]] | None = None,
    theme_errors: dict[int, dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    entries = service.taxonomy_entries(session)
    usage = service.taxonomy_usage(session)
    by_parent: dict[str | None, list[service.TaxonomyEntry]] = {}
    for e in entries:
        by_parent.setdefault(e.parent, []).append(e)
    parents = by_parent.get(None, [])
    current = next((e for e in entries if e.key == editing), None) if editing else None
    themes = service.themes_proposed(session)
    forms = {t.id: theme_defaults(t.key_words) for t in themes}
    forms.update(theme_forms or {})
    context = {
        "title": tr(request, user, "Topic taxonomy"),
        "parents": parents,
        "children": by_parent,
        "usage": usage,
        "parent_usage": {p.key: sum(usage.get(c.key, 0) for c in by_parent.get(p.key, [])) for p in parents},
        "origin_names": ORIGIN_NAMES,
        "form": form if form is not None else _form_of(current),
        "errors": errors or {},
        "editing": editing if (current is not None or form is not None) else None,
        "parent_options": [(p.key, f"{p.name_es} · {p.name_en} ({p.key})") for p in parents if p.key != editing],
        "themes": themes,
        "theme_forms": forms,
        "theme_errors": theme_errors or {},
        "edited": service.taxonomy_is_edited(session),
    }
    return render(request, "text/taxonomy.html", context, user=user, status_code=status_code)


@router.get("/topics/taxonomy")
def taxonomy(request: Request, user: EditorUser, session: DbSession) -> Response:
    """The topics, their names, examples and keywords; `?edit=<key>` opens one in the form."""
    editing = request.query_params.get("edit") or None
    return _taxonomy_page(request, user, session, editing=editing)


async def _form(request: Request) -> dict[str, Any]:
    data = await request.form()
    out: dict[str, Any] = {}
    for key in data:
        values = data.getlist(key)
        out[key] = [str(v) for v in values] if len(values) > 1 else str(values[0])
    return out


@router.post("/topics/taxonomy")
async def save_topic(request: Request, user: EditorUser, session: DbSession) -> Response:
    """Create a topic, or change one (`editing` names it; its key does not change)."""
    data = await _form(request)
    form = {name: str(data.get(name, "")).strip() for name in TOPIC_FIELDS}
    editing = str(data.get("editing", "")).strip() or None
    if editing:
        form["key"] = editing
    errors: dict[str, str] = {}
    if not editing and form["key"] in {e.key for e in service.taxonomy_entries(session)}:
        errors["key"] = tr(request, user, "There is already a topic with this key.")
    if not errors:
        topic = Topic(
            key=form["key"],
            parent=form["parent"] or None,
            name_es=form["name_es"],
            name_en=form["name_en"],
            examples=_lines(form["examples"]),
            keywords=_words(form["keywords"]),
        )
        try:
            with session.begin_nested():
                service.save_topic(session, user.principal, topic)
        except ValidationFailed as error:
            name, text = field_error(error.message, request, user)
            errors[name] = text
    if errors:
        return _taxonomy_page(request, user, session, form=form, errors=errors, editing=editing, status_code=422)
    message = N_("Topic “%(key)s” saved.") if editing else N_("Topic “%(key)s” created.")
    flash(request, tr(request, user, message) % {"key": form["key"]})
    return redirect(request, "/topics/taxonomy")


@router.post("/topics/taxonomy/{key}/delete")
def delete_topic(request: Request, key: str, user: EditorUser, session: DbSession) -> Response:
    try:
        with session.begin_nested():
            service.delete_topic(session, user.principal, key)
    except ValidationFailed:
        flash(
            request,
            tr(request, user, "“%(key)s” has subtopics: move or delete them first.") % {"key": key},
            "error",
        )
        return redirect(request, "/topics/taxonomy")
    flash(request, tr(request, user, "Topic “%(key)s” deleted.") % {"key": key})
    return redirect(request, "/topics/taxonomy")


# --------------------------------------------------------------------------- discovered themes


@router.post("/topics/themes/discover")
def discover(request: Request, user: EditorUser, session: DbSession) -> Response:
    """Look for themes among the newest comments no topic fits (inline, at most THEME_LIMIT comments)."""
    started = time.perf_counter()
    found = service.discover_themes(session, limit=THEME_LIMIT)
    seconds = time.perf_counter() - started
    locale = request_locale(request, user)
    flash(
        request,
        tr(request, user, "%(n)s themes proposed, looked for in %(seconds)s s among at most %(limit)s comments.")
        % {
            "n": i18n.format_integer(len(found), locale),
            "seconds": i18n.format_number(seconds, locale, 1),
            "limit": i18n.format_integer(THEME_LIMIT, locale),
        },
    )
    return redirect(request, "/topics/taxonomy#themes")


@router.post("/topics/themes/{theme_id}/accept")
async def accept_theme(request: Request, theme_id: int, user: EditorUser, session: DbSession) -> Response:
    data = await _form(request)
    form = {name: str(data.get(name, "")).strip() for name in ("key", "parent", "name_es", "name_en")}
    errors: dict[str, str] = {}
    for name in ("key", "name_es", "name_en"):
        if not form[name]:
            errors[name] = tr(request, user, "Required.")
    if not errors and form["key"] in {e.key for e in service.taxonomy_entries(session)}:
        errors["key"] = tr(request, user, "There is already a topic with this key.")
    if not errors:
        try:
            with session.begin_nested():
                service.decide_theme(
                    session,
                    user.principal,
                    theme_id,
                    accept=True,
                    key=form["key"],
                    parent=form["parent"] or None,
                    name_es=form["name_es"],
                    name_en=form["name_en"],
                )
        except ValidationFailed as error:
            name, text = field_error(error.message, request, user)
            errors[name] = text
    if errors:
        return _taxonomy_page(
            request,
            user,
            session,
            theme_forms={theme_id: form},
            theme_errors={theme_id: errors},
            status_code=422,
        )
    flash(request, tr(request, user, "Theme accepted as the topic “%(key)s”.") % {"key": form["key"]})
    return redirect(request, "/topics/taxonomy#themes")


@router.post("/topics/themes/{theme_id}/reject")
def reject_theme(request: Request, theme_id: int, user: EditorUser, session: DbSession) -> Response:
    service.decide_theme(session, user.principal, theme_id, accept=False)
    flash(request, tr(request, user, "Theme rejected."))
    return redirect(request, "/topics/taxonomy#themes")
