"""Public entry points of the cases domain: one named function per change, each writing its audit event.

Every change with side effects (`open_case`, `assign_case`, `escalate_case`, `change_status`, ...)
writes a line of the case's timeline in the caller's transaction and hands its notifications to
`notifications.service.publish`, which stores them in the same transaction and queues their delivery
only after the commit. Nothing here commits: the request or job boundary does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.models import User
from pulso.accounts.schemas import Principal
from pulso.cases import logic, repository
from pulso.cases.enums import (
    OPEN_STATUSES,
    Assignment,
    CaseEventKind,
    CaseStatus,
    CompensationKind,
    EscalationLevel,
    Priority,
    SlaKind,
)
from pulso.cases.models import (
    Case,
    CaseCalendar,
    CaseEvent,
    CaseNote,
    CaseRule,
    Compensation,
    CompensationLimit,
    SlaPolicy,
    SlaTarget,
)
from pulso.cases.repository import CaseFilters, FeedbackForCase
from pulso.cases.schemas import CalendarIn, PolicyIn, RuleIn
from pulso.kit import business_hours
from pulso.kit.aftercommit import after_commit
from pulso.kit.business_hours import BusinessCalendar
from pulso.kit.changes import current_version
from pulso.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pulso.kit.pagination import Page, PageParams
from pulso.notifications import service as notifications
from pulso.notifications.service import EmailRecipient
from pulso.web.i18n import N_

log = logging.getLogger(__name__)

_Row = TypeVar("_Row")

MANAGERS = (Role.ADMIN, Role.CX_MANAGER)
QUIET = "pulso_cases_quiet"  # session.info key set by quietly()
LEADS = (Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR)


# --- calendars -----------------------------------------------------------------------------------


def _calendar_problem(data: CalendarIn) -> dict[str, str]:
    problems: dict[str, str] = {}
    if data.country is not None and data.country not in business_hours.PRESETS:
        problems["country"] = f"one of {', '.join(business_hours.PRESETS)}"
    try:
        business_hours.BusinessCalendar(
            timezone=data.timezone,
            hours=business_hours.WeeklyHours.from_dict(data.hours),
            holidays=frozenset(),
        )
    except ValueError as exc:
        problems["hours" if "zone" not in str(exc).lower() else "timezone"] = str(exc)
    for day in data.extra_holidays:
        try:
            date.fromisoformat(day)
        except ValueError:
            problems["extra_holidays"] = f"{day!r} is not a date (YYYY-MM-DD)"
    return problems


def save_calendar(
    session: Session, principal: Principal, data: CalendarIn, calendar_id: int | None = None
) -> CaseCalendar:
    """Create or change a business calendar (CX managers and admins)."""
    _require(principal, MANAGERS)
    problems = _calendar_problem(data)
    if problems:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in problems.items()), details=problems)
    row = _get(session, CaseCalendar, calendar_id) if calendar_id else CaseCalendar()
    row.name = data.name.strip()
    row.country = data.country
    row.timezone = data.timezone
    row.hours = business_hours.WeeklyHours.from_dict(data.hours).to_dict()
    row.extra_holidays = sorted(set(data.extra_holidays))
    session.add(row)
    _flush_unique(session, "name", f"a calendar named {row.name!r} exists")
    return row


def preset_calendar(session: Session, country: str) -> CaseCalendar:
    """The ready calendar of a country (ES, MX, AR, CO, CL), created on first use."""
    if country not in business_hours.PRESETS:
        raise ValidationFailed(f"country: one of {', '.join(business_hours.PRESETS)}")
    preset = business_hours.PRESETS[country]
    for row in repository.all_calendars(session):
        if row.country == country and row.name == preset.name:
            return row
    row = CaseCalendar(
        name=preset.name, country=country, timezone=preset.timezone, hours=preset.hours.to_dict(), extra_holidays=[]
    )
    session.add(row)
    session.flush()
    return row


def business_calendar(row: CaseCalendar, around: datetime) -> BusinessCalendar:
    """The arithmetic calendar of a stored one, with holidays for the years around an instant."""
    years = tuple(range(around.year - 1, around.year + 3))
    return _business_calendar(row.timezone, _frozen(row.hours), row.country, tuple(row.extra_holidays), years)


def _frozen(hours: Mapping[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((day, tuple(spans)) for day, spans in hours.items()))


@lru_cache(maxsize=64)
def _business_calendar(
    tz: str,
    hours: tuple[tuple[str, tuple[str, ...]], ...],
    country: str | None,
    extra: tuple[str, ...],
    years: tuple[int, ...],
) -> BusinessCalendar:
    holidays = {date.fromisoformat(d) for d in extra}
    if country:
        holidays |= set(business_hours.national_holidays(country, years))
    return BusinessCalendar(
        timezone=tz,
        hours=business_hours.WeeklyHours.from_dict({day: list(spans) for day, spans in hours}),
        holidays=frozenset(holidays),
    )


# --- SLA policies --------------------------------------------------------------------------------


def save_policy(session: Session, principal: Principal, data: PolicyIn, policy_id: int | None = None) -> SlaPolicy:
    """Create or change an SLA policy and replace its targets (CX managers and admins)."""
    _require(principal, MANAGERS)
    _get(session, CaseCalendar, data.calendar_id)
    seen: set[tuple[str, str | None]] = set()
    for i, target in enumerate(data.targets):
        key = (target.priority.value, target.segment)
        if key in seen:
            raise ValidationFailed(f"targets[{i}]: a second row for {key[0]} / {key[1] or 'every segment'}")
        seen.add(key)
    row = _get(session, SlaPolicy, policy_id) if policy_id else SlaPolicy()
    row.name = data.name.strip()
    row.calendar_id = data.calendar_id
    row.warn_percent = data.warn_percent
    session.add(row)
    _flush_unique(session, "name", f"a policy named {row.name!r} exists")
    for old in repository.policy_targets(session, row.id):
        session.delete(old)
    session.flush()
    for target in data.targets:
        session.add(
            SlaTarget(
                policy_id=row.id,
                priority=target.priority,
                segment=target.segment,
                first_contact_minutes=target.first_contact_minutes,
                resolution_minutes=target.resolution_minutes,
            )
        )
    session.flush()
    return row


def policies(session: Session) -> list[tuple[SlaPolicy, list[SlaTarget]]]:
    return [(p, repository.policy_targets(session, p.id)) for p in repository.all_policies(session)]


def calendars(session: Session) -> list[CaseCalendar]:
    return repository.all_calendars(session)


def _clock_for(
    session: Session,
    policy_id: int | None,
    priority: Priority,
    segment: str | None,
    opened_at: datetime,
    paused: timedelta = timedelta(0),
) -> logic.SlaClock | None:
    if policy_id is None:
        return None
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        return None
    rows = [
        logic.TargetRow(t.priority.value, t.segment, t.first_contact_minutes, t.resolution_minutes)
        for t in repository.policy_targets(session, policy_id)
    ]
    target = logic.pick_target(rows, priority.value, segment)
    if target is None:
        return None
    calendar = business_calendar(_get(session, CaseCalendar, policy.calendar_id), opened_at)
    targets = logic.SlaTargets(
        timedelta(minutes=target.first_contact_minutes),
        timedelta(minutes=target.resolution_minutes),
        policy.warn_percent / 100,
    )
    return logic.sla_clock(opened_at, targets, calendar, paused)


def _calendar_of_case(session: Session, case: Case) -> BusinessCalendar | None:
    policy = session.get(SlaPolicy, case.sla_policy_id) if case.sla_policy_id else None
    if policy is None:
        return None
    return business_calendar(_get(session, CaseCalendar, policy.calendar_id), case.opened_at)


def business_calendar_of(session: Session, case: Case) -> BusinessCalendar | None:
    """The calendar a case's SLA counts in (None: no SLA policy)."""
    return _calendar_of_case(session, case)


