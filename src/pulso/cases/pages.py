"""Pages of the cases domain: the queue (/cases, its CSV and bulk assignment), one case with its
timeline and action forms, the rules and their editor with a back-test, calendars and SLA policies,
and the closed-loop dashboard.

Every page reads through the service, which scopes what a principal sees (`readable_cases`); each
form is a CSRF-checked POST that redirects back with a flash, and a domain error is shown next to the
field it names (the change runs in a savepoint, so a refused one leaves nothing behind).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates as babel_dates
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.models import User
from pulso.cases import logic, service
from pulso.cases.enums import (
    OPEN_STATUSES,
    PRIORITY_RANK,
    Assignment,
    CaseEventKind,
    CaseStatus,
    CompensationKind,
    EscalationLevel,
    Priority,
    SlaKind,
)
from pulso.cases.models import Case, CaseCalendar, CaseEvent, CaseNote, CaseRule, Compensation
from pulso.cases.repository import CaseFilters
from pulso.cases.schemas import CalendarIn, PolicyIn, RuleIn, TargetIn
from pulso.customers import service as customers
from pulso.feedback import service as feedback
from pulso.feedback.pages import CHANNEL_NAMES, SENTIMENT_NAMES, SOURCE_NAMES, row_context, score_chips
from pulso.feedback.repository import FeedbackFilters
from pulso.interactions import service as interactions
from pulso.interactions.pages import STATUS_NAMES as INTERACTION_STATUS_NAMES
from pulso.kit import business_hours
from pulso.kit.db import utcnow
from pulso.kit.errors import NotFound, PulsoError, ValidationFailed
from pulso.kit.export import csv_cell
from pulso.kit.pagination import Page, PageParams
from pulso.metrics import service as metrics
from pulso.text import service as text
from pulso.web import i18n
from pulso.web.deps import DbSession, PageUser, page_router, require_page_roles
from pulso.web.i18n import N_
from pulso.web.templating import ROLE_NAMES, flash, is_htmx, redirect, render, request_locale, tr

router = page_router()

CASE_ROLES = (Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR, Role.AGENT)
CaseUser = Annotated[PageUser, require_page_roles(*CASE_ROLES)]
LeadUser = Annotated[PageUser, require_page_roles(*service.LEADS)]
ManagerUser = Annotated[PageUser, require_page_roles(*service.MANAGERS)]

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
RESULTS_ID = "case-results"
BACKTEST_DAYS = 30
CUSTOMER_ITEMS = 5

STATUS_NAMES = {
    CaseStatus.NEW: N_("New"),
    CaseStatus.IN_PROGRESS: N_("In progress"),
    CaseStatus.WAITING: N_("Waiting for the customer"),
    # Not "Resolved"/"Closed": those msgids are the interactions' (feminine in Spanish); a case is masculine.
    CaseStatus.RESOLVED: N_("Solved"),
    CaseStatus.CLOSED: N_("Closed out"),
}
STATUS_TONES = {
    CaseStatus.NEW: "info",
    CaseStatus.IN_PROGRESS: "",
    CaseStatus.WAITING: "warn",
    CaseStatus.RESOLVED: "good",
    CaseStatus.CLOSED: "",
}
STATUS_ORDER = tuple(CaseStatus)
PRIORITY_NAMES = service.PRIORITY_NAMES
PRIORITY_TONES = {Priority.LOW: "", Priority.NORMAL: "info", Priority.HIGH: "warn", Priority.URGENT: "bad"}
LEVEL_NAMES = {
    EscalationLevel.OWNER: N_("Owner"),
    EscalationLevel.SUPERVISOR: N_("Supervisor"),
    EscalationLevel.MANAGER: N_("Manager"),
}
ASSIGNMENT_NAMES = {
    Assignment.ROUND_ROBIN: N_("Round robin among the team’s agents"),
    Assignment.AGENT_SUPERVISOR: N_("The supervisor of the agent the feedback names"),
    Assignment.NAMED_USER: N_("A named person"),
    Assignment.TEAM_QUEUE: N_("The team queue (nobody yet)"),
}
COMPENSATION_NAMES = {
    CompensationKind.REFUND: N_("Refund"),
    CompensationKind.VOUCHER: N_("Voucher"),
    CompensationKind.DISCOUNT: N_("Discount"),
    CompensationKind.GIFT: N_("Gift"),
    CompensationKind.OTHER: N_("Other"),
}
SLA_NAMES = {SlaKind.FIRST_CONTACT: N_("first contact"), SlaKind.RESOLUTION: N_("resolution")}
REASON_NAMES = {
    "manual": N_("by hand"),
    "sla_warning": N_("the SLA was about to be breached"),
    "sla_breached": N_("the SLA was breached"),
}
STATUS_FILTERS = {
    "open": N_("Open cases"),
    "resolved": N_("Solved cases"),
    "closed": N_("Closed cases"),
    "all": N_("All cases"),
}
BREACHED_FILTERS = {"yes": N_("Breached"), "no": N_("Not breached")}
COUNTRY_NAMES = {"ES": N_("Spain"), "MX": N_("Mexico"), "AR": N_("Argentina"), "CO": N_("Colombia"), "CL": N_("Chile")}
LIMIT_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.CX_MANAGER)
PERIODS = {"7d": N_("Last 7 days"), "30d": N_("Last 30 days"), "90d": N_("Last 90 days"), "custom": N_("Custom dates")}
DEFAULT_PERIOD = "30d"

# The rule editor: what each field of a condition is called, and how its operators read.
FIELD_NAMES = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "rating": N_("Rating"),
    "sentiment_score": N_("Sentiment score"),
    "sentiment": N_("Sentiment"),
    "topic": N_("Topic"),
    "key_account": N_("Key account"),
    "channel": N_("Channel"),
    "source": N_("Source"),
    "product": N_("Product"),
    "touchpoint": N_("Touchpoint"),
    "team": N_("Team"),
    "segment": N_("Segment"),
    "region": N_("Region"),
    "language": N_("Language"),
}
OP_NAMES = {
    "eq": N_("= equals"),
    "ne": N_("≠ is not"),
    "lt": N_("< less than"),
    "lte": N_("≤ at most"),
    "gt": N_("> more than"),
    "gte": N_("≥ at least"),
    "in": N_("is one of"),
    "is": N_("is"),
    "has": N_("mentions any of"),
}
OP_SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥"}
MULTI_OPS = ("in", "has")
LANGUAGE_CHOICES = {"es": N_("Spanish"), "en": N_("English"), "other": N_("Other")}


def _gettext(request: Request, user: PageUser) -> Callable[[str], str]:
    def gettext(message: str) -> str:
        return tr(request, user, message)

    return gettext


def _language(request: Request, user: PageUser) -> str:
    return "es" if request_locale(request, user) == "es" else "en"


def _local(user: PageUser) -> ZoneInfo:
    return ZoneInfo(user.timezone)


async def _form_data(request: Request) -> dict[str, list[str]]:
    data = await request.form()
    return {key: [str(v) for v in data.getlist(key)] for key in data}


def _one(data: Mapping[str, Sequence[str]], name: str) -> str:
    values = data.get(name) or [""]
    return values[0].strip()


def _optional_id(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _strip_field(message: str) -> str:
    """A domain message without its leading 'field: ' (the page shows it next to the field)."""
    head, sep, rest = message.partition(": ")
    return rest if sep and re.fullmatch(r"[\w.\[\]]+", head) else message


def _localized(error: PulsoError, request: Request, user: PageUser) -> str:
    return _strip_field(i18n.localized_message(error.message, request_locale(request, user)))


# --------------------------------------------------------------------------- countdowns


def countdown_words(seconds: float, locale: str) -> str:
    """A span a person reads at a glance, to the minute: 35 min, 2 h 10 min, 3 d 4 h (cases.js agrees)."""
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    day_text = i18n.format_integer(days, locale)
    return f"{day_text} d {hours} h" if hours else f"{day_text} d"


@dataclass(frozen=True)
class Due:
    """One clock of a case as the page shows it."""

    kind: SlaKind | None
    at: datetime | None
    state: str  # running, overdue, paused, met, missed, none
    text: str


def next_due(case: Case) -> tuple[SlaKind | None, datetime | None]:
    """The nearest deadline still running: first contact until the customer is reached, then resolution."""
    if case.status not in OPEN_STATUSES:
        return None, None
    first, resolution = case.first_contact_due_at, case.resolution_due_at
    if case.customer_contacted_at is None and first is not None and (resolution is None or first < resolution):
        return SlaKind.FIRST_CONTACT, first
    if resolution is not None:
        return SlaKind.RESOLUTION, resolution
    return None, None


def running_due(
    kind: SlaKind | None, at: datetime | None, paused: bool, now: datetime, gettext: Callable[[str], str], locale: str
) -> Due:
    if at is None:
        return Due(kind, None, "none", "—")
    if paused:
        return Due(kind, at, "paused", gettext("paused"))
    left = (at - now).total_seconds()
    if left >= 0:
        return Due(kind, at, "running", gettext("in %(time)s") % {"time": countdown_words(left, locale)})
    return Due(kind, at, "overdue", gettext("overdue by %(time)s") % {"time": countdown_words(left, locale)})


def queue_due(case: Case, now: datetime, gettext: Callable[[str], str], locale: str) -> Due:
    kind, at = next_due(case)
    return running_due(kind, at, case.status is CaseStatus.WAITING, now, gettext, locale)


def clock_of(case: Case, kind: SlaKind, now: datetime, gettext: Callable[[str], str], locale: str) -> Due:
    """One clock of the case page: counting down, paused, or its outcome."""
    if kind is SlaKind.FIRST_CONTACT:
        due, done, breached = case.first_contact_due_at, case.customer_contacted_at, case.first_contact_breached_at
    else:
        due, done, breached = case.resolution_due_at, case.resolved_at, case.resolution_breached_at
    if done is not None:
        missed = breached is not None or (due is not None and done > due)
        return Due(kind, due, "missed" if missed else "met", "")
    if case.status not in OPEN_STATUSES:
        return Due(kind, due, "none", "—")
    return running_due(kind, due, case.status is CaseStatus.WAITING, now, gettext, locale)


# --------------------------------------------------------------------------- the queue


@dataclass
class QueueQuery:
    params: dict[str, str]
    filters: CaseFilters = field(default_factory=CaseFilters)
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)


QUEUE_PARAMS = ("status", "owner", "team", "priority", "breached", "q")


def parse_queue(raw: Mapping[str, str], user: PageUser, gettext: Callable[[str], str]) -> QueueQuery:
    """The queue's filters from the query string; a bad value is named and the filter left out."""
    params = {k: v.strip() for k in QUEUE_PARAMS if (v := raw.get(k)) is not None and v.strip()}
    query = QueueQuery(params=params)
    values: dict[str, Any] = {}
    status = params.get("status", "open")
    if status == "resolved":
        values["status"] = (CaseStatus.RESOLVED,)
    elif status == "closed":
        values["status"] = (CaseStatus.CLOSED,)
    elif status == "all":
        values["status"] = tuple(CaseStatus)
    elif status != "open":
        query.errors["status"] = gettext("Choose one of the offered statuses.")
    owner = params.get("owner", "")
    if owner == "me":
        values["owner_id"] = user.id
    elif owner == "none":
        values["unassigned"] = True
    elif owner.isdigit():
        values["owner_id"] = int(owner)
    elif owner:
        query.errors["owner"] = gettext("Choose one of the offered people.")
    team = params.get("team", "")
    if team.isdigit():
        values["team_id"] = int(team)
    elif team:
        query.errors["team"] = gettext("Choose one of the offered teams.")
    priority = params.get("priority", "")
    if priority in {p.value for p in Priority}:
        values["priority"] = priority
    elif priority:
        query.errors["priority"] = gettext("Choose one of the offered priorities.")
    breached = params.get("breached", "")
    if breached in BREACHED_FILTERS:
        values["breached"] = breached == "yes"
    elif breached:
        query.errors["breached"] = gettext("Choose one of the offered values.")
    if "q" in params:
        if len(params["q"]) > 200:
            query.errors["q"] = gettext("The search is too long (at most 200 characters).")
        else:
            values["search"] = params["q"]
    page = raw.get("page", "1").strip()
    query.page = int(page) if page.isdigit() and int(page) >= 1 else 1
    query.filters = CaseFilters(**values)
    return query


