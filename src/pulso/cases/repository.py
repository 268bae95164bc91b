"""Every query on the cases tables; rule conditions compiled to SQL over the feedback they read.

The rules read other domains' tables (feedback, its customer, its text analysis) in joins only;
this module writes nothing but the cases domain's own tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.cases import logic
from pulso.cases.enums import OPEN_STATUSES, PRIORITY_RANK, CaseStatus, EscalationLevel
from pulso.cases.models import (
    Case,
    CaseCalendar,
    CaseEvent,
    CaseNote,
    CaseRule,
    Compensation,
    CompensationLimit,
    RoundRobinCursor,
    RuleCursor,
    SlaPolicy,
    SlaTarget,
)
from pulso.customers.models import Customer
from pulso.feedback.enums import FeedbackSource
from pulso.feedback.models import Feedback
from pulso.interactions.enums import Channel
from pulso.kit import bulk
from pulso.kit.pagination import Page, PageParams
from pulso.kit.sqlexpr import quantile
from pulso.text.models import FeedbackText, FeedbackTopic

RULES_CURSOR = "rules"

# --- access --------------------------------------------------------------------------------------


def readable_cases(principal: Principal) -> ColumnElement[bool]:
    """What a principal may read: agents the cases they own; supervisors their team's, and any case they
    own or that was escalated to them; the others all. Viewers are refused before this (service)."""
    if principal.role is Role.AGENT:
        return Case.owner_id == principal.user_id if principal.user_id is not None else false()
    if principal.role is Role.SUPERVISOR:
        personal = (
            or_(Case.owner_id == principal.user_id, Case.escalated_to_id == principal.user_id)
            if principal.user_id is not None
            else false()
        )
        return or_(Case.team_id == principal.team_id, personal) if principal.team_id is not None else personal
    return true()


# --- rule conditions as SQL ----------------------------------------------------------------------


def _sentiment_label() -> ColumnElement[Any]:
    return func.coalesce(FeedbackText.corrected_sentiment, FeedbackText.sentiment)


_COLUMNS: dict[str, Any] = {
    "nps": Feedback.nps,
    "csat": Feedback.csat,
    "ces": Feedback.ces,
    "rating": Feedback.rating,
    "sentiment_score": FeedbackText.sentiment_score,
    "key_account": Customer.is_key_account,
    "channel": Feedback.channel,
    "source": Feedback.source,
    "product": Feedback.product_id,
    "touchpoint": Feedback.touchpoint_id,
    "team": Feedback.team_id,
    "segment": Customer.segment,
    "region": Customer.region,
}

_ENUMS: dict[str, Any] = {"channel": Channel, "source": FeedbackSource}


def condition_sql(condition: logic.Condition) -> ColumnElement[bool]:
    """The condition as a WHERE clause over feedback ⟕ customer ⟕ text analysis (`rule_fields_from`).

    An unknown value (NULL) meets no comparison, as in logic.matches: without NOT, SQL's three-valued
    logic gives the same answers.
    """
    if isinstance(condition, logic.Group):
        parts = [condition_sql(item) for item in condition.items]
        return and_(*parts) if condition.mode == "all" else or_(*parts)
    name, op, value = condition.field, condition.op, condition.value
    if name == "topic":
        tagged = select(FeedbackTopic.feedback_id).where(FeedbackTopic.topic_key.in_(list(value)))
        return Feedback.id.in_(tagged)
    if name == "sentiment":
        column: Any = _sentiment_label()
    elif name == "language":
        column = func.coalesce(FeedbackText.language, Feedback.language)
    else:
        column = _COLUMNS[name]
    enum = _ENUMS.get(name)
    if enum is not None:
        value = tuple(enum(v) for v in value) if isinstance(value, tuple) else enum(value)
    if op == "is":
        result: ColumnElement[bool] = column.is_(value)
        return result
    if op == "in":
        result = column.in_(list(value))
        return result
    comparisons: dict[str, ColumnElement[bool]] = {
        "eq": column == value,
        "ne": column != value,
        "lt": column < value,
        "lte": column <= value,
        "gt": column > value,
        "gte": column >= value,
    }
    return comparisons[op]


def rule_fields_from(stmt: Select[Any]) -> Select[Any]:
    """Join what a rule may read to a select over Feedback."""
    return stmt.outerjoin(Customer, Customer.id == Feedback.customer_id).outerjoin(
        FeedbackText, FeedbackText.feedback_id == Feedback.id
    )


def rule_values(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each feedback's values as logic.matches reads them (tests compare both evaluations with it)."""
    stmt = rule_fields_from(
        select(
            Feedback.id,
            *[column.label(name) for name, column in _COLUMNS.items()],
            _sentiment_label().label("sentiment"),
            func.coalesce(FeedbackText.language, Feedback.language).label("language"),
        )
    ).where(Feedback.id.in_(list(ids)))
    values: dict[int, dict[str, Any]] = {}
    for row in session.execute(stmt).mappings():
        item = {k: (v.value if hasattr(v, "value") else v) for k, v in row.items() if k != "id"}
        item["topic"] = set()
        values[row["id"]] = item
    for fid, key in session.execute(
        select(FeedbackTopic.feedback_id, FeedbackTopic.topic_key).where(FeedbackTopic.feedback_id.in_(list(ids)))
    ):
        values[fid]["topic"].add(key)
    return values