def business_seconds_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    return logic.business_seconds(start, end, calendar)


# --- rules ---------------------------------------------------------------------------------------


def _checked_condition(data: Mapping[str, Any]) -> logic.Condition:
    try:
        return logic.parse_condition(data)
    except logic.ConditionError as exc:
        raise ValidationFailed(str(exc), details={exc.path: exc.message}) from None


def save_rule(
    session: Session, principal: Principal, data: RuleIn, rule_id: int | None = None, *, now: datetime
) -> CaseRule:
    """Create or change a rule (CX managers and admins); its condition is checked field by field."""
    _require(principal, MANAGERS)
    condition = _checked_condition(data.condition)
    _check_topics(session, condition)
    if data.sla_policy_id is not None:
        _get(session, SlaPolicy, data.sla_policy_id)
    if data.team_id is not None:
        accounts.get_team(session, data.team_id)
    if data.assignment is Assignment.NAMED_USER:
        if data.assignee_id is None:
            raise ValidationFailed("assignee_id: a named-user rule needs the user", details={"assignee_id": "required"})
        assignee = accounts.get_user(session, data.assignee_id)
        if not assignee.is_active or assignee.role is Role.VIEWER:
            raise ValidationFailed("assignee_id: that user cannot own cases", details={"assignee_id": "inactive"})
    row = _get(session, CaseRule, rule_id) if rule_id else CaseRule(created_by=principal.user_id, applies_from=now)
    row.name = data.name.strip()
    row.description = data.description
    row.condition = logic.condition_to_data(condition)
    row.priority = data.priority
    row.sla_policy_id = data.sla_policy_id
    row.team_id = data.team_id
    row.assignment = data.assignment
    row.assignee_id = data.assignee_id if data.assignment is Assignment.NAMED_USER else None
    row.is_active = data.is_active
    row.position = data.position
    if data.applies_from is not None:
        row.applies_from = data.applies_from
    session.add(row)
    _flush_unique(session, "name", f"a rule named {row.name!r} exists")
    if not session.info.get(QUIET):
        after_commit(session, _request_rules)  # a new rule reads what arrives from now on, at once
    return row


def _check_topics(session: Session, condition: logic.Condition) -> None:
    from pulso.text import service as text

    tax = text.taxonomy(session)
    for leaf in logic.leaves(condition):
        if leaf.field == "topic":
            unknown = [k for k in leaf.value if k not in tax]
            if unknown:
                raise ValidationFailed(f"topic: unknown topic {', '.join(unknown)}", details={"topic": unknown})


def _topic_expanded(session: Session, condition: logic.Condition) -> logic.Condition:
    """A `has` leaf on a parent topic also matches its children."""
    if isinstance(condition, logic.Group):
        return logic.Group(condition.mode, tuple(_topic_expanded(session, c) for c in condition.items))
    if condition.field != "topic":
        return condition
    from pulso.text import service as text

    keys: set[str] = set()
    for key in condition.value:
        keys.update(text.leaf_keys(session, key) or [key])
    return logic.Leaf("topic", "has", tuple(sorted(keys)))