@dataclass(frozen=True)
class CaseRow:
    case: Case
    due: Due
    owner: str | None
    team: str | None
    customer: str | None


def case_rows(
    session: Session, cases: Sequence[Case], now: datetime, gettext: Callable[[str], str], locale: str
) -> list[CaseRow]:
    # The labels helper reads the id columns of feedback rows; a case has only the team and customer.
    refs = [
        SimpleNamespace(
            touchpoint_id=None, team_id=c.team_id, agent_id=None, product_id=None, customer_id=c.customer_id
        )
        for c in cases
    ]
    labels = feedback.feedback_labels(session, refs)
    people = accounts.users_by_ids(session, [c.owner_id for c in cases if c.owner_id is not None])
    rows = []
    for c in cases:
        owner = people.get(c.owner_id) if c.owner_id is not None else None
        customer = labels.customers.get(c.customer_id) if c.customer_id is not None else None
        rows.append(
            CaseRow(
                case=c,
                due=queue_due(c, now, gettext, locale),
                owner=owner.name if owner else None,
                team=labels.teams.get(c.team_id) if c.team_id is not None else None,
                customer=(customer[1] or customer[0]) if customer else None,
            )
        )
    return rows


def owner_choices(session: Session, user: PageUser, team_id: int | None = None) -> list[tuple[str, str]]:
    """Who this user may give a case to: a supervisor their team's people, a manager anyone who may own cases."""
    teams = {t.id: t.name for t in accounts.all_teams(session)}
    if user.role is Role.SUPERVISOR:
        people = accounts.active_users(
            session, team_ids=[user.team_id] if user.team_id else [], roles=[Role.AGENT, Role.SUPERVISOR]
        )
        if user.id not in {p.id for p in people}:
            people += [u for u in accounts.active_users(session) if u.id == user.id]
    else:
        people = accounts.active_users(session, roles=list(CASE_ROLES))
        if team_id is not None:
            people.sort(key=lambda u: (u.team_id != team_id, u.name))
    if team_id is None or user.role is Role.SUPERVISOR:
        people.sort(key=lambda u: u.name)

    def label(person: User) -> str:
        team = teams.get(person.team_id) if person.team_id is not None else None
        return f"{person.name} · {team}" if team else person.name

    return [(str(p.id), label(p)) for p in people]


def _queue_title(user: PageUser) -> str:
    if user.role is Role.AGENT:
        return N_("My cases")
    if user.role is Role.SUPERVISOR:
        return N_("Team queue")
    return N_("Cases")


@router.get("/cases")
def queue(request: Request, session: DbSession, user: CaseUser) -> Response:
    """The cases the user may see, what breaches first on top; HTMX gets only the results."""
    gettext = _gettext(request, user)
    locale = request_locale(request, user)
    query = parse_queue(request.query_params, user, gettext)
    page: Page[Case] | None = None
    rows: list[CaseRow] = []
    if not query.errors:
        page = service.list_cases(session, user.principal, query.filters, PageParams(page=query.page, size=PAGE_SIZE))
        rows = case_rows(session, page.items, utcnow(), gettext, locale)
    is_lead = user.role in service.LEADS
    owners = owner_choices(session, user) if user.role is not Role.AGENT else []
    context = {
        "title": gettext(_queue_title(user)),
        "heading": _queue_title(user),
        "q": query,
        "page": page,
        "rows": rows,
        "is_lead": is_lead,
        "owner_filter": [("me", gettext("Me")), ("none", gettext("Unassigned")), *owners],
        "owner_options": owners,
        "team_options": [(str(t.id), t.name) for t in accounts.all_teams(session)]
        if user.role in service.MANAGERS
        else [],
        "status_options": [(k, gettext(v)) for k, v in STATUS_FILTERS.items()],
        "breached_options": [(k, gettext(v)) for k, v in BREACHED_FILTERS.items()],
        "priority_options": [(p.value, gettext(PRIORITY_NAMES[p])) for p in Priority],
        "here": queue_url(query.params, query.page),
        "results_id": RESULTS_ID,
        **_names(),
    }
    if is_htmx(request) and request.headers.get("hx-target") == RESULTS_ID:
        return render(request, "cases/_queue_results.html", context, user=user)
    return render(request, "cases/list.html", context, user=user, status_code=422 if query.errors else 200)


def queue_url(params: Mapping[str, str], page: int = 1) -> str:
    """The queue with these filters and page (where a bulk assignment returns)."""
    merged = {**params, **({"page": str(page)} if page > 1 else {})}
    return "/cases" + (f"?{urlencode(merged)}" if merged else "")


def _names() -> dict[str, Any]:
    return {
        "status_names": STATUS_NAMES,
        "status_tones": STATUS_TONES,
        "priority_names": PRIORITY_NAMES,
        "priority_tones": PRIORITY_TONES,
        "level_names": LEVEL_NAMES,
        "sla_names": SLA_NAMES,
        "priorities": list(Priority),
    }


CSV_HEADER = (
    "id",
    "title",
    "status",
    "priority",
    "owner",
    "team",
    "customer",
    "opened_at",
    "next_due",
    "next_due_at",
    "due_state",
    "first_contact_due_at",
    "resolution_due_at",
    "customer_contacted_at",
    "first_contact_breached",
    "resolution_breached",
    "escalation",
    "root_cause",
    "resolved_at",
)


@router.get("/cases.csv")
def queue_csv(request: Request, session: DbSession, user: CaseUser) -> Response:
    """The filtered queue as CSV, in the queue's order, at most EXPORT_LIMIT rows."""
    gettext = _gettext(request, user)
    query = parse_queue(request.query_params, user, gettext)
    if query.errors:
        body = "\n".join(f"{k}: {v}" for k, v in query.errors.items())
        return Response(body + "\n", status_code=422, media_type="text/plain; charset=utf-8")
    zone, now = _local(user), utcnow()

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).isoformat(timespec="seconds") if value else ""

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    size, number, written = 500, 1, 0
    while written < EXPORT_LIMIT:
        page = service.list_cases(session, user.principal, query.filters, PageParams(page=number, size=size))
        for row in case_rows(session, page.items, now, gettext, "en"):
            c = row.case
            writer.writerow(
                [
                    csv_cell(v)
                    for v in (
                        c.id,
                        c.title,
                        c.status.value,
                        c.priority.value,
                        row.owner,
                        row.team,
                        row.customer,
                        when(c.opened_at),
                        row.due.kind.value if row.due.kind else "",
                        when(row.due.at),
                        row.due.state,
                        when(c.first_contact_due_at),
                        when(c.resolution_due_at),
                        when(c.customer_contacted_at),
                        c.first_contact_breached_at is not None,
                        c.resolution_breached_at is not None,
                        c.escalation.value,
                        c.root_cause,
                        when(c.resolved_at),
                    )
                ]
            )
        written += len(page.items)
        if number >= page.pages:
            break
        number += 1
    stamp = datetime.now(zone).strftime("%Y%m%d-%H%M")
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="pulso-cases-{stamp}.csv"'},
    )