# --- the feedback the rules have not read yet ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    version: int
    text_pending: bool  # it has a comment whose analysis has not run yet


@dataclass(frozen=True, slots=True)
class Cursor:
    version: int
    feedback_id: int | None  # None: all of `version` read


def rules_cursor(session: Session) -> Cursor:
    row = session.execute(
        select(RuleCursor.version, RuleCursor.feedback_id).where(RuleCursor.name == RULES_CURSOR)
    ).one_or_none()
    return Cursor(int(row[0]), row[1]) if row else Cursor(0, None)


def _key(cursor: Cursor) -> tuple[int, float]:
    return (cursor.version, float("inf") if cursor.feedback_id is None else cursor.feedback_id)


def advance_rules_cursor(session: Session, cursor: Cursor) -> None:
    """Move the cursor forward only (two workers may finish out of order)."""
    current = session.execute(
        select(RuleCursor).where(RuleCursor.name == RULES_CURSOR).with_for_update()
    ).scalar_one_or_none()
    if current is None:
        values = {"name": RULES_CURSOR, "version": cursor.version, "feedback_id": cursor.feedback_id}
        if bulk.insert_unless_exists(session, RuleCursor.__table__, values, ["name"]) is not None:
            return
        current = session.execute(
            select(RuleCursor).where(RuleCursor.name == RULES_CURSOR).with_for_update()
        ).scalar_one()
    if _key(cursor) > _key(Cursor(current.version, current.feedback_id)):
        current.version, current.feedback_id = cursor.version, cursor.feedback_id
        session.flush()


def candidates(
    session: Session, *, after: Cursor, upto_version: int, received_from: datetime, limit: int
) -> list[Candidate]:
    """Feedback changed after the cursor (new, edited, or its text analysed), without a case yet."""
    past = (
        Feedback.version > after.version
        if after.feedback_id is None
        else or_(
            Feedback.version > after.version, and_(Feedback.version == after.version, Feedback.id > after.feedback_id)
        )
    )
    stmt = (
        select(Feedback.id, Feedback.version, and_(Feedback.comment.is_not(None), FeedbackText.feedback_id.is_(None)))
        .outerjoin(FeedbackText, FeedbackText.feedback_id == Feedback.id)
        .where(
            past,
            Feedback.version <= upto_version,
            Feedback.received_at >= received_from,
            ~exists().where(Case.feedback_id == Feedback.id),
        )
        .order_by(Feedback.version, Feedback.id)
        .limit(limit)
    )
    return [Candidate(int(i), int(v), bool(p)) for i, v, p in session.execute(stmt)]


def matching_ids(
    session: Session, ids: Sequence[int], condition: ColumnElement[bool], applies_from: datetime
) -> set[int]:
    stmt = rule_fields_from(select(Feedback.id)).where(
        Feedback.id.in_(list(ids)), Feedback.received_at >= applies_from, condition
    )
    return set(session.execute(stmt).scalars())


@dataclass(frozen=True, slots=True)
class FeedbackForCase:
    id: int
    received_at: datetime
    customer_id: int | None
    customer_name: str | None
    segment: str | None
    key_account: bool
    team_id: int | None
    agent_id: int | None
    nps: int | None
    csat: int | None
    ces: int | None
    comment: str | None


