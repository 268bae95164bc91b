"""Pages of the feedback explorer: the filtered, searchable list, its CSV download, one feedback's page.

The filters live in the query string under the names the dashboard's drill-down links use
(received_from, received_to, channel, touchpoint, team, product, segment, region, agent, language,
source, has_comment, nps_group, csat_min/csat_max, ces_min/ces_max, q), so any list can be
bookmarked, shared and reached from a chart.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from pulso.feedback import logic, service
from pulso.feedback.enums import FeedbackSource
from pulso.feedback.models import Feedback
from pulso.feedback.repository import NPS_GROUPS, FeedbackFilters, FeedbackLabels
from pulso.interactions.enums import Channel
from pulso.kit.db import READ_ONLY
from pulso.kit.export import spreadsheet_safe
from pulso.kit.pagination import Page, PageParams
from pulso.text import service as text
from pulso.web.deps import CurrentUser, DbSession, PageUser, get_runtime, page_router
from pulso.web.i18n import N_
from pulso.web.templating import flash, is_htmx, redirect, render, request_locale, tr

router = page_router()

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
# Counting stops here: past it the list says "more than 10,000" and offers only the first pages,
# so a list over millions of rows costs no more than one over ten thousand.
COUNT_LIMIT = 10_000
EXPORT_LIMIT = 100_000
COMMENT_PREVIEW = 400

LANGUAGES = (("es", N_("Spanish")), ("en", N_("English")))
CHANNEL_NAMES = {
    Channel.WEB: N_("Web"),
    Channel.APP: N_("App"),
    Channel.PHONE: N_("Phone"),
    Channel.EMAIL: N_("E-mail"),
    Channel.CHAT: N_("Chat"),
    Channel.WHATSAPP: N_("WhatsApp"),
    Channel.STORE: N_("Store"),
    Channel.SOCIAL: N_("Social media"),
    Channel.OTHER: N_("Other"),
}
SOURCE_NAMES = {
    FeedbackSource.SURVEY: N_("Survey"),
    FeedbackSource.REVIEW: N_("Review"),
    FeedbackSource.COMPLAINT: N_("Complaint"),
    FeedbackSource.SOCIAL: N_("Social post"),
    FeedbackSource.CHAT: N_("Chat transcript"),
    FeedbackSource.IMPORT: N_("Import"),
    FeedbackSource.API: N_("API"),
}
NPS_GROUP_NAMES = {
    "promoter": N_("Promoters (9–10)"),
    "passive": N_("Passives (7–8)"),
    "detractor": N_("Detractors (0–6)"),
}
SCORE_NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "rating": N_("Rating")}
TONE_NAMES = {
    ("nps", "good"): N_("promoter"),
    ("nps", "warn"): N_("passive"),
    ("nps", "bad"): N_("detractor"),
    ("ces", "good"): N_("low effort"),
    ("ces", "warn"): N_("some effort"),
    ("ces", "bad"): N_("high effort"),
    ("csat", "good"): N_("satisfied"),
    ("csat", "warn"): N_("neutral"),
    ("csat", "bad"): N_("dissatisfied"),
    ("rating", "good"): N_("good"),
    ("rating", "warn"): N_("neutral"),
    ("rating", "bad"): N_("poor"),
}
_TRUE = frozenset({"1", "true", "yes", "si", "sí", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
# Parameters of the explorer, in the order of the form; anything else in the query string is ignored.
PARAMS = (
    "q",
    "received_from",
    "received_to",
    "channel",
    "touchpoint",
    "team",
    "agent",
    "product",
    "segment",
    "region",
    "language",
    "source",
    "has_comment",
    "nps_group",
    "nps_min",
    "nps_max",
    "csat_min",
    "csat_max",
    "csat_low",
    "ces_min",
    "ces_max",
    "ces_high",
    "sentiment",
    "topic",
    "size",
)
SENTIMENT_NAMES = {"negative": N_("Negative"), "neutral": N_("Neutral"), "positive": N_("Positive")}
SENTIMENT_TONES = {"negative": "bad", "neutral": "warn", "positive": "good"}


@dataclass
class ExplorerQuery:
    """The explorer's query string, checked: the filters, the page, and what was wrong with it."""

    params: dict[str, str]  # the parameters as given (cleaned), for links that keep them
    filters: FeedbackFilters = field(default_factory=FeedbackFilters)
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    errors: dict[str, str] = field(default_factory=dict)  # parameter: message, in the user's language

    @property
    def terms(self) -> list[str]:
        return logic.search_terms(self.filters.q)