def _back(value: str, default: str = "/cases") -> str:
    """Where a form returns: a page of the cases area only (never another site)."""
    return value if value.startswith("/cases") and not value.startswith("//") else default


@router.post("/cases/assign")
async def bulk_assign(request: Request, session: DbSession, user: LeadUser) -> Response:
    """Assign the checked cases at once: all of them, or none when one cannot be."""
    data = await _form_data(request)
    back = _back(_one(data, "next"))
    ids = [int(v) for v in data.get("case_id", []) if v.strip().isdigit()]
    owner_text = _one(data, "owner")
    if not ids:
        flash(request, tr(request, user, "Choose at least one case."), "error")
        return redirect(request, back)
    if owner_text != "none" and not owner_text.isdigit():
        flash(request, tr(request, user, "Choose the person who gets the cases."), "error")
        return redirect(request, back)
    owner_id = int(owner_text) if owner_text.isdigit() else None
    try:
        with session.begin_nested():
            changed = service.bulk_assign(session, user.principal, ids, owner_id, now=utcnow())
    except PulsoError as error:
        flash(
            request,
            tr(request, user, "Nothing was assigned: %(reason)s") % {"reason": _localized(error, request, user)},
            "error",
        )
        return redirect(request, back)
    locale = request_locale(request, user)
    count = i18n.format_integer(len(changed), locale)
    if owner_id is None:
        flash(request, tr(request, user, "Cases back in the team queue: %(num)s.") % {"num": count})
    else:
        name = accounts.get_user(session, owner_id).name
        flash(request, tr(request, user, "Cases assigned to %(name)s: %(num)s.") % {"name": name, "num": count})
    return redirect(request, back)


# --------------------------------------------------------------------------- one case

CASE_FORMS = ("status", "assign", "priority", "contacted", "note", "root_cause", "compensation", "escalate")


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    who: str
    kind: str  # a CaseEventKind value, or "note"
    data: Mapping[str, Any]
    body: str | None = None


def timeline(
    events: Sequence[CaseEvent], notes: Sequence[CaseNote], people: Mapping[int, User], gettext: Callable[[str], str]
) -> list[TimelineItem]:
    """Events and notes in time order (a note's own event is left out: the note says more)."""

    def who(user_id: int | None) -> str:
        if user_id is None:
            return gettext("Pulso (automatic)")
        person = people.get(user_id)
        return person.name if person else gettext("a former user")

    items = [
        (e.at, 0, e.id, TimelineItem(e.at, who(e.actor_id), e.kind.value, e.data))
        for e in events
        if e.kind is not CaseEventKind.NOTE
    ]
    items += [(n.created_at, 1, n.id, TimelineItem(n.created_at, who(n.author_id), "note", {}, n.body)) for n in notes]
    items.sort(key=lambda item: (item[0], item[1], item[2]))
    return [item[3] for item in items]