def feedback_for_cases(session: Session, ids: Sequence[int]) -> list[FeedbackForCase]:
    stmt = (
        select(
            Feedback.id,
            Feedback.received_at,
            Feedback.customer_id,
            Customer.name.label("customer_name"),
            Customer.segment,
            func.coalesce(Customer.is_key_account, False).label("key_account"),
            Feedback.team_id,
            Feedback.agent_id,
            Feedback.nps,
            Feedback.csat,
            Feedback.ces,
            Feedback.comment,
        )
        .outerjoin(Customer, Customer.id == Feedback.customer_id)
        .where(Feedback.id.in_(list(ids)))
        .order_by(Feedback.id)
    )
    return [FeedbackForCase(**row) for row in session.execute(stmt).mappings()]


def insert_case(session: Session, values: dict[str, Any]) -> int | None:
    """The new case's id, or None when the feedback has a case already (maybe opened by another worker)."""
    return bulk.insert_unless_exists(session, Case.__table__, values, ["feedback_id"])


# --- back-test -----------------------------------------------------------------------------------


def backtest_counts(
    session: Session, condition: ColumnElement[bool], *, start: datetime, end: datetime, tz: str
) -> tuple[int, list[tuple[datetime, int]], list[int]]:
    """How many feedback of [start, end) meet the condition, per week, and the first few ids."""
    from pulso.kit.sqlexpr import local_trunc

    where = and_(Feedback.received_at >= start, Feedback.received_at < end, condition)
    total = session.execute(rule_fields_from(select(func.count(Feedback.id))).where(where)).scalar_one()
    week = local_trunc(Feedback.received_at.expression, "week", tz)
    weeks = session.execute(
        rule_fields_from(select(week.label("week"), func.count(Feedback.id))).where(where).group_by(week).order_by(week)
    ).all()
    sample = session.execute(
        rule_fields_from(select(Feedback.id)).where(where).order_by(Feedback.received_at.desc()).limit(10)
    ).scalars()
    return int(total), [(w, int(n)) for w, n in weeks], list(sample)


# --- rules, calendars, policies ------------------------------------------------------------------


def active_rules(session: Session) -> list[CaseRule]:
    return list(
        session.execute(
            select(CaseRule).where(CaseRule.is_active.is_(True)).order_by(CaseRule.position, CaseRule.id)
        ).scalars()
    )


def all_rules(session: Session) -> list[CaseRule]:
    return list(session.execute(select(CaseRule).order_by(CaseRule.position, CaseRule.id)).scalars())


def rule_case_counts(session: Session) -> dict[int, int]:
    stmt = select(Case.rule_id, func.count()).where(Case.rule_id.is_not(None)).group_by(Case.rule_id)
    return {int(r): int(n) for r, n in session.execute(stmt) if r is not None}


def all_calendars(session: Session) -> list[CaseCalendar]:
    return list(session.execute(select(CaseCalendar).order_by(CaseCalendar.name)).scalars())


def all_policies(session: Session) -> list[SlaPolicy]:
    return list(session.execute(select(SlaPolicy).order_by(SlaPolicy.name)).scalars())


def policy_targets(session: Session, policy_id: int) -> list[SlaTarget]:
    stmt = select(SlaTarget).where(SlaTarget.policy_id == policy_id).order_by(SlaTarget.priority, SlaTarget.segment)
    return list(session.execute(stmt).scalars())


def compensation_limit(session: Session, role: Role, currency: str) -> CompensationLimit | None:
    stmt = select(CompensationLimit).where(CompensationLimit.role == role, CompensationLimit.currency == currency)
    return session.execute(stmt).scalar_one_or_none()


def all_compensation_limits(session: Session) -> list[CompensationLimit]:
    return list(
        session.execute(
            select(CompensationLimit).order_by(CompensationLimit.currency, CompensationLimit.role)
        ).scalars()
    )


def compensation_given(session: Session, case_id: int, currency: str) -> Any:
    stmt = select(func.coalesce(func.sum(Compensation.amount), 0)).where(
        Compensation.case_id == case_id, Compensation.currency == currency
    )
    return session.execute(stmt).scalar_one()