def parse_query(request: Request, session: Session, user: PageUser, raw: Mapping[str, str]) -> ExplorerQuery:
    """Read the explorer's parameters; each bad value gets a message naming the field."""
    params = {k: v.strip() for k in PARAMS if (v := raw.get(k)) is not None and v.strip()}
    query = ExplorerQuery(params=params)
    values: dict[str, Any] = {}

    def fail(name: str, message: str, **args: Any) -> None:
        query.errors[name] = tr(request, user, message) % {"value": params.get(name, ""), **args}

    for name in ("received_from", "received_to"):
        if name in params:
            try:
                day = date.fromisoformat(params[name])
            except ValueError:
                fail(name, N_("“%(value)s” is not a date; use YYYY-MM-DD."))
                continue
            # Whole days in the organisation's zone; the upper day is included.
            bound = datetime.combine(day + timedelta(days=1 if name == "received_to" else 0), time())
            values[name] = bound.replace(tzinfo=ZoneInfo(user.timezone))
    if "received_from" in values and "received_to" in values and values["received_from"] >= values["received_to"]:
        fail("received_to", N_("The end date is before the start date."))
    for name, enum, names in (("channel", Channel, CHANNEL_NAMES), ("source", FeedbackSource, SOURCE_NAMES)):
        if name in params:
            try:
                values[name] = enum(params[name].lower())
            except ValueError:
                known = ", ".join(m.value for m in names)
                fail(name, N_("“%(value)s” is not one of: %(known)s."), known=known)
    if "touchpoint" in params:
        touchpoint_id = service.resolve_entity(session, "touchpoint", params["touchpoint"])
        if touchpoint_id is None:
            fail("touchpoint", N_("No touchpoint “%(value)s”."))
        else:
            values["touchpoint_id"] = touchpoint_id
    for name, message in (
        ("team", N_("No team “%(value)s”.")),
        ("agent", N_("No agent “%(value)s”.")),
        ("product", N_("No product “%(value)s”.")),
    ):
        if name in params:
            found = service.resolve_entity(session, name, params[name])
            if found is None:
                fail(name, message)
            else:
                values[f"{name}_id"] = found
    for name in ("segment", "region"):
        if name in params:
            values[name] = params[name][:64]
    if "language" in params:
        values["language"] = params["language"].lower()[:8]
    if "has_comment" in params:
        flag = params["has_comment"].lower()
        if flag in _TRUE:
            values["has_comment"] = True
        elif flag in _FALSE:
            values["has_comment"] = False
        else:
            fail("has_comment", N_("“%(value)s” is not yes (1) or no (0)."))
    if "nps_group" in params:
        if params["nps_group"] in NPS_GROUPS:
            values["nps_group"] = params["nps_group"]
        else:
            fail("nps_group", N_("“%(value)s” is not promoter, passive or detractor."))
    for kind in ("nps", "csat", "ces"):
        low, high = logic.SCORE_SCALES[kind]
        for side in ("min", "max"):
            name = f"{kind}_{side}"
            if name not in params:
                continue
            try:
                number = int(params[name])
            except ValueError:
                number = low - 1
            if not low <= number <= high:
                fail(
                    name,
                    N_("%(label)s: “%(value)s” is not a whole number from %(low)s to %(high)s."),
                    label=kind.upper(),
                    low=low,
                    high=high,
                )
            else:
                values[name] = number
    if params.get("csat_low", "").lower() in _TRUE:
        values["csat_max"] = min(values.get("csat_max", 2), 2)
    if params.get("ces_high", "").lower() in _TRUE:
        values["ces_min"] = max(values.get("ces_min", 5), 5)
    if "sentiment" in params:
        if params["sentiment"] in SENTIMENT_NAMES:
            values["sentiment"] = params["sentiment"]
        else:
            fail("sentiment", N_("“%(value)s” is not negative, neutral or positive."))
    if "topic" in params:
        keys = text.leaf_keys(session, params["topic"][:64])
        if keys is None:
            fail("topic", N_("No topic “%(value)s”."))
        else:
            values["topics"] = tuple(keys)
    if "q" in params:
        if len(params["q"]) > 200:
            fail("q", N_("The search is too long (at most 200 characters)."))
        else:
            values["q"] = params["q"]
    size = params.get("size", str(DEFAULT_PAGE_SIZE))
    if size.isdigit() and int(size) in PAGE_SIZES:
        query.size = int(size)
    else:
        fail("size", N_("The page size must be one of %(sizes)s."), sizes=", ".join(map(str, PAGE_SIZES)))
    page = raw.get("page", "1").strip()
    if page.isdigit() and int(page) >= 1:
        query.page = int(page)
    else:
        fail("page", N_("“%(value)s” is not a page number."), value=page)
    query.filters = FeedbackFilters(**values)
    return query