def delete_rule(session: Session, principal: Principal, rule_id: int) -> None:
    """Remove a rule; the cases it opened stay (they forget the rule)."""
    _require(principal, MANAGERS)
    session.delete(_get(session, CaseRule, rule_id))


def rules(session: Session) -> list[CaseRule]:
    return repository.all_rules(session)


def rule_case_counts(session: Session) -> dict[int, int]:
    return repository.rule_case_counts(session)


def get_rule(session: Session, rule_id: int) -> CaseRule:
    return _get(session, CaseRule, rule_id)


@dataclass(frozen=True)
class Backtest:
    start: datetime
    end: datetime
    matched: int
    weeks: list[tuple[datetime, int]]
    sample_ids: list[int]


def backtest(
    session: Session, principal: Principal, condition: Mapping[str, Any], *, start: datetime, end: datetime
) -> Backtest:
    """How many cases a condition would have opened over past feedback ("312 cases last month")."""
    _require(principal, MANAGERS)
    if end <= start:
        raise ValidationFailed("end: must be after start")
    parsed = _topic_expanded(session, _checked_condition(condition))
    tz = accounts.organization_timezone(session)
    total, weeks, sample = repository.backtest_counts(
        session, repository.condition_sql(parsed), start=start, end=end, tz=tz
    )
    return Backtest(start, end, total, weeks, sample)


@dataclass(frozen=True)
class RulesRun:
    read: int
    opened: list[int]
    deferred: int
    remaining: bool


RULE_BATCH = 2_000


def run_rules(
    session: Session, *, now: datetime, text_analysis: bool = True, limit: int = RULE_BATCH, at_arrival: bool = False
) -> RulesRun:
    """Read the feedback changed since the last run and open the cases its rules call for.

    Rules are tried in position order and the first that matches opens the case. A comment whose
    text analysis has not run yet is left for later when a rule before the first match reads
    sentiment or topics: the analysis gives it a new change version, and the next run reads it again.
    Opening is idempotent (one case per feedback, see repository.insert_case), so two workers running
    this at once open each case once.
    """
    active = repository.active_rules(session)
    cursor = repository.rules_cursor(session)
    upto = current_version(session)
    done = repository.Cursor(upto, None)
    if not active or (upto <= cursor.version and cursor.feedback_id is None):
        repository.advance_rules_cursor(session, done)
        return RulesRun(0, [], 0, False)
    earliest = min(r.applies_from for r in active)
    batch = repository.candidates(session, after=cursor, upto_version=upto, received_from=earliest, limit=limit)
    remaining = len(batch) == limit
    reached = repository.Cursor(batch[-1].version, batch[-1].id) if remaining else done
    undecided = {c.id for c in batch}
    pending_text = {c.id for c in batch if c.text_pending} if text_analysis else set()
    matched: dict[int, CaseRule] = {}
    deferred: set[int] = set()
    for rule in active:
        if not undecided:
            break
        condition = _topic_expanded(session, logic.parse_condition(rule.condition))
        if logic.needs_text(condition):
            waiting = undecided & pending_text
            deferred |= waiting
            undecided -= waiting
        hits = repository.matching_ids(
            session, sorted(undecided), repository.condition_sql(condition), rule.applies_from
        )
        for fid in hits:
            matched[fid] = rule
        undecided -= hits
    opened: list[int] = []
    for fb in repository.feedback_for_cases(session, sorted(matched)):
        # A replay of history (the demo) opens each case when its feedback arrived.
        case_id = open_case(session, fb, matched[fb.id], now=fb.received_at if at_arrival else now)
        if case_id is not None:
            opened.append(case_id)
    repository.advance_rules_cursor(session, reached)
    return RulesRun(len(batch), opened, len(deferred), remaining)


def _request_rules() -> None:
    from pulso.cases.tasks import request_rules

    request_rules()


# --- opening -------------------------------------------------------------------------------------


def _title(fb: FeedbackForCase, rule: CaseRule) -> str:
    who = fb.customer_name or (f"#{fb.customer_id}" if fb.customer_id else "")
    scores = [
        f"NPS {fb.nps}" if fb.nps is not None else "",
        f"CSAT {fb.csat}" if fb.csat is not None else "",
        f"CES {fb.ces}" if fb.ces is not None else "",
    ]
    parts = [p for p in (rule.name, who, " ".join(s for s in scores if s)) if p]
    return " · ".join(parts)[:300]


def _owner_for(session: Session, rule: CaseRule, team_id: int | None, agent_id: int | None) -> int | None:
    if rule.assignment is Assignment.NAMED_USER:
        return rule.assignee_id
    if rule.assignment is Assignment.AGENT_SUPERVISOR:
        agent = accounts.find_user_by_id(session, agent_id) if agent_id else None
        found = accounts.supervisors_of(session, agent.team_id if agent else team_id)
        return found[0].id if found else None
    if rule.assignment is Assignment.ROUND_ROBIN and team_id is not None:
        return _next_round_robin(session, team_id)
    return None


def _next_round_robin(session: Session, team_id: int) -> int | None:
    # The cursor row is locked (PostgreSQL) so two workers give consecutive turns, not the same one.
    last = repository.round_robin_last(session, team_id, lock=True)
    chosen = logic.next_in_turn([u.id for u in accounts.team_agents(session, team_id)], last)
    if chosen is not None:
        repository.set_round_robin_last(session, team_id, chosen)
    return chosen