def round_robin_last(session: Session, team_id: int, *, lock: bool) -> int | None:
    stmt = select(RoundRobinCursor.last_user_id).where(RoundRobinCursor.team_id == team_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def set_round_robin_last(session: Session, team_id: int, user_id: int) -> None:
    moved = session.execute(
        update(RoundRobinCursor).where(RoundRobinCursor.team_id == team_id).values(last_user_id=user_id)
    )
    if not getattr(moved, "rowcount", 0):
        bulk.insert_unless_exists(
            session, RoundRobinCursor.__table__, {"team_id": team_id, "last_user_id": user_id}, ["team_id"]
        )


# --- reading cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    status: tuple[CaseStatus, ...] | None = None  # None: the open ones
    owner_id: int | None = None
    team_id: int | None = None
    unassigned: bool = False
    priority: str | None = None
    breached: bool | None = None
    search: str | None = None
    opened_from: datetime | None = None
    opened_to: datetime | None = None


def _next_due() -> ColumnElement[Any]:
    """The nearest deadline still running: first contact until the customer is reached, then resolution."""
    first_runs = and_(Case.customer_contacted_at.is_(None), Case.first_contact_due_at.is_not(None))
    return case(
        (and_(first_runs, Case.first_contact_due_at < Case.resolution_due_at), Case.first_contact_due_at),
        else_=Case.resolution_due_at,
    )


def _where(principal: Principal, f: CaseFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [readable_cases(principal)]
    statuses = f.status if f.status is not None else OPEN_STATUSES
    conditions.append(Case.status.in_(list(statuses)))
    if f.owner_id is not None:
        conditions.append(Case.owner_id == f.owner_id)
    if f.unassigned:
        conditions.append(Case.owner_id.is_(None))
    if f.team_id is not None:
        conditions.append(Case.team_id == f.team_id)
    if f.priority is not None:
        conditions.append(Case.priority == f.priority)
    if f.breached is True:
        conditions.append(or_(Case.first_contact_breached_at.is_not(None), Case.resolution_breached_at.is_not(None)))
    elif f.breached is False:
        conditions.append(and_(Case.first_contact_breached_at.is_(None), Case.resolution_breached_at.is_(None)))
    if f.search:
        term = f"%{f.search.strip().lower()}%"
        conditions.append(func.lower(Case.title).like(term))
    if f.opened_from is not None:
        conditions.append(Case.opened_at >= f.opened_from)
    if f.opened_to is not None:
        conditions.append(Case.opened_at < f.opened_to)
    return conditions


def list_cases(session: Session, principal: Principal, f: CaseFilters, page: PageParams) -> Page[Case]:
    """Cases sorted by what breaches first (paused and undated last), then by priority and age."""
    where = _where(principal, f)
    total = session.execute(select(func.count()).select_from(Case).where(*where)).scalar_one()
    due = _next_due()
    rank = case(*[(Case.priority == p, r) for p, r in PRIORITY_RANK.items()], else_=0)
    stmt = (
        select(Case)
        .where(*where)
        .order_by(
            (Case.status == CaseStatus.WAITING).asc(),
            due.is_(None).asc(),
            due.asc(),
            rank.desc(),
            Case.opened_at.asc(),
            Case.id.asc(),
        )
        .offset(page.offset)
        .limit(page.size)
    )
    return Page(list(session.execute(stmt).scalars()), int(total), page.page, page.size)


def get_readable(session: Session, principal: Principal, case_id: int, *, lock: bool = False) -> Case | None:
    stmt = select(Case).where(Case.id == case_id, readable_cases(principal))
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def get_for_update(session: Session, case_id: int) -> Case | None:
    return session.execute(select(Case).where(Case.id == case_id).with_for_update()).scalar_one_or_none()


def case_by_feedback(session: Session, feedback_id: int) -> Case | None:
    return session.execute(select(Case).where(Case.feedback_id == feedback_id)).scalar_one_or_none()


def events_of(session: Session, case_id: int) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id)
    return list(session.execute(stmt).scalars())


def notes_of(session: Session, case_id: int) -> list[CaseNote]:
    stmt = select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.created_at, CaseNote.id)
    return list(session.execute(stmt).scalars())


def compensations_of(session: Session, case_id: int) -> list[Compensation]:
    stmt = select(Compensation).where(Compensation.case_id == case_id).order_by(Compensation.given_at)
    return list(session.execute(stmt).scalars())