# --- what a row shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Chip:
    label: str  # NPS, CSAT...
    value: int
    tone: str  # good, warn, bad
    meaning: str  # an English msgid: promoter, high effort...


def score_chips(row: Feedback) -> list[Chip]:
    chips: list[Chip] = []
    for kind in ("nps", "csat", "ces", "rating"):
        value = getattr(row, kind)
        if value is not None:
            tone = logic.score_tone(kind, value)
            chips.append(Chip(SCORE_NAMES[kind], value, tone, TONE_NAMES[(kind, tone)]))
    return chips


def comment_spans(
    comment: str | None,
    terms: list[str],
    analysis: text.CommentAnalysis | None = None,
    *,
    limit: int | None = COMMENT_PREVIEW,
) -> list[tuple[str, str]]:
    """The comment cut into (piece, kind) to show: kind "search" for the search terms, "topic" for the
    words that made a topic, "" otherwise (a search hit wins); long comments are shortened."""
    if not comment:
        return []
    shown = comment if limit is None or len(comment) <= limit else comment[:limit].rstrip() + "…"
    found = [logic.fold_text(w) for topic in analysis.topics for w in topic.terms] if analysis is not None else []
    topic_terms = [t for t in dict.fromkeys(found) if t and t not in terms]
    search = logic.matched_characters(shown, terms)
    topic = logic.matched_characters(shown, topic_terms)
    return logic.runs(shown, ["search" if s else "topic" if t else "" for s, t in zip(search, topic, strict=True)])


def row_context() -> dict[str, Any]:
    """What the feedback-table macro needs besides the rows."""
    return {
        "score_chips": score_chips,
        "comment_spans": comment_spans,
        "channel_names": CHANNEL_NAMES,
        "source_names": SOURCE_NAMES,
        "sentiment_names": SENTIMENT_NAMES,
        "sentiment_tones": SENTIMENT_TONES,
    }