def open_case(
    session: Session, fb: FeedbackForCase, rule: CaseRule, *, now: datetime, actor_id: int | None = None
) -> int | None:
    """Open the case a rule calls for on one feedback; None when the feedback has one already."""
    team_id = rule.team_id or fb.team_id
    clock = _clock_for(session, rule.sla_policy_id, rule.priority, fb.segment, now)
    values: dict[str, Any] = {
        "feedback_id": fb.id,
        "rule_id": rule.id,
        "customer_id": fb.customer_id,
        "title": _title(fb, rule),
        "status": CaseStatus.NEW,
        "priority": rule.priority,
        "team_id": team_id,
        "owner_id": None,
        "sla_policy_id": rule.sla_policy_id if clock else None,
        "escalation": EscalationLevel.OWNER,
        "opened_at": now,
        "paused_seconds": 0,
        "created_at": now,
        "updated_at": now,
    }
    if clock is not None:
        values |= {
            "first_contact_due_at": clock.first_contact_due_at,
            "first_contact_warn_at": clock.first_contact_warn_at,
            "resolution_due_at": clock.resolution_due_at,
            "resolution_warn_at": clock.resolution_warn_at,
        }
    case_id = repository.insert_case(session, values)
    if case_id is None:
        return None
    case = _get(session, Case, case_id)
    _event(session, case, actor_id, CaseEventKind.OPENED, now, rule=rule.name or None, feedback_id=fb.id)
    owner_id = _owner_for(session, rule, team_id, fb.agent_id)
    if owner_id is not None:
        case.owner_id = owner_id
        _event(session, case, None, CaseEventKind.ASSIGNED, now, to=owner_id, strategy=rule.assignment.value)
    recipients = _people(session, [owner_id]) if owner_id else accounts.supervisors_of(session, team_id)
    _notify(session, case, "case.opened", recipients, now)
    return case_id


def open_manual_case(
    session: Session,
    principal: Principal,
    feedback_id: int,
    *,
    priority: Priority,
    now: datetime,
    sla_policy_id: int | None = None,
) -> Case:
    """Open a case by hand on one feedback the person may read (supervisors and above)."""
    _require(principal, LEADS)
    from pulso.feedback import service as feedback

    feedback.get_feedback(session, principal, feedback_id)  # NotFound unless readable
    existing = repository.case_by_feedback(session, feedback_id)
    if existing is not None:
        raise Conflict(f"feedback {feedback_id} has case {existing.id} already", details={"case_id": existing.id})
    fb = repository.feedback_for_cases(session, [feedback_id])[0]
    rule = CaseRule(
        id=None, name="", priority=priority, sla_policy_id=sla_policy_id, team_id=None, assignment=Assignment.TEAM_QUEUE
    )
    case_id = open_case(session, fb, rule, now=now, actor_id=principal.user_id)
    if case_id is None:
        raise Conflict(f"feedback {feedback_id} has a case already / ya tiene un caso")
    return _get(session, Case, case_id)


# --- reading -------------------------------------------------------------------------------------


def list_cases(session: Session, principal: Principal, filters: CaseFilters, page: PageParams) -> Page[Case]:
    """The cases a principal may read, sorted by what breaches first."""
    if principal.role is Role.VIEWER:
        raise Forbidden("viewers do not see cases / los lectores no ven casos")
    return repository.list_cases(session, principal, filters, page)