def cases_of_customer(
    session: Session, principal: Principal, customer_id: int, *, exclude: int, limit: int = 20
) -> list[Case]:
    stmt = (
        select(Case)
        .where(Case.customer_id == customer_id, Case.id != exclude, readable_cases(principal))
        .order_by(Case.opened_at.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


def clocks_due(session: Session, now: datetime, *, limit: int) -> list[int]:
    """Running cases with a warning not yet escalated or a deadline passed but not yet recorded."""
    unescalated = Case.escalation == EscalationLevel.OWNER
    first_contact = and_(
        Case.customer_contacted_at.is_(None),
        Case.first_contact_breached_at.is_(None),
        or_(and_(unescalated, Case.first_contact_warn_at <= now), Case.first_contact_due_at <= now),
    )
    resolution = and_(
        Case.resolution_breached_at.is_(None),
        or_(and_(unescalated, Case.resolution_warn_at <= now), Case.resolution_due_at <= now),
    )
    stmt = (
        select(Case.id)
        .where(Case.status.in_([CaseStatus.NEW, CaseStatus.IN_PROGRESS]), or_(first_contact, resolution))
        .order_by(Case.id)
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


# --- the closed-loop dashboard -------------------------------------------------------------------


def dashboard_where(principal: Principal, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [readable_cases(principal), Case.opened_at >= start, Case.opened_at < end]


def detractor_contact_share(
    session: Session, where: Sequence[ColumnElement[bool]], *, within_seconds: int
) -> tuple[int, int]:
    """(contacted within the time, all) over cases opened from a detractor's feedback (NPS 0–6)."""
    stmt = (
        select(
            func.count(case((Case.first_contact_seconds <= within_seconds, 1))),
            func.count(Case.id),
        )
        .join(Feedback, Feedback.id == Case.feedback_id)
        .where(*where, Feedback.nps <= 6)
    )
    part, whole = session.execute(stmt).one()
    return int(part), int(whole)


def median_seconds(session: Session, where: Sequence[ColumnElement[bool]], column: Any) -> float | None:
    stmt = select(quantile(column, 0.5)).where(*where, column.is_not(None))
    value = session.execute(stmt).scalar_one_or_none()
    return float(value) if value is not None else None


def compliance_by_team(session: Session, where: Sequence[ColumnElement[bool]]) -> list[tuple[int | None, int, int]]:
    """(team id, met, breached) over cases whose resolution target has an outcome (resolved or breached)."""
    breached = or_(Case.first_contact_breached_at.is_not(None), Case.resolution_breached_at.is_not(None))
    decided = or_(Case.resolved_at.is_not(None), breached)
    stmt = (
        select(Case.team_id, func.count(case((~breached, 1))), func.count(case((breached, 1))))
        .where(*where, decided)
        .group_by(Case.team_id)
    )
    return [(t, int(m), int(b)) for t, m, b in session.execute(stmt)]


def compensation_by_month(
    session: Session, where: Sequence[ColumnElement[bool]], tz: str
) -> list[tuple[datetime, str, Any]]:
    from pulso.kit.sqlexpr import local_trunc

    month = local_trunc(Compensation.given_at.expression, "month", tz)
    stmt = (
        select(month.label("month"), Compensation.currency, func.sum(Compensation.amount))
        .join(Case, Case.id == Compensation.case_id)
        .where(*where)
        .group_by(month, Compensation.currency)
        .order_by(month, Compensation.currency)
    )
    return [(m, c, a) for m, c, a in session.execute(stmt)]


def top_root_causes(session: Session, where: Sequence[ColumnElement[bool]], limit: int = 10) -> list[tuple[str, int]]:
    stmt = (
        select(Case.root_cause, func.count())
        .where(*where, Case.root_cause.is_not(None))
        .group_by(Case.root_cause)
        .order_by(func.count().desc(), Case.root_cause)
        .limit(limit)
    )
    return [(str(k), int(n)) for k, n in session.execute(stmt)]


def status_counts(session: Session, where: Sequence[ColumnElement[bool]]) -> dict[str, int]:
    stmt = select(Case.status, func.count()).where(*where).group_by(Case.status)
    return {str(s.value if hasattr(s, "value") else s): int(n) for s, n in session.execute(stmt)}


def open_counts_by_owner(session: Session, ids: Sequence[int]) -> Mapping[int, int]:
    stmt = (
        select(Case.owner_id, func.count())
        .where(Case.owner_id.in_(list(ids)), Case.status.in_(list(OPEN_STATUSES)))
        .group_by(Case.owner_id)
    )
    return {int(o): int(n) for o, n in session.execute(stmt) if o is not None}