def topic_options(session: Session, locale: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The topic filter's choices: (parent key, parent name, [(child key, child name)]) in taxonomy order."""
    tax = text.taxonomy(session)
    language = "es" if locale.startswith("es") else "en"
    return [(p.key, p.name(language), [(c.key, c.name(language)) for c in tax.children(p.key)]) for p in tax.parents()]


# --- routes ----------------------------------------------------------------------------------


@router.get("/feedback")
def explorer(request: Request, session: DbSession, user: CurrentUser) -> Response:
    query = parse_query(request, session, user, request.query_params)
    page: Page[Feedback] | None = None
    labels: FeedbackLabels | None = None
    analyses: dict[int, text.CommentAnalysis] = {}
    locale = request_locale(request, user)
    if not query.errors:
        page_params = PageParams(page=min(query.page, max(1, COUNT_LIMIT // query.size)), size=query.size)
        page = service.list_feedback(session, user.principal, query.filters, page_params, count_limit=COUNT_LIMIT)
        labels = service.feedback_labels(session, page.items)
        analyses = text.analyses_of(session, [row.id for row in page.items], locale)
    choices = service.filter_choices(session, user.principal)

    def named(names: Mapping[Any, str]) -> list[tuple[str, str]]:
        return [(str(key), tr(request, user, label)) for key, label in names.items()]

    context = {
        "title": tr(request, user, "Feedback"),
        "channel_options": named(CHANNEL_NAMES),
        "source_options": named(SOURCE_NAMES),
        "nps_options": named(NPS_GROUP_NAMES),
        "language_options": named(dict(LANGUAGES)),
        "touchpoint_options": [(code, f"{name} ({code})") for code, name in choices.touchpoints],
        "team_options": choices.teams,
        "agent_options": choices.agents,
        "product_options": choices.products,
        "segment_options": [(s, s) for s in choices.segments],
        "region_options": [(r, r) for r in choices.regions],
        "size_options": [(n, n) for n in PAGE_SIZES],
        "sentiment_options": named(SENTIMENT_NAMES),
        "topic_options": topic_options(session, locale),
        "analyses": analyses,
        "open_more": any(k in query.params for k in ("product", "segment", "region", "language", "source"))
        or any(k.endswith(("_min", "_max")) for k in query.params),
        "q": query,
        "page": page,
        "labels": labels,
        "capped": page is not None and page.total > COUNT_LIMIT,
        "count_limit": COUNT_LIMIT,
        "export_limit": EXPORT_LIMIT,
        **row_context(),
    }
    htmx = is_htmx(request) and request.headers.get("hx-target") == "results"
    template = "feedback/_results.html" if htmx else "feedback/list.html"
    status = 422 if query.errors and not htmx else 200
    return render(request, template, context, user=user, status_code=status)


@router.get("/feedback.csv")
def export_csv(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """The filtered list as a CSV download, newest first, at most EXPORT_LIMIT rows, streamed."""
    query = parse_query(request, session, user, request.query_params)
    if query.errors:
        return explorer(request, session, user)
    runtime = get_runtime(request)
    filters, principal, zone = query.filters, user.principal, ZoneInfo(user.timezone)

    def lines() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        yield "\ufeff".encode()  # so that Excel reads the accents right
        writer.writerow(CSV_HEADER)
        # Its own read-only session: the request's is closed before the body is streamed.
        bind = runtime.engine.execution_options(**READ_ONLY)
        with runtime.sessions(bind=bind) as export_session, export_session.begin():
            for chunk in service.export_feedback(export_session, principal, filters, limit=EXPORT_LIMIT):
                labels = service.feedback_labels(export_session, chunk)
                analyses = text.analyses_of(export_session, [row.id for row in chunk], "en")
                for row in chunk:
                    writer.writerow(csv_row(row, labels, zone, analyses.get(row.id)))
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode()

    stamp = datetime.now(zone).strftime("%Y%m%d-%H%M")
    headers = {"Content-Disposition": f'attachment; filename="pulso-feedback-{stamp}.csv"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


CSV_HEADER = (
    "id",
    "received_at",
    "source",
    "external_id",
    "channel",
    "language",
    "touchpoint",
    "team",
    "agent",
    "product",
    "customer",
    "interaction_id",
    "nps",
    "csat",
    "ces",
    "rating",
    "comment",
    "sentiment",
    "sentiment_score",
    "topics",
)


def csv_row(
    row: Feedback, labels: FeedbackLabels, zone: ZoneInfo, analysis: text.CommentAnalysis | None = None
) -> list[Any]:
    """One line of the export; the text analysis (a person's correction first) where the comment has one."""

    def label(mapping: Mapping[int, Any], key: int | None, part: int | None = None) -> str:
        if key is None or key not in mapping:
            return ""
        value = mapping[key]
        return str(value[part] if part is not None else value)

    return [
        row.id,
        row.received_at.astimezone(zone).isoformat(timespec="seconds"),
        row.source.value,
        row.external_id,
        row.channel.value if row.channel else "",
        row.language or "",
        label(labels.touchpoints, row.touchpoint_id, 0),
        label(labels.teams, row.team_id),
        label(labels.agents, row.agent_id),
        label(labels.products, row.product_id, 0),
        label(labels.customers, row.customer_id, 0),
        row.interaction_id or "",
        *("" if v is None else v for v in (row.nps, row.csat, row.ces, row.rating)),
        spreadsheet_safe(row.comment or ""),
        analysis.sentiment if analysis else "",
        round(analysis.score, 4) if analysis else "",
        "|".join(t.key for t in analysis.topics) if analysis else "",
    ]


def _topic_groups(session: Session, locale: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The leaf topics a person may set, grouped by parent: (parent name, [(key, name)])."""
    tax = text.taxonomy(session)
    language = "es" if locale.startswith("es") else "en"
    groups = []
    for parent in tax.parents():
        children = tax.children(parent.key)
        leaves = children or (parent,)
        groups.append((parent.name(language), [(t.key, t.name(language)) for t in leaves]))
    return groups


@router.get("/feedback/{feedback_id}")
def detail(request: Request, feedback_id: int, session: DbSession, user: CurrentUser) -> Response:
    row = service.get_feedback(session, user.principal, feedback_id)  # NotFound → the 404 page
    labels = service.feedback_labels(session, [row])
    terms = logic.search_terms(request.query_params.get("q"))
    locale = request_locale(request, user)
    analysis = text.analyses_of(session, [row.id], locale).get(row.id)
    can_correct = analysis is not None and user.role in text.CORRECTORS
    context = {
        "title": tr(request, user, "Feedback %(id)s") % {"id": row.id},
        "row": row,
        "labels": labels,
        "chips": score_chips(row),
        "spans": comment_spans(row.comment, terms, analysis, limit=None),
        "analysis": analysis,
        "can_correct": can_correct,
        "topic_groups": _topic_groups(session, locale) if can_correct else [],
        "chosen_topics": {t.key for t in analysis.topics} if analysis else set(),
        "back": request.query_params.get("back", ""),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **row_context(),
    }
    return render(request, "feedback/detail.html", context, user=user)


def _back_to(request: Request, feedback_id: int, form: Mapping[str, Any]) -> str:
    """Where a correction returns: the detail page it came from (only a path of this feedback)."""
    here = str(form.get("next", ""))
    return here if here.startswith(f"/feedback/{feedback_id}") else f"/feedback/{feedback_id}"


@router.post("/feedback/{feedback_id}/sentiment")
async def correct_sentiment(request: Request, feedback_id: int, session: DbSession, user: CurrentUser) -> Response:
    """A person sets the comment's sentiment (an empty value gives the model's back)."""
    form = await request.form()
    label = str(form.get("sentiment", "")).strip() or None
    text.correct_sentiment(session, user.principal, feedback_id, label)
    message = N_("Sentiment corrected.") if label else N_("The model’s sentiment is back.")
    flash(request, tr(request, user, message))
    return redirect(request, _back_to(request, feedback_id, form))


@router.post("/feedback/{feedback_id}/topics")
async def correct_topics(request: Request, feedback_id: int, session: DbSession, user: CurrentUser) -> Response:
    """A person sets the comment's topics: the checked ones (none means no topic fits)."""
    form = await request.form()
    keys = [str(k) for k in form.getlist("topic") if str(k).strip()]
    text.correct_topics(session, user.principal, feedback_id, keys)
    flash(request, tr(request, user, "Topics corrected."))
    return redirect(request, _back_to(request, feedback_id, form))