def topic_groups(session: Session, language: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The topics a root cause may be, grouped by their parent: (parent name, [(key, name)])."""
    tax = text.taxonomy(session)
    groups = []
    for parent in tax.parents():
        leaves = tax.children(parent.key) or (parent,)
        groups.append((parent.name(language), [(t.key, t.name(language)) for t in leaves]))
    return groups


def _limit_for(session: Session, role: Role, currency: str) -> Decimal | None:
    for row in service.compensation_limits(session):
        if row.role is role and row.currency == currency:
            return row.max_per_case
    return None


def _given(compensations: Sequence[Compensation], currency: str) -> Decimal:
    return sum((c.amount for c in compensations if c.currency == currency), Decimal(0))


def money(amount: Decimal | str, currency: str, locale: str) -> str:
    """An amount with its currency code: 1.250,00 MXN."""
    return f"{i18n.format_number(float(amount), locale, 2)} {currency}"


def instant(value: Any) -> datetime | None:
    """An ISO instant kept in an event's data, as a datetime (None when it is not one)."""
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _readable_customer(session: Session, user: PageUser, customer_id: int) -> bool:
    try:
        customers.get_readable_customer(session, user.principal, customer_id)
    except NotFound:
        return False
    return True


def _readable_feedback(session: Session, user: PageUser, feedback_id: int) -> bool:
    try:
        feedback.get_feedback(session, user.principal, feedback_id)
    except NotFound:
        return False
    return True


def _case_page(
    request: Request,
    user: PageUser,
    session: Session,
    case_id: int,
    *,
    errors: Mapping[str, Mapping[str, str]] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    gettext = _gettext(request, user)
    locale = request_locale(request, user)
    language = _language(request, user)
    detail = service.case_detail(session, user.principal, case_id, locale=language)  # NotFound → 404 page
    case, now = detail.case, utcnow()
    recent = (
        feedback.list_feedback(
            session,
            user.principal,
            FeedbackFilters(customer_id=case.customer_id),
            PageParams(page=1, size=CUSTOMER_ITEMS),
        )
        if case.customer_id
        else None
    )
    contacts = (
        interactions.list_interactions(
            session, user.principal, PageParams(page=1, size=CUSTOMER_ITEMS), customer_id=case.customer_id
        )
        if case.customer_id
        else None
    )
    fb = detail.feedback
    labels = feedback.feedback_labels(
        session, [*([fb] if fb else []), *(recent.items if recent else []), *(contacts.items if contacts else [])]
    )
    team_name = labels.teams.get(case.team_id) if case.team_id is not None else None
    if case.team_id is not None and team_name is None:
        team_name = accounts.get_team(session, case.team_id).name
    limits = [r for r in service.compensation_limits(session) if r.role is user.role]
    currency = limits[0].currency if limits else ""
    is_lead = user.role in service.LEADS
    is_open = case.status in OPEN_STATUSES
    next_level = logic.next_level(case.escalation)
    people = detail.people

    def person(user_id: Any) -> str:
        if not isinstance(user_id, int):
            return gettext("nobody")
        found = people.get(user_id)
        return found.name if found else gettext("a former user")

    tax = text.taxonomy(session)

    def topic_name(key: Any) -> str:
        return tax.get(key).name(language) if isinstance(key, str) and key in tax else str(key or "—")

    context = {
        "title": gettext("Case %(id)s") % {"id": case.id},
        "case": case,
        "detail": detail,
        "team_name": team_name,
        "owner_name": person(case.owner_id) if case.owner_id else None,
        "escalated_to": person(case.escalated_to_id) if case.escalated_to_id else None,
        "first_contact": clock_of(case, SlaKind.FIRST_CONTACT, now, gettext, locale),
        "resolution": clock_of(case, SlaKind.RESOLUTION, now, gettext, locale),
        "timeline": timeline(detail.events, detail.notes, people, gettext),
        "person": person,
        "topic_name": topic_name,
        "feedback_row": fb,
        "feedback_chips": score_chips(fb) if fb else [],
        "feedback_link": fb is not None and _readable_feedback(session, user, fb.id),
        "customer": detail.customer,
        "customer_link": bool(detail.customer) and _readable_customer(session, user, case.customer_id or 0),
        "past_cases": detail.past_cases,
        "recent": recent,
        "contacts": contacts,
        "labels": labels,
        "interaction_status_names": INTERACTION_STATUS_NAMES,
        "next_statuses": [s for s in STATUS_ORDER if s in logic.TRANSITIONS[case.status]],
        "owner_options": owner_choices(session, user, case.team_id) if is_lead else [],
        "root_cause_groups": topic_groups(session, language),
        "compensation_names": COMPENSATION_NAMES,
        "compensation_options": [(k.value, gettext(COMPENSATION_NAMES[k])) for k in CompensationKind],
        "priority_options": [(p.value, gettext(PRIORITY_NAMES[p])) for p in Priority],
        "limits": limits,
        "currency": currency,
        "money": lambda amount, code: money(amount, code, locale),
        "reason_names": REASON_NAMES,
        "assignment_names": ASSIGNMENT_NAMES,
        "instant": instant,
        "is_lead": is_lead,
        "is_open": is_open,
        "next_level": next_level if is_open else None,
        "is_admin": user.role is Role.ADMIN,
        "errors": errors or {},
        "values": values or {},
        "channel_names": CHANNEL_NAMES,
        **row_context(),
        **_names(),
    }
    return render(request, "cases/detail.html", context, user=user, status_code=status_code)


@router.get("/cases/{case_id:int}")
def case_page(request: Request, case_id: int, session: DbSession, user: CaseUser) -> Response:
    """One case: header and clocks, the customer's context, the timeline, and what can be done next."""
    return _case_page(request, user, session, case_id)


# What the service's details mean, said next to the field: (field, detail code) → message.
DETAIL_MESSAGES = {
    ("resolution", "required"): N_("Say how the case was resolved."),
    ("body", "required"): N_("Write the note."),
    ("root_cause", "unknown"): N_("Choose a topic of the taxonomy."),
    ("owner_id", "invalid"): N_("That person cannot own cases."),
    ("at", "out of range"): N_("Give a time between the opening of the case and now."),
    ("currency", "invalid"): N_("A three-letter code such as MXN or EUR."),
}
AMOUNT_MESSAGES = (
    ("is not an amount", N_("Write an amount such as 250 or 49.90.")),
    ("greater than 0", N_("The amount must be greater than 0.")),
    ("two decimals", N_("At most two decimals.")),
    ("too large", N_("The amount is too large.")),
)


def case_errors(error: PulsoError, fields: Sequence[str], request: Request, user: PageUser) -> dict[str, str]:
    """A refused change as {field: message in the user's language}; '_form' when it names no field."""
    out: dict[str, str] = {}
    details = error.details if isinstance(error.details, dict) else {}
    for name, code in details.items():
        key = "owner" if name == "owner_id" else name
        if key not in fields:
            continue
        msgid = DETAIL_MESSAGES.get((name, str(code)))
        if msgid is None and name == "amount":
            msgid = next((m for marker, m in AMOUNT_MESSAGES if marker in str(code)), None)
        out[key] = tr(request, user, msgid) if msgid else _localized(error, request, user)
    if not out:
        out["_form"] = _localized(error, request, user)
    return out


async def _act(
    request: Request,
    user: PageUser,
    session: Session,
    case_id: int,
    form_name: str,
    fields: Sequence[str],
    values: Mapping[str, str],
    change: Callable[[], str],
    problems: Mapping[str, str] | None = None,
) -> Response:
    """Run one change in a savepoint: a flash and back to the case, or the page with the error by its field."""
    errors = dict(problems or {})
    if not errors:
        try:
            with session.begin_nested():
                message = change()
        except NotFound:
            raise
        except PulsoError as error:
            errors = case_errors(error, fields, request, user)
            status = error.status_code
        else:
            flash(request, message)
            return redirect(request, f"/cases/{case_id}")
    else:
        status = 422
    return _case_page(
        request,
        user,
        session,
        case_id,
        errors={form_name: errors},
        values={form_name: dict(values)},
        status_code=status,
    )


@router.post("/cases/{case_id:int}/status")
async def change_status(request: Request, case_id: int, session: DbSession, user: CaseUser) -> Response:
    data = await _form_data(request)
    values = {"status": _one(data, "status"), "resolution": _one(data, "resolution")}
    problems: dict[str, str] = {}
    try:
        target = CaseStatus(values["status"])
    except ValueError:
        problems["status"] = tr(request, user, "Choose one of the offered statuses.")
        target = CaseStatus.NEW

    def change() -> str:
        service.change_status(
            session, user.principal, case_id, target, resolution=values["resolution"] or None, now=utcnow()
        )
        return tr(request, user, "Status changed to “%(status)s”.") % {
            "status": tr(request, user, STATUS_NAMES[target])
        }

    return await _act(request, user, session, case_id, "status", ("status", "resolution"), values, change, problems)


@router.post("/cases/{case_id:int}/assign")
async def assign(request: Request, case_id: int, session: DbSession, user: LeadUser) -> Response:
    data = await _form_data(request)
    values = {"owner": _one(data, "owner")}
    owner_id = _optional_id(values["owner"])
    problems = {}
    if values["owner"] not in ("", "none") and owner_id is None:
        problems["owner"] = tr(request, user, "Choose one of the offered people.")

    def change() -> str:
        case = service.assign_case(session, user.principal, case_id, owner_id, now=utcnow())
        if case.owner_id is None:
            return tr(request, user, "The case is back in the team queue.")
        return tr(request, user, "Case assigned to %(name)s.") % {
            "name": accounts.get_user(session, case.owner_id).name
        }

    return await _act(request, user, session, case_id, "assign", ("owner",), values, change, problems)


@router.post("/cases/{case_id:int}/priority")
async def set_priority(request: Request, case_id: int, session: DbSession, user: LeadUser) -> Response:
    data = await _form_data(request)
    values = {"priority": _one(data, "priority")}
    problems = {}
    try:
        priority = Priority(values["priority"])
    except ValueError:
        problems["priority"] = tr(request, user, "Choose one of the offered priorities.")
        priority = Priority.NORMAL

    def change() -> str:
        service.set_priority(session, user.principal, case_id, priority, now=utcnow())
        return tr(request, user, "Priority changed to “%(priority)s”.") % {
            "priority": tr(request, user, PRIORITY_NAMES[priority])
        }

    return await _act(request, user, session, case_id, "priority", ("priority",), values, change, problems)


def parse_local_datetime(value: str, zone: ZoneInfo) -> datetime | None:
    """A datetime-local field (YYYY-MM-DDTHH:MM) in the organisation's zone; None when it is not one."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


@router.post("/cases/{case_id:int}/contacted")
async def mark_contacted(request: Request, case_id: int, session: DbSession, user: CaseUser) -> Response:
    data = await _form_data(request)
    values = {"at": _one(data, "at")}
    at = parse_local_datetime(values["at"], _local(user)) if values["at"] else None
    problems = {}
    if values["at"] and at is None:
        problems["at"] = tr(request, user, "Give a date and a time.")

    def change() -> str:
        service.mark_contacted(session, user.principal, case_id, at=at, now=utcnow())
        return tr(request, user, "Contact with the customer recorded.")

    return await _act(request, user, session, case_id, "contacted", ("at",), values, change, problems)


@router.post("/cases/{case_id:int}/notes")
async def add_note(request: Request, case_id: int, session: DbSession, user: CaseUser) -> Response:
    data = await _form_data(request)
    values = {"body": (data.get("body") or [""])[0]}

    def change() -> str:
        service.add_note(session, user.principal, case_id, values["body"], now=utcnow())
        return tr(request, user, "Note added.")

    return await _act(request, user, session, case_id, "note", ("body",), values, change)


@router.post("/cases/{case_id:int}/root-cause")
async def set_root_cause(request: Request, case_id: int, session: DbSession, user: CaseUser) -> Response:
    data = await _form_data(request)
    values = {"root_cause": _one(data, "root_cause")}

    def change() -> str:
        service.set_root_cause(session, user.principal, case_id, values["root_cause"] or None, now=utcnow())
        return (
            tr(request, user, "Root cause saved.") if values["root_cause"] else tr(request, user, "Root cause cleared.")
        )

    return await _act(request, user, session, case_id, "root_cause", ("root_cause",), values, change)


@router.post("/cases/{case_id:int}/compensations")
async def give_compensation(request: Request, case_id: int, session: DbSession, user: CaseUser) -> Response:
    data = await _form_data(request)
    values = {name: _one(data, name) for name in ("kind", "amount", "currency", "note")}
    problems = {}
    try:
        kind = CompensationKind(values["kind"])
    except ValueError:
        problems["kind"] = tr(request, user, "Choose one of the offered kinds.")
        kind = CompensationKind.OTHER
    if not values["amount"]:
        problems["amount"] = tr(request, user, "Required.")
    currency = values["currency"].upper()

    def change() -> str:
        try:
            service.give_compensation(
                session,
                user.principal,
                case_id,
                kind=kind,
                amount=values["amount"],
                currency=currency,
                note=values["note"],
                now=utcnow(),
            )
        except PulsoError as error:
            details = error.details if isinstance(error.details, dict) else {}
            refusal = str(details.get("amount", ""))
            if "limit" not in refusal:
                raise
            raise _over_limit(request, user, session, case_id, currency) from None
        return tr(request, user, "Compensation recorded.")

    fields = ("kind", "amount", "currency", "note")
    return await _act(request, user, session, case_id, "compensation", fields, values, change, problems)


def _over_limit(request: Request, user: PageUser, session: Session, case_id: int, currency: str) -> ValidationFailed:
    """The limit refusal in the person's words, with the figures of their role on this case."""
    locale = request_locale(request, user)
    limit = _limit_for(session, user.role, currency)
    if limit is None:
        message = tr(request, user, "Your role may give no compensation in %(currency)s: no limit is set.") % {
            "currency": currency
        }
    else:
        given = _given(service.case_detail(session, user.principal, case_id).compensations, currency)
        message = tr(
            request, user, "Over the limit of your role: at most %(limit)s per case, %(given)s given so far."
        ) % {
            "limit": money(limit, currency, locale),
            "given": money(given, currency, locale),
        }
    return ValidationFailed(message, details={"amount": message})


@router.post("/cases/{case_id:int}/escalate")
async def escalate(request: Request, case_id: int, session: DbSession, user: CaseUser) -> Response:
    def change() -> str:
        case = service.escalate_case(session, user.principal, case_id, now=utcnow())
        return tr(request, user, "Case escalated to the level “%(level)s”.") % {
            "level": tr(request, user, LEVEL_NAMES[case.escalation])
        }

    return await _act(request, user, session, case_id, "escalate", (), {}, change)


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class RuleChoices:
    """The values a condition's fields offer, as (value, label), and the topics grouped by parent."""

    values: dict[str, list[tuple[str, str]]]
    topic_groups: list[tuple[str, list[tuple[str, str]]]]

    def label(self, name: str, value: Any) -> str:
        wanted = value_text(value)
        return next((text for v, text in self.values.get(name, []) if v == wanted), wanted)


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def rule_choices(session: Session, request: Request, user: PageUser) -> RuleChoices:
    gettext = _gettext(request, user)
    language = _language(request, user)
    options = metrics.dimension_options(session)
    found = feedback.filter_choices(session, user.principal)
    tax = text.taxonomy(session)
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for parent in tax.parents():
        children = tax.children(parent.key)
        name = parent.name(language)
        entries = [(parent.key, gettext("%(topic)s (all)") % {"topic": name} if children else name)]
        groups.append((name, entries + [(c.key, c.name(language)) for c in children]))
    values: dict[str, list[tuple[str, str]]] = {
        "channel": [(str(k), gettext(v)) for k, v in CHANNEL_NAMES.items()],
        "source": [(str(k), gettext(v)) for k, v in SOURCE_NAMES.items()],
        "sentiment": [(k, gettext(v)) for k, v in SENTIMENT_NAMES.items()],
        "language": [(k, gettext(v)) for k, v in LANGUAGE_CHOICES.items()],
        "key_account": [("true", gettext("Yes")), ("false", gettext("No"))],
        "product": [(str(o.key), o.label) for o in options["product"]],
        "touchpoint": [(str(o.key), f"{o.label} ({o.value})") for o in options["touchpoint"]],
        "team": [(str(o.key), o.label) for o in options["team"]],
        "segment": [(s, s) for s in found.segments],
        "region": [(r, r) for r in found.regions],
        "topic": [entry for _, entries in groups for entry in entries],
    }
    return RuleChoices(values, groups)


def describe_condition(data: Any, choices: RuleChoices, gettext: Callable[[str], str], locale: str) -> str:
    """A condition as a person reads it: “NPS ≤ 6 and key account”."""
    try:
        condition = logic.parse_condition(data)
    except logic.ConditionError:
        return json.dumps(data, ensure_ascii=False)

    def number(value: Any) -> str:
        if isinstance(value, float) and not value.is_integer():
            return i18n.format_number(value, locale, 2)
        return value_text(value)

    def leaf(item: logic.Leaf) -> str:
        name = gettext(FIELD_NAMES.get(item.field, item.field))
        spec = logic.FIELDS[item.field]
        if item.op == "is":
            return gettext("key account") if item.value else gettext("not a key account")
        if item.op == "has":
            topics = " " + gettext("or") + " "
            topics = topics.join(choices.label("topic", v) for v in item.value)
            return gettext("mentions %(topics)s") % {"topics": topics}
        if item.op == "in":
            shown = ", ".join(choices.label(item.field, v) for v in item.value)
            return gettext("%(field)s is one of %(values)s") % {"field": name, "values": shown}
        shown = number(item.value) if spec.kind in ("int", "float") else choices.label(item.field, item.value)
        return f"{name} {OP_SYMBOLS[item.op]} {shown}"

    def part(item: logic.Condition, nested: bool) -> str:
        if isinstance(item, logic.Leaf):
            return leaf(item)
        joiner = " " + (gettext("and") if item.mode == "all" else gettext("or")) + " "
        inner = joiner.join(part(i, True) for i in item.items)
        return f"({inner})" if nested and len(item.items) > 1 else inner

    text_ = part(condition, False)
    return text_[:1].upper() + text_[1:]


@dataclass
class ConditionRow:
    key: str = ""  # the field of the feedback
    op: str = ""
    values: list[str] = field(default_factory=list)


@dataclass
class RuleForm:
    name: str = ""
    description: str = ""
    mode: str = "all"
    rows: list[ConditionRow] = field(default_factory=list)
    nested: str = ""  # the JSON of a condition with more levels than the form shows, kept as it is
    priority: str = Priority.NORMAL.value
    sla_policy_id: str = ""
    team_id: str = ""
    assignment: str = Assignment.ROUND_ROBIN.value
    assignee_id: str = ""
    position: str = "0"
    is_active: bool = True
    applies_from: str = ""


def flat_condition(data: Any) -> tuple[str, list[ConditionRow]] | None:
    """The form's one level of all/any over leaves, or None when the condition has more levels."""

    def row(leaf: Mapping[str, Any]) -> ConditionRow:
        value = leaf.get("value")
        values = value if isinstance(value, list) else [value]
        return ConditionRow(str(leaf.get("field", "")), str(leaf.get("op", "")), [value_text(v) for v in values])

    if not isinstance(data, Mapping):
        return None
    if "field" in data:
        return "all", [row(data)]
    mode = "all" if "all" in data else "any"
    items = data.get(mode)
    if not isinstance(items, list) or not all(isinstance(i, Mapping) and "field" in i for i in items):
        return None
    return mode, [row(i) for i in items]


def rule_form_of(rule: CaseRule, zone: ZoneInfo) -> RuleForm:
    flat = flat_condition(rule.condition)
    return RuleForm(
        name=rule.name,
        description=rule.description or "",
        mode=flat[0] if flat else "all",
        rows=flat[1] if flat else [],
        nested="" if flat else json.dumps(rule.condition, ensure_ascii=False),
        priority=rule.priority.value,
        sla_policy_id=str(rule.sla_policy_id or ""),
        team_id=str(rule.team_id or ""),
        assignment=rule.assignment.value,
        assignee_id=str(rule.assignee_id or ""),
        position=str(rule.position),
        is_active=rule.is_active,
        applies_from=rule.applies_from.astimezone(zone).date().isoformat(),
    )


def parse_rule_form(data: Mapping[str, Sequence[str]]) -> RuleForm:
    indices = sorted({int(m.group(1)) for key in data if (m := re.fullmatch(r"field_(\d+)", key))})
    rows = []
    for i in indices:
        name = _one(data, f"field_{i}")
        if not name:
            continue
        spec = logic.FIELDS.get(name)
        op = _one(data, f"op_{i}") or (spec.ops[0] if spec else "")
        values = [v.strip() for v in data.get(f"value_{i}", []) if v.strip()]
        rows.append(ConditionRow(name, op, values))
    return RuleForm(
        name=_one(data, "name"),
        description=_one(data, "description"),
        mode="any" if _one(data, "mode") == "any" else "all",
        rows=rows,
        nested=_one(data, "nested"),
        priority=_one(data, "priority"),
        sla_policy_id=_one(data, "sla_policy_id"),
        team_id=_one(data, "team_id"),
        assignment=_one(data, "assignment"),
        assignee_id=_one(data, "assignee_id"),
        position=_one(data, "position"),
        is_active=_one(data, "is_active") == "1",
        applies_from=_one(data, "applies_from"),
    )


def _leaf_value(spec: logic.FieldSpec | None, text_value: str) -> Any:
    """A form value as the condition's JSON holds it; one that does not convert is left for the check to name."""
    if spec is None:
        return text_value
    if spec.kind in ("int", "id") and re.fullmatch(r"-?\d+", text_value):
        return int(text_value)
    if spec.kind == "float":
        try:
            return float(text_value.replace(",", "."))
        except ValueError:
            return text_value
    if spec.kind == "bool" and text_value in ("true", "false"):
        return text_value == "true"
    return text_value


def condition_of(form: RuleForm) -> dict[str, Any]:
    """The condition the form's rows build (or the kept JSON of a deeper one)."""
    if form.nested:
        try:
            data = json.loads(form.nested)
        except ValueError:
            return {"nested": form.nested}
        return data if isinstance(data, dict) else {"nested": data}
    items = []
    for row in form.rows:
        spec = logic.FIELDS.get(row.key)
        texts = row.values
        if spec is not None and spec.kind == "text" and row.op in MULTI_OPS:
            texts = [part.strip() for v in texts for part in v.split(",") if part.strip()]
        values = [_leaf_value(spec, v) for v in texts]
        value: Any = values if row.op in MULTI_OPS else (values[0] if values else "")
        items.append({"field": row.key, "op": row.op, "value": value})
    return {form.mode: items}


ROW_PATH = re.compile(r"^condition(?:\.(?:all|any)\[(\d+)\])?(?:\.(field|op|value))?$")


def rule_errors(
    error: PulsoError, form: RuleForm, choices: RuleChoices, request: Request, user: PageUser
) -> dict[str, str]:
    """A refused rule as {form field: message}: `row_<i>_<part>` for a condition row, `condition` for the whole."""
    gettext = _gettext(request, user)
    locale = request_locale(request, user)
    details = error.details if isinstance(error.details, dict) else {}
    out: dict[str, str] = {}
    for path, message in details.items():
        if path == "topic":
            unknown = message if isinstance(message, list) else [message]
            index = next((i for i, r in enumerate(form.rows) if r.key == "topic"), None)
            text_ = gettext("Unknown topic: %(keys)s.") % {"keys": ", ".join(map(str, unknown))}
            out[f"row_{index}_value" if index is not None else "condition"] = text_
            continue
        if path == "name":
            out["name"] = gettext("There is already a rule with this name.")
            continue
        if path == "assignee_id":
            out["assignee_id"] = (
                gettext("Choose the person who gets the cases.")
                if message == "required"
                else gettext("That person cannot own cases.")
            )
            continue
        match = ROW_PATH.match(str(path)) if not form.nested else None
        if match is None or match.group(1) is None:
            out["condition"] = condition_message(str(message), gettext)
            continue
        index, part = int(match.group(1)), match.group(2) or "value"
        row = form.rows[index] if index < len(form.rows) else ConditionRow()
        out[f"row_{index}_{part}"] = row_message(part, str(message), row, gettext, locale)
    if not out:
        out["condition" if "condition" in error.message else "_form"] = _localized(error, request, user)
    return out


def condition_message(message: str, gettext: Callable[[str], str]) -> str:
    if "non-empty list" in message:
        return gettext("Add at least one condition.")
    if "at most" in message and "conditions" in message:
        return gettext("At most %(n)s conditions in a rule.") % {"n": logic.MAX_LEAVES}
    return message


def row_message(part: str, message: str, row: ConditionRow, gettext: Callable[[str], str], locale: str) -> str:
    """What is wrong with one row of the condition, from the field's own spec."""
    spec = logic.FIELDS.get(row.key)
    if part == "field" or spec is None:
        return gettext("Choose a field.")
    if part == "op":
        return gettext("This comparison does not apply to this field.")
    if "between" in message and spec.low is not None and spec.high is not None:
        digits = 0 if spec.kind == "int" else 1
        return gettext("Between %(low)s and %(high)s.") % {
            "low": i18n.format_number(spec.low, locale, digits),
            "high": i18n.format_number(spec.high, locale, digits),
        }
    if "whole number" in message:
        return gettext("Write a whole number.")
    if "must be a number" in message:
        return gettext("Write a number.")
    if "non-empty list" in message:
        return gettext("Choose at least one value.")
    if "true or false" in message:
        return gettext("Choose yes or no.")
    return gettext("Choose one of the offered values.")


def _field_specs(choices: RuleChoices, gettext: Callable[[str], str]) -> dict[str, Any]:
    """What cases.js needs to rebuild a row when its field changes."""
    return {
        "fields": {
            name: {
                "ops": list(spec.ops),
                "kind": spec.kind,
                "low": spec.low,
                "high": spec.high,
                "choices": choices.values.get(name) or None,
            }
            for name, spec in logic.FIELDS.items()
        },
        "groups": choices.topic_groups,
        "ops": {op: gettext(label) for op, label in OP_NAMES.items()},
        "multi": list(MULTI_OPS),
    }


def _rule_page(
    request: Request,
    user: PageUser,
    session: Session,
    *,
    rule: CaseRule | None,
    form: RuleForm,
    errors: Mapping[str, str] | None = None,
    backtest: service.Backtest | None = None,
    status_code: int = 200,
) -> Response:
    gettext = _gettext(request, user)
    choices = rule_choices(session, request, user)
    readonly = user.role not in service.MANAGERS
    rows = list(form.rows)
    if not readonly and not form.nested:
        rows.append(ConditionRow())  # a blank row (no field): left out unless a field is chosen
    weeks = (
        [(w if isinstance(w, datetime) else datetime.fromisoformat(str(w)), n) for w, n in backtest.weeks]
        if backtest
        else []
    )
    context = {
        "title": gettext("Rule “%(name)s”") % {"name": rule.name} if rule else gettext("New rule"),
        "rule": rule,
        "form": form,
        "rows": rows,
        "errors": errors or {},
        "readonly": readonly,
        "choices": choices,
        "fields": logic.FIELDS,
        "field_names": FIELD_NAMES,
        "op_names": OP_NAMES,
        "multi_ops": MULTI_OPS,
        "field_specs": _field_specs(choices, gettext),
        "priority_options": [(p.value, gettext(PRIORITY_NAMES[p])) for p in Priority],
        "policy_options": [(str(p.id), p.name) for p, _ in service.policies(session)],
        "team_options": [(str(t.id), t.name) for t in accounts.all_teams(session)],
        "assignment_options": [(a.value, gettext(ASSIGNMENT_NAMES[a])) for a in Assignment],
        "assignee_options": [
            (str(u.id), u.name)
            for u in sorted(accounts.active_users(session, roles=list(CASE_ROLES)), key=lambda u: u.name)
        ],
        "backtest": backtest,
        "backtest_weeks": weeks,
        "backtest_days": BACKTEST_DAYS,
        "description": describe_condition(condition_of(form), choices, gettext, request_locale(request, user))
        if form.rows or form.nested
        else "",
    }
    return render(request, "cases/rule.html", context, user=user, status_code=status_code)


@router.get("/cases/rules")
def rules(request: Request, session: DbSession, user: LeadUser) -> Response:
    """The rules in the order they are tried, each with its condition in words and the cases it opened."""
    gettext = _gettext(request, user)
    locale = request_locale(request, user)
    choices = rule_choices(session, request, user)
    counts = service.rule_case_counts(session)
    policies = {p.id: p.name for p, _ in service.policies(session)}
    teams = {t.id: t.name for t in accounts.all_teams(session)}
    found = service.rules(session)
    assignees = accounts.users_by_ids(session, [r.assignee_id for r in found if r.assignee_id is not None])
    rows = [
        {
            "rule": r,
            "condition": describe_condition(r.condition, choices, gettext, locale),
            "policy": policies.get(r.sla_policy_id) if r.sla_policy_id else None,
            "team": teams.get(r.team_id) if r.team_id else None,
            "assignee": assignees[r.assignee_id].name if r.assignee_id in assignees else None,
            "cases": counts.get(r.id, 0),
        }
        for r in found
    ]
    context = {
        "title": gettext("Case rules"),
        "rows": rows,
        "can_edit": user.role in service.MANAGERS,
        "assignment_names": ASSIGNMENT_NAMES,
        **_names(),
    }
    return render(request, "cases/rules.html", context, user=user)


@router.get("/cases/rules/new")
def new_rule(request: Request, session: DbSession, user: ManagerUser) -> Response:
    return _rule_page(request, user, session, rule=None, form=RuleForm())


@router.get("/cases/rules/{rule_id:int}")
def rule_page(request: Request, rule_id: int, session: DbSession, user: LeadUser) -> Response:
    """A rule in the editor (read-only for supervisors)."""
    rule = service.get_rule(session, rule_id)
    return _rule_page(request, user, session, rule=rule, form=rule_form_of(rule, _local(user)))


def _rule_in(
    form: RuleForm, rule: CaseRule | None, user: PageUser, gettext: Callable[[str], str]
) -> tuple[RuleIn | None, dict[str, str]]:
    errors: dict[str, str] = {}
    if not form.name:
        errors["name"] = gettext("Required.")
    elif len(form.name) > 120:
        errors["name"] = gettext("At most %(n)s characters.") % {"n": 120}
    position = int(form.position) if re.fullmatch(r"\d{1,5}", form.position or "0") else -1
    if not 0 <= position <= 10_000:
        errors["position"] = gettext("A whole number from 0 to 10,000.")
    applies_from: datetime | None = None
    if form.applies_from:
        try:
            day = date.fromisoformat(form.applies_from)
        except ValueError:
            errors["applies_from"] = gettext("“%(value)s” is not a date; use YYYY-MM-DD.") % {
                "value": form.applies_from
            }
        else:
            unchanged = rule is not None and rule.applies_from.astimezone(_local(user)).date() == day
            applies_from = None if unchanged else datetime.combine(day, time(), tzinfo=_local(user))
    try:
        priority = Priority(form.priority)
    except ValueError:
        errors["priority"] = gettext("Choose one of the offered priorities.")
        priority = Priority.NORMAL
    try:
        assignment = Assignment(form.assignment)
    except ValueError:
        errors["assignment"] = gettext("Choose one of the offered values.")
        assignment = Assignment.ROUND_ROBIN
    if errors:
        return None, errors
    data = RuleIn(
        name=form.name,
        description=form.description or None,
        condition=condition_of(form),
        priority=priority,
        sla_policy_id=_optional_id(form.sla_policy_id),
        team_id=_optional_id(form.team_id),
        assignment=assignment,
        assignee_id=_optional_id(form.assignee_id),
        is_active=form.is_active,
        position=position,
        applies_from=applies_from,
    )
    return data, errors


async def _save_rule(request: Request, user: PageUser, session: Session, rule_id: int | None) -> Response:
    """The editor's submit: back-test the condition, add a row, or save the rule."""
    gettext = _gettext(request, user)
    rule = service.get_rule(session, rule_id) if rule_id is not None else None  # NotFound → 404 page
    data = await _form_data(request)
    form = parse_rule_form(data)
    action = _one(data, "action") or "save"
    if action == "add_row":
        return _rule_page(request, user, session, rule=rule, form=form)
    choices = rule_choices(session, request, user)
    if action == "backtest":
        now = utcnow()
        try:
            with session.begin_nested():
                result = service.backtest(
                    session, user.principal, condition_of(form), start=now - timedelta(days=BACKTEST_DAYS), end=now
                )
        except ValidationFailed as error:
            errors = rule_errors(error, form, choices, request, user)
            return _rule_page(request, user, session, rule=rule, form=form, errors=errors, status_code=422)
        return _rule_page(request, user, session, rule=rule, form=form, backtest=result)
    rule_in, errors = _rule_in(form, rule, user, gettext)
    if rule_in is not None:
        try:
            with session.begin_nested():
                saved = service.save_rule(session, user.principal, rule_in, rule_id, now=utcnow())
        except ValidationFailed as error:
            errors = rule_errors(error, form, choices, request, user)
    if errors:
        return _rule_page(request, user, session, rule=rule, form=form, errors=errors, status_code=422)
    message = N_("Rule “%(name)s” saved.") if rule_id else N_("Rule “%(name)s” created.")
    flash(request, gettext(message) % {"name": saved.name})
    return redirect(request, "/cases/rules")


@router.post("/cases/rules/new")
async def create_rule(request: Request, session: DbSession, user: ManagerUser) -> Response:
    return await _save_rule(request, user, session, None)


@router.post("/cases/rules/{rule_id:int}")
async def update_rule(request: Request, rule_id: int, session: DbSession, user: ManagerUser) -> Response:
    return await _save_rule(request, user, session, rule_id)


@router.post("/cases/rules/{rule_id:int}/delete")
def delete_rule(request: Request, rule_id: int, session: DbSession, user: ManagerUser) -> Response:
    name = service.get_rule(session, rule_id).name
    service.delete_rule(session, user.principal, rule_id)
    flash(request, tr(request, user, "Rule “%(name)s” deleted; the cases it opened stay.") % {"name": name})
    return redirect(request, "/cases/rules")


# --------------------------------------------------------------------------- calendars, SLA policies, limits

DAY_KEYS = business_hours.DAY_KEYS


def hours_text(minutes: int, locale: str) -> str:
    """Minutes as hours: 90 → 1,5 h."""
    hours = minutes / 60
    digits = 0 if hours.is_integer() else 1 if (hours * 10).is_integer() else 2
    return f"{i18n.format_number(hours, locale, digits)} h"


def hours_input(minutes: int) -> str:
    return f"{minutes / 60:g}"


def parse_hours(value: str) -> float | None:
    try:
        hours = float(value.replace(",", "."))
    except ValueError:
        return None
    return hours if hours > 0 else None


def day_names(locale: str) -> dict[str, str]:
    names = babel_dates.get_day_names("abbreviated", locale=locale)
    return {key: str(names[i]) for i, key in enumerate(DAY_KEYS)}


def _calendar_form(row: CaseCalendar | None) -> dict[str, str]:
    if row is None:
        weekdays = {f"hours_{d}": "09:00-18:00" for d in DAY_KEYS[:5]}
        return {"name": "", "country": "", "timezone": "", "extra_holidays": "", **weekdays}
    return {
        "calendar_id": str(row.id),
        "name": row.name,
        "country": row.country or "",
        "timezone": row.timezone,
        "extra_holidays": "\n".join(row.extra_holidays),
        **{f"hours_{d}": ", ".join(row.hours.get(d, [])) for d in DAY_KEYS},
    }


@dataclass
class PolicyForm:
    values: dict[str, str] = field(default_factory=dict)  # policy_id, name, calendar_id, warn_percent
    targets: list[dict[str, str]] = field(default_factory=list)  # priority, segment, first, resolution


def _policy_form(session: Session, policy_id: int | None) -> PolicyForm:
    for policy, targets in service.policies(session):
        if policy.id == policy_id:
            return PolicyForm(
                {
                    "policy_id": str(policy.id),
                    "name": policy.name,
                    "calendar_id": str(policy.calendar_id),
                    "warn_percent": str(policy.warn_percent),
                },
                [
                    {
                        "priority": t.priority.value,
                        "segment": t.segment or "",
                        "first": hours_input(t.first_contact_minutes),
                        "resolution": hours_input(t.resolution_minutes),
                    }
                    for t in targets
                ],
            )
    return PolicyForm({"name": "", "calendar_id": "", "warn_percent": "80"}, [])


def _sla_page(
    request: Request,
    user: PageUser,
    session: Session,
    *,
    calendar_form: dict[str, str] | None = None,
    policy_form: PolicyForm | None = None,
    limit_form: dict[str, str] | None = None,
    errors: Mapping[str, Mapping[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    gettext = _gettext(request, user)
    locale = request_locale(request, user)
    calendars = service.calendars(session)
    calendar_names = {c.id: c.name for c in calendars}
    edit_calendar = _optional_id(request.query_params.get("calendar", ""))
    edit_policy = _optional_id(request.query_params.get("policy", ""))
    if calendar_form is None:
        calendar_form = _calendar_form(next((c for c in calendars if c.id == edit_calendar), None))
    if policy_form is None:
        policy_form = _policy_form(session, edit_policy)
    target_rows = [
        *policy_form.targets,
        *({"priority": "", "segment": "", "first": "", "resolution": ""} for _ in range(2)),
    ]
    context = {
        "title": gettext("Calendars and SLA policies"),
        "calendars": calendars,
        "calendar_names": calendar_names,
        "calendar_choices": [(str(c.id), c.name) for c in calendars],
        "policies": [
            (p, sorted(ts, key=lambda t: (-PRIORITY_RANK[t.priority], t.segment is not None, t.segment or "")))
            for p, ts in service.policies(session)
        ],
        "limits": service.compensation_limits(session),
        "can_edit": user.role in service.MANAGERS,
        "day_keys": DAY_KEYS,
        "day_names": day_names(locale),
        "country_options": [
            (code, f"{gettext(COUNTRY_NAMES[code])} · {p.timezone}") for code, p in business_hours.PRESETS.items()
        ],
        "country_names": COUNTRY_NAMES,
        "calendar_form": calendar_form,
        "policy_form": policy_form,
        "target_rows": target_rows,
        "limit_form": limit_form or {"role": Role.AGENT.value, "currency": "", "max_per_case": ""},
        "limit_roles": [(r.value, gettext(ROLE_NAMES[r])) for r in LIMIT_ROLES],
        "role_names": ROLE_NAMES,
        "priority_options": [(p.value, gettext(PRIORITY_NAMES[p])) for p in Priority],
        "segments": feedback.filter_choices(session, user.principal).segments,
        "hours_text": lambda minutes: hours_text(minutes, locale),
        "money": lambda amount, code: money(amount, code, locale),
        "errors": errors or {},
        **_names(),
    }
    return render(request, "cases/sla.html", context, user=user, status_code=status_code)


@router.get("/cases/sla")
def sla(request: Request, session: DbSession, user: LeadUser) -> Response:
    """Business calendars, SLA policies with their targets, and compensation limits (supervisors read them)."""
    return _sla_page(request, user, session)


@router.post("/cases/sla/calendars/preset")
async def add_preset_calendar(request: Request, session: DbSession, user: ManagerUser) -> Response:
    data = await _form_data(request)
    country = _one(data, "country").upper()
    if country not in business_hours.PRESETS:
        return _sla_page(
            request,
            user,
            session,
            errors={"preset": {"country": tr(request, user, "Choose one of the offered countries.")}},
            status_code=422,
        )
    row = service.preset_calendar(session, country)
    flash(request, tr(request, user, "Calendar “%(name)s” ready.") % {"name": row.name})
    return redirect(request, "/cases/sla#calendars")


def _split_days(value: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", value) if part]


@router.post("/cases/sla/calendars")
async def save_calendar(request: Request, session: DbSession, user: ManagerUser) -> Response:
    """Create a custom calendar, or change one (`calendar_id`)."""
    gettext = _gettext(request, user)
    data = await _form_data(request)
    names = ("calendar_id", "name", "country", "timezone", "extra_holidays", *(f"hours_{d}" for d in DAY_KEYS))
    form = {name: _one(data, name) for name in names}
    form["extra_holidays"] = (data.get("extra_holidays") or [""])[0]
    errors: dict[str, str] = {}
    if not form["name"]:
        errors["name"] = gettext("Required.")
    try:
        ZoneInfo(form["timezone"]) if form["timezone"] else None
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = gettext("Unknown time zone; use a name such as America/Mexico_City.")
    if not form["timezone"]:
        errors["timezone"] = gettext("Required.")
    hours: dict[str, list[str]] = {}
    for day in DAY_KEYS:
        spans = [s.strip() for s in re.split(r"[,;]", form[f"hours_{day}"]) if s.strip()]
        try:
            business_hours.WeeklyHours.from_dict({day: spans})
        except ValueError:
            errors[f"hours_{day}"] = gettext(
                "Write the hours as HH:MM-HH:MM, separated by commas, e.g. 09:00-14:00, 15:00-18:00."
            )
        hours[day] = spans
    if not any(hours.values()) and not any(k.startswith("hours_") for k in errors):
        errors["hours_mon"] = gettext("Open at least one day of the week.")
    holidays = _split_days(form["extra_holidays"])
    for day_text in holidays:
        try:
            date.fromisoformat(day_text)
        except ValueError:
            errors["extra_holidays"] = gettext("“%(value)s” is not a date; use YYYY-MM-DD.") % {"value": day_text}
            break
    country = form["country"] or None
    if country is not None and country not in business_hours.PRESETS:
        errors["country"] = gettext("Choose one of the offered countries.")
    if not errors:
        try:
            with session.begin_nested():
                row = service.save_calendar(
                    session,
                    user.principal,
                    CalendarIn(
                        name=form["name"][:120],
                        country=country,
                        timezone=form["timezone"],
                        hours=hours,
                        extra_holidays=holidays,
                    ),
                    _optional_id(form["calendar_id"]),
                )
        except ValidationFailed as error:
            details = error.details if isinstance(error.details, dict) else {}
            for name, message in details.items():
                key = "hours_mon" if name == "hours" else name
                errors[key] = (
                    gettext("There is already a calendar with this name.")
                    if name == "name"
                    else _strip_field(i18n.localized_message(str(message), request_locale(request, user)))
                )
            if not errors:
                errors["name"] = _localized(error, request, user)
    if errors:
        return _sla_page(request, user, session, calendar_form=form, errors={"calendar": errors}, status_code=422)
    flash(request, gettext("Calendar “%(name)s” saved.") % {"name": row.name})
    return redirect(request, "/cases/sla#calendars")


TARGET_MAX_HOURS = {"first": 24 * 90, "resolution": 24 * 365}


@router.post("/cases/sla/policies")
async def save_policy(request: Request, session: DbSession, user: ManagerUser) -> Response:
    """Create an SLA policy, or change one (`policy_id`) and replace its targets."""
    gettext = _gettext(request, user)
    data = await _form_data(request)
    values = {name: _one(data, name) for name in ("policy_id", "name", "calendar_id", "warn_percent")}
    indices = sorted({int(m.group(1)) for key in data if (m := re.fullmatch(r"target_priority_(\d+)", key))})
    rows = [
        {part: _one(data, f"target_{part}_{i}") for part in ("priority", "segment", "first", "resolution")}
        for i in indices
    ]
    rows = [r for r in rows if r["priority"] or r["first"] or r["resolution"] or r["segment"]]
    form = PolicyForm(values, rows)
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = gettext("Required.")
    calendar_id = _optional_id(values["calendar_id"])
    if calendar_id is None:
        errors["calendar_id"] = gettext("Choose a calendar.")
    warn = int(values["warn_percent"]) if values["warn_percent"].isdigit() else 0
    if not 1 <= warn <= 99:
        errors["warn_percent"] = gettext("A whole number from 1 to 99.")
    targets: list[TargetIn] = []
    for i, row in enumerate(rows):
        if row["priority"] not in {p.value for p in Priority}:
            errors[f"target_{i}_priority"] = gettext("Choose one of the offered priorities.")
        minutes: dict[str, int] = {}
        for part in ("first", "resolution"):
            hours = parse_hours(row[part])
            if hours is None or hours > TARGET_MAX_HOURS[part]:
                errors[f"target_{i}_{part}"] = gettext("A number of hours greater than 0, e.g. 4 or 1.5.")
            else:
                minutes[part] = max(1, round(hours * 60))
        if not any(k.startswith(f"target_{i}_") for k in errors):
            targets.append(
                TargetIn(
                    priority=Priority(row["priority"]),
                    segment=row["segment"][:64] or None,
                    first_contact_minutes=minutes["first"],
                    resolution_minutes=minutes["resolution"],
                )
            )
    if not rows:
        errors["targets"] = gettext("Give at least one target.")
    if not errors and calendar_id is not None:
        try:
            with session.begin_nested():
                policy = service.save_policy(
                    session,
                    user.principal,
                    PolicyIn(name=values["name"][:120], calendar_id=calendar_id, warn_percent=warn, targets=targets),
                    _optional_id(values["policy_id"]),
                )
        except ValidationFailed as error:
            match = re.match(r"targets\[(\d+)\]", error.message)
            if match:
                errors[f"target_{match.group(1)}_segment"] = gettext("A second row for this priority and segment.")
            elif isinstance(error.details, dict) and "name" in error.details:
                errors["name"] = gettext("There is already a policy with this name.")
            else:
                errors["name"] = _localized(error, request, user)
    if errors:
        return _sla_page(request, user, session, policy_form=form, errors={"policy": errors}, status_code=422)
    flash(request, gettext("Policy “%(name)s” saved.") % {"name": policy.name})
    return redirect(request, "/cases/sla#policies")


@router.post("/cases/sla/limits")
async def set_limit(request: Request, session: DbSession, user: ManagerUser) -> Response:
    """Set a role's compensation limit per case in a currency; an empty amount removes it."""
    gettext = _gettext(request, user)
    data = await _form_data(request)
    form = {name: _one(data, name) for name in ("role", "currency", "max_per_case")}
    errors: dict[str, str] = {}
    try:
        role = Role(form["role"])
    except ValueError:
        errors["role"] = gettext("Choose one of the offered roles.")
        role = Role.AGENT
    currency = form["currency"].upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        errors["currency"] = gettext("A three-letter code such as MXN or EUR.")
    amount: Decimal | None = None
    if form["max_per_case"]:
        try:
            amount = logic.parse_amount(form["max_per_case"])
        except ValueError:
            errors["max_per_case"] = gettext("Write an amount such as 250 or 49.90.")
    if not errors:
        try:
            with session.begin_nested():
                service.set_compensation_limit(
                    session, user.principal, role=role, currency=currency, max_per_case=amount
                )
        except ValidationFailed as error:
            errors["max_per_case"] = _localized(error, request, user)
    if errors:
        return _sla_page(request, user, session, limit_form=form, errors={"limit": errors}, status_code=422)
    role_name = gettext(ROLE_NAMES[role])
    if amount is None:
        flash(
            request,
            gettext("%(role)s may give no compensation in %(currency)s now.")
            % {"role": role_name, "currency": currency},
        )
    else:
        flash(
            request,
            gettext("%(role)s may give up to %(amount)s per case.")
            % {"role": role_name, "amount": money(amount, currency, request_locale(request, user))},
        )
    return redirect(request, "/cases/sla#limits")


# --------------------------------------------------------------------------- the closed-loop dashboard


@dataclass
class Period:
    period: str
    start: date
    end: date  # inclusive
    errors: list[str] = field(default_factory=list)

    def instants(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return datetime.combine(self.start, time(), zone), datetime.combine(self.end + timedelta(days=1), time(), zone)

    def params(self) -> dict[str, str]:
        out = {"period": self.period}
        if self.period == "custom":
            out |= {"from": self.start.isoformat(), "to": self.end.isoformat()}
        return out


def parse_period(raw: Mapping[str, str], today: date, gettext: Callable[[str], str]) -> Period:
    """Last 7/30/90 days up to today, or from–to (whole days in the organisation's zone)."""
    period = raw.get("period") or ("custom" if raw.get("from") or raw.get("to") else DEFAULT_PERIOD)
    errors: list[str] = []
    if period not in PERIODS:
        errors.append(gettext("Period: “%(value)s” is not one of the offered periods.") % {"value": period})
        period = DEFAULT_PERIOD
    if period != "custom":
        days = int(period.rstrip("d"))
        return Period(period, today - timedelta(days=days - 1), today, errors)
    bounds: dict[str, date] = {}
    for name, default in (("from", today - timedelta(days=29)), ("to", today)):
        value = (raw.get(name) or "").strip()
        try:
            bounds[name] = date.fromisoformat(value) if value else default
        except ValueError:
            errors.append(gettext("“%(value)s” is not a date; use YYYY-MM-DD.") % {"value": value})
            bounds[name] = default
    if bounds["from"] > bounds["to"]:
        errors.append(gettext("The end date is before the start date."))
        bounds["from"] = bounds["to"]
    if (bounds["to"] - bounds["from"]).days > 5 * 366:
        errors.append(gettext("Choose at most five years."))
        bounds["from"] = bounds["to"] - timedelta(days=5 * 366)
    return Period("custom", bounds["from"], bounds["to"], errors)


def _closed_loop(request: Request, user: PageUser, session: Session) -> tuple[Period, service.ClosedLoop]:
    period = parse_period(request.query_params, user.today(), _gettext(request, user))
    start, end = period.instants(_local(user))
    report = service.closed_loop(session, user.principal, start=start, end=end, locale=_language(request, user))
    return period, report


def _month(value: Any) -> date:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.date()


@router.get("/cases/dashboard")
def dashboard(request: Request, session: DbSession, user: CaseUser) -> Response:
    """The closed loop over the cases opened in a period, as far as the user may see them."""
    gettext = _gettext(request, user)
    locale = request_locale(request, user)
    period, report = _closed_loop(request, user, session)
    months = sorted({_month(m) for m, _, _ in report.compensation})
    currencies = sorted({c for _, c, _ in report.compensation})
    amounts = {(_month(m), c): a for m, c, a in report.compensation}
    chart = {
        "locale": locale,
        "labels": [i18n.format_date(m, locale, "MMM yyyy") for m in months],
        "series": [{"name": c, "values": [float(amounts.get((m, c), 0)) for m in months]} for c in currencies],
    }
    top = max((n for _, _, n in report.root_causes), default=0)
    context = {
        "title": gettext("Closed loop"),
        "period": period,
        "periods": PERIODS,
        "report": report,
        "compensation_rows": [(_month(m), c, a) for m, c, a in report.compensation],
        "status_counts": [(s, report.by_status[s.value]) for s in STATUS_ORDER if report.by_status.get(s.value)],
        "chart": chart,
        "top_cause": top,
        "money": lambda amount, code: money(amount, code, locale),
        "hours": lambda value: "—" if value is None else f"{i18n.format_number(value, locale, 1)} h",
        "contact_hours": int(service.CONTACT_WITHIN.total_seconds() // 3600),
        "csv_query": urlencode(period.params()),
        **_names(),
    }
    status = 422 if period.errors else 200
    return render(request, "cases/dashboard.html", context, user=user, status_code=status)


@router.get("/cases/dashboard/compliance.csv")
def compliance_csv(request: Request, session: DbSession, user: CaseUser) -> Response:
    """SLA compliance by team over the period: met and breached cases and the share met (0–1)."""
    period, report = _closed_loop(request, user, session)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("team_id", "team", "met", "breached", "share_met", "start", "end"))
    for t in report.compliance:
        writer.writerow(
            [csv_cell(v) for v in (t.team_id, t.team, t.met, t.breached, t.share, period.start, period.end)]
        )
    name = f"pulso-sla-compliance-{period.start}-{period.end}.csv"
    return Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