def get_case(session: Session, principal: Principal, case_id: int) -> Case:
    if principal.role is Role.VIEWER:
        raise Forbidden("viewers do not see cases / los lectores no ven casos")
    case = repository.get_readable(session, principal, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found / el caso {case_id} no existe")
    return case


@dataclass
class CaseDetail:
    case: Case
    events: list[CaseEvent]
    notes: list[CaseNote]
    compensations: list[Compensation]
    people: dict[int, User]
    feedback: Any | None  # the feedback row that opened it (the case grants access to it)
    customer: Any | None
    past_cases: list[Case]
    rule: CaseRule | None
    calendar: BusinessCalendar | None
    root_cause_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def case_detail(session: Session, principal: Principal, case_id: int, *, locale: str = "es") -> CaseDetail:
    """A case with everything its page shows: timeline, notes, compensation, the customer's context."""
    from pulso.customers import service as customers
    from pulso.feedback import service as feedback
    from pulso.text import service as text

    case = get_case(session, principal, case_id)
    events = repository.events_of(session, case.id)
    notes = repository.notes_of(session, case.id)
    comps = repository.compensations_of(session, case.id)
    ids = {
        case.owner_id,
        case.escalated_to_id,
        *(e.actor_id for e in events),
        *(n.author_id for n in notes),
        *(c.given_by for c in comps),
    }
    for event in events:
        for key in ("to", "from"):
            value = event.data.get(key)
            if isinstance(value, int):
                ids.add(value)
    people = accounts.users_by_ids(session, [i for i in ids if i is not None])
    fb = feedback.feedback_rows(session, [case.feedback_id]).get(case.feedback_id) if case.feedback_id else None
    customer = customers.get_customer(session, case.customer_id) if case.customer_id else None
    past = (
        repository.cases_of_customer(session, principal, case.customer_id, exclude=case.id) if case.customer_id else []
    )
    rule = session.get(CaseRule, case.rule_id) if case.rule_id else None
    root_name = None
    if case.root_cause:
        tax = text.taxonomy(session)
        root_name = tax.get(case.root_cause).name(locale) if case.root_cause in tax else case.root_cause
    return CaseDetail(
        case, events, notes, comps, people, fb, customer, past, rule, _calendar_of_case(session, case), root_name
    )


# --- changes -------------------------------------------------------------------------------------


def _writable(session: Session, principal: Principal, case_id: int) -> Case:
    """The case, locked for the change, if this principal may change it (agents: their own)."""
    if principal.role is Role.VIEWER:
        raise Forbidden("viewers cannot change cases / los lectores no pueden cambiar casos")
    case = repository.get_readable(session, principal, case_id, lock=True)
    if case is None:
        raise NotFound(f"case {case_id} not found / el caso {case_id} no existe")
    return case


def assign_case(session: Session, principal: Principal, case_id: int, owner_id: int | None, *, now: datetime) -> Case:
    """Give a case to someone (supervisors their team's cases, to their team's people; managers anyone)."""
    _require(principal, LEADS)
    case = _writable(session, principal, case_id)
    _assign(session, principal, case, owner_id, now)
    return case


def bulk_assign(
    session: Session, principal: Principal, case_ids: Sequence[int], owner_id: int | None, *, now: datetime
) -> list[Case]:
    """Assign several cases at once: all of them or, if one cannot be, none."""
    _require(principal, LEADS)
    if not case_ids:
        raise ValidationFailed("case_ids: choose at least one case / elige al menos un caso")
    if len(case_ids) > 500:
        raise ValidationFailed("case_ids: at most 500 at once / como máximo 500 a la vez")
    changed = []
    for case_id in dict.fromkeys(case_ids):
        case = _writable(session, principal, case_id)
        _assign(session, principal, case, owner_id, now)
        changed.append(case)
    return changed


def _assign(session: Session, principal: Principal, case: Case, owner_id: int | None, now: datetime) -> None:
    if owner_id is not None:
        owner = accounts.find_user_by_id(session, owner_id)
        if owner is None or not owner.is_active or owner.role is Role.VIEWER:
            raise ValidationFailed(
                "owner_id: that user cannot own cases / ese usuario no puede tener casos",
                details={"owner_id": "invalid"},
            )
        if principal.role is Role.SUPERVISOR and owner.team_id != principal.team_id and owner.id != principal.user_id:
            raise Forbidden("a supervisor assigns to their own team / un supervisor asigna dentro de su equipo")
    if case.owner_id == owner_id:
        return
    previous = case.owner_id
    case.owner_id = owner_id
    case.updated_at = now
    _event(session, case, principal.user_id, CaseEventKind.ASSIGNED, now, to=owner_id, **{"from": previous})
    # Webhooks hear of every assignment; the new owner is e-mailed unless they took the case themselves.
    recipients = _people(session, [owner_id]) if owner_id is not None and owner_id != principal.user_id else []
    _notify(session, case, "case.assigned", recipients, now)


def change_status(
    session: Session,
    principal: Principal,
    case_id: int,
    status: CaseStatus,
    *,
    now: datetime,
    resolution: str | None = None,
) -> Case:
    """Move a case along new → in progress → waiting → resolved → closed, or reopen it."""
    case = _writable(session, principal, case_id)
    current = case.status
    if current == status:
        return case
    if not logic.can_move(current, status):
        raise Conflict(
            f"a {current.value} case cannot move to {status.value} / transición no permitida",
            details={"from": current.value, "to": status.value},
        )
    if status is CaseStatus.RESOLVED:
        text = (resolution or case.resolution or "").strip()
        if not text:
            raise ValidationFailed(
                "resolution: say how it was resolved / indica cómo se resolvió", details={"resolution": "required"}
            )
        if text != (case.resolution or ""):
            case.resolution = text
            _event(session, case, principal.user_id, CaseEventKind.RESOLUTION, now, text=text[:500])
    calendar = _calendar_of_case(session, case)
    if current is CaseStatus.WAITING:
        _resume_clock(session, case, calendar, now)
    if status is CaseStatus.WAITING:
        case.paused_at = now
    reopening = logic.is_reopening(current, status)
    if status is CaseStatus.RESOLVED:
        case.resolved_at = now
        case.resolution_seconds = _business_seconds_open(case, calendar, now)
    if status is CaseStatus.CLOSED:
        case.closed_at = now
    if reopening:
        case.resolved_at = None
        case.closed_at = None
        case.resolution_seconds = None
    case.status = status
    case.updated_at = now
    kind = CaseEventKind.REOPENED if reopening else CaseEventKind.STATUS
    _event(session, case, principal.user_id, kind, now, **{"from": current.value, "to": status.value})
    if status is CaseStatus.RESOLVED:
        _notify(session, case, "case.resolved", _watchers(session, case, exclude=principal.user_id), now)
    return case


def _resume_clock(session: Session, case: Case, calendar: BusinessCalendar | None, now: datetime) -> None:
    """Leaving "waiting for the customer": the business time spent waiting moves the deadlines back."""
    if case.paused_at is None:
        return
    if calendar is not None:
        case.paused_seconds += logic.business_seconds(case.paused_at, now, calendar)
        policy = session.get(SlaPolicy, case.sla_policy_id) if case.sla_policy_id else None
        segment = _segment_of(session, case)
        clock = _clock_for(
            session,
            policy.id if policy else None,
            case.priority,
            segment,
            case.opened_at,
            timedelta(seconds=case.paused_seconds),
        )
        if clock is not None:
            case.first_contact_due_at = clock.first_contact_due_at
            case.first_contact_warn_at = clock.first_contact_warn_at
            case.resolution_due_at = clock.resolution_due_at
            case.resolution_warn_at = clock.resolution_warn_at
    case.paused_at = None


def _segment_of(session: Session, case: Case) -> str | None:
    from pulso.customers import service as customers

    customer = customers.get_customer(session, case.customer_id) if case.customer_id else None
    return customer.segment if customer else None


def _business_seconds_open(case: Case, calendar: BusinessCalendar | None, now: datetime) -> int:
    if calendar is None:
        return max(0, int((now - case.opened_at).total_seconds()))
    return max(0, logic.business_seconds(case.opened_at, now, calendar) - case.paused_seconds)


def set_priority(session: Session, principal: Principal, case_id: int, priority: Priority, *, now: datetime) -> Case:
    """Change the priority; the SLA targets follow it from the opening on."""
    _require(principal, LEADS)
    case = _writable(session, principal, case_id)
    if case.priority == priority:
        return case
    previous = case.priority
    case.priority = priority
    clock = _clock_for(
        session,
        case.sla_policy_id,
        priority,
        _segment_of(session, case),
        case.opened_at,
        timedelta(seconds=case.paused_seconds),
    )
    if clock is not None:
        case.first_contact_due_at = clock.first_contact_due_at
        case.first_contact_warn_at = clock.first_contact_warn_at
        case.resolution_due_at = clock.resolution_due_at
        case.resolution_warn_at = clock.resolution_warn_at
    case.updated_at = now
    _event(
        session, case, principal.user_id, CaseEventKind.PRIORITY, now, **{"from": previous.value, "to": priority.value}
    )
    return case


def add_note(session: Session, principal: Principal, case_id: int, body: str, *, now: datetime) -> CaseNote:
    case = _writable(session, principal, case_id)
    text = body.strip()
    if not text:
        raise ValidationFailed("body: write the note / escribe la nota", details={"body": "required"})
    if len(text) > 10_000:
        raise ValidationFailed("body: at most 10,000 characters / como máximo 10.000 caracteres")
    note = CaseNote(case_id=case.id, author_id=principal.user_id, body=text, created_at=now)
    session.add(note)
    case.updated_at = now
    _event(session, case, principal.user_id, CaseEventKind.NOTE, now, preview=text[:140])
    return note


def set_root_cause(
    session: Session, principal: Principal, case_id: int, topic_key: str | None, *, now: datetime
) -> Case:
    """The root cause, chosen from the topic taxonomy (None clears it)."""
    from pulso.text import service as text

    case = _writable(session, principal, case_id)
    if topic_key is not None and topic_key not in text.taxonomy(session):
        raise ValidationFailed(
            f"root_cause: {topic_key!r} is not a topic / no es un tema", details={"root_cause": "unknown"}
        )
    if case.root_cause == topic_key:
        return case
    previous = case.root_cause
    case.root_cause = topic_key
    case.updated_at = now
    _event(session, case, principal.user_id, CaseEventKind.ROOT_CAUSE, now, **{"from": previous, "to": topic_key})
    return case


def mark_contacted(
    session: Session, principal: Principal, case_id: int, *, now: datetime, at: datetime | None = None
) -> Case:
    """Record when the customer was reached (stops the first-contact clock)."""
    case = _writable(session, principal, case_id)
    when = at or now
    if when.tzinfo is None:
        raise ValidationFailed("at: give a time zone / indica la zona horaria")
    if when > now + timedelta(minutes=5) or when < case.opened_at - timedelta(days=1):
        raise ValidationFailed(
            "at: between the opening and now / entre la apertura y ahora", details={"at": "out of range"}
        )
    if case.customer_contacted_at is not None:
        raise Conflict("the customer was already contacted / el cliente ya fue contactado")
    case.customer_contacted_at = when
    calendar = _calendar_of_case(session, case)
    start = min(case.opened_at, when)
    case.first_contact_seconds = (
        logic.business_seconds(start, when, calendar) if calendar else int((when - start).total_seconds())
    )
    if case.status is CaseStatus.NEW:
        case.status = CaseStatus.IN_PROGRESS
    case.updated_at = now
    _event(session, case, principal.user_id, CaseEventKind.CONTACTED, now, at=when.isoformat())
    return case


def give_compensation(
    session: Session,
    principal: Principal,
    case_id: int,
    *,
    kind: CompensationKind,
    amount: str | Decimal,
    currency: str,
    note: str | None,
    now: datetime,
) -> Compensation:
    """Record compensation given to the customer, within the limit of the giver's role."""
    case = _writable(session, principal, case_id)
    try:
        value = logic.parse_amount(amount)
    except ValueError as exc:
        raise ValidationFailed(f"amount: {exc}", details={"amount": str(exc)}) from None
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationFailed(
            "currency: a three-letter code such as MXN or EUR / código de tres letras", details={"currency": "invalid"}
        )
    limit = repository.compensation_limit(session, principal.role, code)
    given = Decimal(repository.compensation_given(session, case.id, code))
    refusal = logic.compensation_refusal(principal.role, value, given, limit.max_per_case if limit else None)
    if refusal:
        raise Forbidden(f"amount: {refusal}", details={"amount": refusal})
    row = Compensation(
        case_id=case.id,
        kind=kind,
        amount=value,
        currency=code,
        note=(note or "").strip() or None,
        given_by=principal.user_id,
        given_at=now,
    )
    session.add(row)
    case.updated_at = now
    _event(
        session,
        case,
        principal.user_id,
        CaseEventKind.COMPENSATION,
        now,
        type=kind.value,
        amount=str(value),
        currency=code,
    )
    return row


def set_compensation_limit(
    session: Session, principal: Principal, *, role: Role, currency: str, max_per_case: str | Decimal | None
) -> CompensationLimit | None:
    """The most a role may give per case in a currency (None removes the limit: the role may give none)."""
    _require(principal, MANAGERS)
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationFailed("currency: a three-letter code / código de tres letras")
    row = repository.compensation_limit(session, role, code)
    if max_per_case is None:
        if row is not None:
            session.delete(row)
        return None
    try:
        value = logic.parse_amount(max_per_case)
    except ValueError as exc:
        raise ValidationFailed(f"max_per_case: {exc}") from None
    if row is None:
        row = CompensationLimit(role=role, currency=code, max_per_case=value)
        session.add(row)
    else:
        row.max_per_case = value
    session.flush()
    return row


def compensation_limits(session: Session) -> list[CompensationLimit]:
    return repository.all_compensation_limits(session)


# --- escalation and the SLA job ------------------------------------------------------------------


def escalate_case(
    session: Session,
    principal: Principal | None,
    case_id: int,
    *,
    now: datetime,
    reason: str = "manual",
    to: EscalationLevel | None = None,
) -> Case:
    """One step up the ladder owner → supervisor → manager (by hand, or by the SLA job with `to`)."""
    case = _writable(session, principal, case_id) if principal else repository.get_for_update(session, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found")
    if case.status not in OPEN_STATUSES:
        raise Conflict("only an open case escalates / solo un caso abierto se escala")
    target = to or logic.next_level(case.escalation)
    if target is None or logic.LEVEL_RANK[target] <= logic.LEVEL_RANK[case.escalation]:
        raise Conflict("the case is at the top of the ladder / el caso ya está en el nivel más alto")
    people = (
        accounts.supervisors_of(session, case.team_id)
        if target is EscalationLevel.SUPERVISOR
        else accounts.managers_of(session, case.team_id)
    )
    previous = case.escalation
    case.escalation = target
    case.escalated_to_id = people[0].id if people else None
    case.updated_at = now
    actor = principal.user_id if principal else None
    _event(
        session,
        case,
        actor,
        CaseEventKind.ESCALATED,
        now,
        reason=reason,
        to=case.escalated_to_id,
        level=target.value,
        **{"from_level": previous.value},
    )
    _notify(session, case, "case.escalated", people, now, reason=reason, level=target.value)
    return case


@dataclass(frozen=True)
class ClockRun:
    checked: int
    warned: int
    breached: int
    escalated: int


def check_clocks(session: Session, *, now: datetime, limit: int = 500) -> ClockRun:
    """The periodic SLA job: record breaches, escalate what is about to breach or has breached."""
    warned = breached = escalated = 0
    ids = repository.clocks_due(session, now, limit=limit)
    for case_id in ids:
        case = repository.get_for_update(session, case_id)
        if case is None:
            continue
        actions = logic.clock_actions(_clock_state(case), now)
        for kind in actions.breaches:
            if kind is SlaKind.FIRST_CONTACT:
                case.first_contact_breached_at = now
            else:
                case.resolution_breached_at = now
            breached += 1
            _event(session, case, None, CaseEventKind.SLA_BREACHED, now, sla=kind.value)
            _notify(session, case, "case.sla_breached", _watchers(session, case), now, sla=kind.value)
        for kind in actions.warnings:
            warned += 1
            _event(session, case, None, CaseEventKind.SLA_WARNING, now, sla=kind.value)
        if actions.escalate_to is not None:
            reason = (
                "sla_breached" if actions.breaches or actions.escalate_to is EscalationLevel.MANAGER else "sla_warning"
            )
            escalate_case(session, None, case.id, now=now, reason=reason, to=actions.escalate_to)
            escalated += 1
    return ClockRun(len(ids), warned, breached, escalated)


def _clock_state(case: Case) -> logic.ClockState:
    return logic.ClockState(
        status=case.status,
        escalation=case.escalation,
        contacted=case.customer_contacted_at is not None,
        first_contact_due_at=case.first_contact_due_at,
        first_contact_warn_at=case.first_contact_warn_at,
        resolution_due_at=case.resolution_due_at,
        resolution_warn_at=case.resolution_warn_at,
        first_contact_breached=case.first_contact_breached_at is not None,
        resolution_breached=case.resolution_breached_at is not None,
    )


# --- the closed-loop dashboard -------------------------------------------------------------------

CONTACT_WITHIN = timedelta(hours=48)


@dataclass(frozen=True)
class TeamCompliance:
    team_id: int | None
    team: str
    met: int
    breached: int

    @property
    def share(self) -> float | None:
        total = self.met + self.breached
        return self.met / total if total else None


@dataclass(frozen=True)
class ClosedLoop:
    start: datetime
    end: datetime
    opened: int
    by_status: dict[str, int]
    detractors_contacted: logic.Share
    median_first_contact_hours: float | None
    median_resolution_hours: float | None
    compliance: list[TeamCompliance]
    compensation: list[tuple[datetime, str, Decimal]]
    root_causes: list[tuple[str, str, int]]


def closed_loop(
    session: Session, principal: Principal, *, start: datetime, end: datetime, locale: str = "es"
) -> ClosedLoop:
    """The figures of the closed loop over the cases opened in [start, end), as the principal may see them.

    Times are business hours (the case's calendar), counted when the customer was contacted and when
    the case was resolved, pauses left out.
    """
    from pulso.text import service as text

    if principal.role is Role.VIEWER:
        raise Forbidden("viewers do not see cases / los lectores no ven casos")
    tz = accounts.organization_timezone(session)
    where = repository.dashboard_where(principal, start, end)
    part, whole = repository.detractor_contact_share(session, where, within_seconds=int(CONTACT_WITHIN.total_seconds()))
    first = repository.median_seconds(session, where, Case.first_contact_seconds)
    resolution = repository.median_seconds(session, where, Case.resolution_seconds)
    names = {t.id: t.name for t in accounts.all_teams(session)}
    compliance = [
        TeamCompliance(team_id, names.get(team_id, "—") if team_id else "—", met, breached)
        for team_id, met, breached in repository.compliance_by_team(session, where)
    ]
    compliance.sort(key=lambda t: (t.share if t.share is not None else 2, t.team))
    tax = text.taxonomy(session)
    causes = [
        (key, tax.get(key).name(locale) if key in tax else key, n)
        for key, n in repository.top_root_causes(session, where)
    ]
    by_status = repository.status_counts(session, where)
    return ClosedLoop(
        start=start,
        end=end,
        opened=sum(by_status.values()),
        by_status=by_status,
        detractors_contacted=logic.Share(part, whole),
        median_first_contact_hours=first / 3600 if first is not None else None,
        median_resolution_hours=resolution / 3600 if resolution is not None else None,
        compliance=compliance,
        compensation=[(m, c, Decimal(a)) for m, c, a in repository.compensation_by_month(session, where, tz)],
        root_causes=causes,
    )


# --- helpers -------------------------------------------------------------------------------------


def _require(principal: Principal, roles: Iterable[Role]) -> None:
    if principal.role not in tuple(roles):
        raise Forbidden("your role cannot do this / tu rol no permite esta acción")


def _get(session: Session, model: type[_Row], row_id: int | None) -> _Row:
    row = session.get(model, row_id) if row_id is not None else None
    if row is None:
        raise NotFound(f"{getattr(model, '__tablename__', model.__name__)} {row_id} not found / no existe")
    return row


def _flush_unique(session: Session, field_name: str, message: str) -> None:
    from sqlalchemy.exc import IntegrityError

    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ValidationFailed(f"{field_name}: {message}", details={field_name: message}) from None


def _event(session: Session, case: Case, actor_id: int | None, kind: CaseEventKind, now: datetime, **data: Any) -> None:
    session.add(CaseEvent(case_id=case.id, at=now, actor_id=actor_id, kind=kind, data=data))


def _people(session: Session, ids: Sequence[int | None]) -> list[User]:
    found = accounts.users_by_ids(session, [i for i in ids if i is not None])
    return [u for u in found.values() if u.is_active]


def _watchers(session: Session, case: Case, *, exclude: int | None = None) -> list[User]:
    """Who hears about a breach or a resolution: the owner and whoever it was escalated to, else the
    team's supervisors; never the person who made the change."""
    people = [p for p in _people(session, [case.owner_id, case.escalated_to_id]) if p.id != exclude]
    if not people:
        people = [p for p in accounts.supervisors_of(session, case.team_id) if p.id != exclude]
    return people


def case_payload(case: Case) -> dict[str, Any]:
    """What a webhook receives about a case."""

    def iso(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat() if value else None

    return {
        "id": case.id,
        "title": case.title,
        "status": case.status.value,
        "priority": case.priority.value,
        "team_id": case.team_id,
        "owner_id": case.owner_id,
        "feedback_id": case.feedback_id,
        "customer_id": case.customer_id,
        "escalation": case.escalation.value,
        "escalated_to_id": case.escalated_to_id,
        "opened_at": iso(case.opened_at),
        "first_contact_due_at": iso(case.first_contact_due_at),
        "resolution_due_at": iso(case.resolution_due_at),
        "customer_contacted_at": iso(case.customer_contacted_at),
        "resolved_at": iso(case.resolved_at),
        "root_cause": case.root_cause,
        "path": f"/cases/{case.id}",
    }


PRIORITY_NAMES = {
    Priority.LOW: N_("Low"),
    Priority.NORMAL: N_("Normal"),
    Priority.HIGH: N_("High"),
    Priority.URGENT: N_("Urgent"),
}


def _next_due(case: Case) -> datetime | None:
    if case.customer_contacted_at is None and case.first_contact_due_at is not None:
        return min(case.first_contact_due_at, case.resolution_due_at or case.first_contact_due_at)
    return case.resolution_due_at


def quietly(session: Session) -> None:
    """Notify nobody and queue nothing for this session's changes: a replay of past events (the demo's
    history), which runs the rules itself at the instants it replays."""
    session.info[QUIET] = True


def _notify(session: Session, case: Case, event: str, recipients: Sequence[User], now: datetime, **extra: Any) -> None:
    from pulso.runtime import get_runtime

    session.flush()
    if session.info.get(QUIET):
        return
    payload = case_payload(case) | extra
    tz = accounts.organization_timezone(session)
    due = _next_due(case)
    emails = [EmailRecipient(u.email, u.name, u.locale) for u in recipients if u.email]
    context = {
        "case": payload,
        "extra": extra,
        "priority_name": PRIORITY_NAMES[case.priority],
        "due": f"{due.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M} ({tz})" if due else None,
        "link": get_runtime().settings.public_url.rstrip("/") + f"/cases/{case.id}",
        "resolution": case.resolution if event == "case.resolved" else None,
    }
    notifications.publish(
        session,
        event=event,
        key=f"case:{case.id}",
        payload=payload,
        emails=emails,
        email_template=f"cases/email/{event.split('.', 1)[1]}.txt",
        context=context,
    )
