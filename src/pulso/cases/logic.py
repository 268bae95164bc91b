"""Pure rules of the cases domain: rule conditions, the status flow, SLA clocks, escalation, compensation.

No session, no request, no clock: every instant is passed in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pulso.accounts.enums import Role
from pulso.cases.enums import OPEN_STATUSES, CaseStatus, EscalationLevel, SlaKind
from pulso.feedback.enums import FeedbackSource
from pulso.interactions.enums import Channel
from pulso.kit.business_hours import BusinessCalendar, add_business_time, business_time_between

# --- rule conditions -----------------------------------------------------------------------------

FieldKind = Literal["int", "float", "choice", "bool", "id", "text", "topic"]
Op = Literal["eq", "ne", "lt", "lte", "gt", "gte", "in", "is", "has"]

ORDER_OPS: tuple[Op, ...] = ("eq", "ne", "lt", "lte", "gt", "gte")
SET_OPS: tuple[Op, ...] = ("eq", "ne", "in")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: FieldKind
    ops: tuple[Op, ...]
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    needs_text: bool = False  # known only once the comment's text analysis has run


SENTIMENTS = ("negative", "neutral", "positive")

FIELDS: dict[str, FieldSpec] = {
    "nps": FieldSpec("int", ORDER_OPS, 0, 10),
    "csat": FieldSpec("int", ORDER_OPS, 1, 5),
    "ces": FieldSpec("int", ORDER_OPS, 1, 7),
    "rating": FieldSpec("int", ORDER_OPS, 1, 5),
    "sentiment_score": FieldSpec("float", ("lt", "lte", "gt", "gte"), -1, 1, needs_text=True),
    "sentiment": FieldSpec("choice", SET_OPS, choices=SENTIMENTS, needs_text=True),
    "topic": FieldSpec("topic", ("has",), needs_text=True),
    "key_account": FieldSpec("bool", ("is",)),
    "channel": FieldSpec("choice", SET_OPS, choices=tuple(c.value for c in Channel)),
    "source": FieldSpec("choice", SET_OPS, choices=tuple(s.value for s in FeedbackSource)),
    "product": FieldSpec("id", SET_OPS),
    "touchpoint": FieldSpec("id", SET_OPS),
    "team": FieldSpec("id", SET_OPS),
    "segment": FieldSpec("text", SET_OPS),
    "region": FieldSpec("text", SET_OPS),
    "language": FieldSpec("choice", SET_OPS, choices=("es", "en", "other")),
}

MAX_DEPTH = 4
MAX_LEAVES = 30


class ConditionError(ValueError):
    """A rule condition that cannot be used; `path` names the part (e.g. 'all[1].value')."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Leaf:
    field: str
    op: Op
    value: Any  # int | float | str | bool | tuple of those (op "in" and "has")


@dataclass(frozen=True, slots=True)
class Group:
    mode: Literal["all", "any"]
    items: tuple[Condition, ...]


Condition = Leaf | Group


def parse_condition(data: Any, path: str = "condition") -> Condition:
    """A condition from its JSON form, checked field by field; ConditionError names what is wrong."""
    return _parse(data, path, depth=1, leaves=[0])


def _parse(data: Any, path: str, *, depth: int, leaves: list[int]) -> Condition:
    if not isinstance(data, Mapping):
        raise ConditionError(path, "must be an object with 'all', 'any' or 'field'")
    groups = [k for k in ("all", "any") if k in data]
    if groups:
        if len(groups) > 1 or "field" in data:
            raise ConditionError(path, "give one of 'all', 'any' or 'field'")
        mode: Literal["all", "any"] = "all" if groups[0] == "all" else "any"
        items = data[mode]
        if not isinstance(items, list) or not items:
            raise ConditionError(f"{path}.{mode}", "must be a non-empty list")
        if depth >= MAX_DEPTH:
            raise ConditionError(path, f"at most {MAX_DEPTH} levels of all/any")
        return Group(
            mode,
            tuple(_parse(item, f"{path}.{mode}[{i}]", depth=depth + 1, leaves=leaves) for i, item in enumerate(items)),
        )
    leaves[0] += 1
    if leaves[0] > MAX_LEAVES:
        raise ConditionError(path, f"at most {MAX_LEAVES} conditions in a rule")
    name = data.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ConditionError(f"{path}.field", f"unknown field {name!r}; one of {', '.join(FIELDS)}")
    op = data.get("op")
    if op not in spec.ops:
        raise ConditionError(f"{path}.op", f"{name} takes {', '.join(spec.ops)}, not {op!r}")
    value = _value(spec, op, data.get("value"), f"{path}.value")
    return Leaf(str(name), op, value)


def _value(spec: FieldSpec, op: str, raw: Any, path: str) -> Any:
    if op in ("in", "has"):
        values = raw if isinstance(raw, list) else [raw]
        if not values or (op == "in" and not isinstance(raw, list)):
            raise ConditionError(path, "must be a non-empty list")
        return tuple(sorted({_scalar(spec, v, path) for v in values}, key=str))
    return _scalar(spec, raw, path)


def _scalar(spec: FieldSpec, raw: Any, path: str) -> Any:
    if spec.kind == "bool":
        if not isinstance(raw, bool):
            raise ConditionError(path, "must be true or false")
        return raw
    if spec.kind in ("int", "id"):
        if isinstance(raw, bool) or not isinstance(raw, int | float) or float(raw) != int(raw):
            raise ConditionError(path, "must be a whole number")
        value = int(raw)
        if spec.kind == "id" and value < 1:
            raise ConditionError(path, "must be an id (1 or more)")
        _check_range(spec, value, path)
        return value
    if spec.kind == "float":
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise ConditionError(path, "must be a number")
        _check_range(spec, float(raw), path)
        return float(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise ConditionError(path, "must be a non-empty text")
    text = raw.strip()
    if spec.choices and text not in spec.choices:
        raise ConditionError(path, f"{text!r} is not one of {', '.join(spec.choices)}")
    return text


def _check_range(spec: FieldSpec, value: float, path: str) -> None:
    if spec.low is not None and spec.high is not None and not spec.low <= value <= spec.high:
        raise ConditionError(path, f"must be between {spec.low:g} and {spec.high:g}")


def condition_to_data(condition: Condition) -> dict[str, Any]:
    """The JSON form, as stored (parse_condition(condition_to_data(c)) == c)."""
    if isinstance(condition, Group):
        return {condition.mode: [condition_to_data(c) for c in condition.items]}
    value = list(condition.value) if isinstance(condition.value, tuple) else condition.value
    return {"field": condition.field, "op": condition.op, "value": value}


def leaves(condition: Condition) -> list[Leaf]:
    if isinstance(condition, Leaf):
        return [condition]
    return [leaf for item in condition.items for leaf in leaves(item)]


def needs_text(condition: Condition) -> bool:
    """Whether the condition reads the comment's analysis (sentiment or topics)."""
    return any(FIELDS[leaf.field].needs_text for leaf in leaves(condition))


def matches(condition: Condition, values: Mapping[str, Any]) -> bool:
    """Whether one feedback's values meet the condition; an unknown value (None) meets no comparison.

    `values["topic"]` is the set of the comment's topic keys; a `has` leaf's keys already include the
    children of a parent topic (the service expands them). The SQL the repository compiles agrees
    with this function (tested).
    """
    if isinstance(condition, Group):
        results = (matches(item, values) for item in condition.items)
        return all(results) if condition.mode == "all" else any(results)
    actual = values.get(condition.field)
    if actual is None:
        return False
    op, expected = condition.op, condition.value
    if op == "has":
        return bool(set(actual) & set(expected))
    if op == "is":
        return bool(actual) is expected
    if op == "in":
        return actual in expected
    comparisons = {
        "eq": actual == expected,
        "ne": actual != expected,
        "lt": actual < expected,
        "lte": actual <= expected,
        "gt": actual > expected,
        "gte": actual >= expected,
    }
    return bool(comparisons[op])


# --- the status flow -----------------------------------------------------------------------------

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.WAITING, CaseStatus.RESOLVED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.WAITING, CaseStatus.RESOLVED}),
    CaseStatus.WAITING: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.IN_PROGRESS}),
    CaseStatus.CLOSED: frozenset({CaseStatus.IN_PROGRESS}),
}


def can_move(current: CaseStatus, target: CaseStatus) -> bool:
    return target in TRANSITIONS[current]


def is_reopening(current: CaseStatus, target: CaseStatus) -> bool:
    return current in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and target in OPEN_STATUSES


# --- SLA clocks ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaTargets:
    first_contact: timedelta
    resolution: timedelta
    warn_ratio: float  # the share of a target after which the case warns (escalates to the supervisor)


@dataclass(frozen=True, slots=True)
class SlaClock:
    first_contact_due_at: datetime
    first_contact_warn_at: datetime
    resolution_due_at: datetime
    resolution_warn_at: datetime


def sla_due_at(opened_at: datetime, target: timedelta, calendar: BusinessCalendar, paused: timedelta) -> datetime:
    """When a target is due, counting business hours only, pushed back by the business time spent waiting."""
    return add_business_time(opened_at, target + paused, calendar)


def sla_clock(
    opened_at: datetime, targets: SlaTargets, calendar: BusinessCalendar, paused: timedelta = timedelta(0)
) -> SlaClock:
    """Both targets and their warning points, in business hours from the opening."""

    def at(share: float, target: timedelta) -> datetime:
        return sla_due_at(opened_at, target * share, calendar, paused)

    return SlaClock(
        first_contact_due_at=at(1.0, targets.first_contact),
        first_contact_warn_at=at(targets.warn_ratio, targets.first_contact),
        resolution_due_at=at(1.0, targets.resolution),
        resolution_warn_at=at(targets.warn_ratio, targets.resolution),
    )


@dataclass(frozen=True, slots=True)
class TargetRow:
    priority: str
    segment: str | None
    first_contact_minutes: int
    resolution_minutes: int


def pick_target(rows: Sequence[TargetRow], priority: str, segment: str | None) -> TargetRow | None:
    """The policy's row for this priority and the customer's segment, else its row for every segment."""
    exact = [r for r in rows if r.priority == priority and r.segment is not None and r.segment == segment]
    if exact:
        return exact[0]
    general = [r for r in rows if r.priority == priority and r.segment is None]
    return general[0] if general else None


def business_seconds(start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    return int(business_time_between(start, end, calendar).total_seconds())


# --- escalation ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClockState:
    """What the SLA job reads of a case to decide what is due."""

    status: CaseStatus
    escalation: EscalationLevel
    contacted: bool
    first_contact_due_at: datetime | None
    first_contact_warn_at: datetime | None
    resolution_due_at: datetime | None
    resolution_warn_at: datetime | None
    first_contact_breached: bool
    resolution_breached: bool


@dataclass(frozen=True, slots=True)
class ClockActions:
    breaches: tuple[SlaKind, ...] = ()
    warnings: tuple[SlaKind, ...] = ()
    escalate_to: EscalationLevel | None = None

    @property
    def any(self) -> bool:
        return bool(self.breaches or self.escalate_to)


LEVEL_RANK = {EscalationLevel.OWNER: 0, EscalationLevel.SUPERVISOR: 1, EscalationLevel.MANAGER: 2}


def clock_actions(state: ClockState, now: datetime) -> ClockActions:
    """What is due now: a warning escalates to the supervisor, a breach to the manager.

    A case waiting for the customer is paused: nothing is due until it moves on. A level already
    reached is never repeated, so the job can run as often as it likes.
    """
    if state.status not in (CaseStatus.NEW, CaseStatus.IN_PROGRESS):
        return ClockActions()
    breaches: list[SlaKind] = []
    warnings: list[SlaKind] = []
    clocks = [
        (
            SlaKind.FIRST_CONTACT,
            not state.contacted,
            state.first_contact_warn_at,
            state.first_contact_due_at,
            state.first_contact_breached,
        ),
        (SlaKind.RESOLUTION, True, state.resolution_warn_at, state.resolution_due_at, state.resolution_breached),
    ]
    for kind, running, warn_at, due_at, breached in clocks:
        if not running or due_at is None:
            continue
        if now >= due_at:
            if not breached:
                breaches.append(kind)
        elif warn_at is not None and now >= warn_at:
            warnings.append(kind)
    level = state.escalation
    if breaches or (state.first_contact_breached and not state.contacted) or state.resolution_breached:
        wanted = EscalationLevel.MANAGER
    elif warnings:
        wanted = EscalationLevel.SUPERVISOR
    else:
        wanted = level
    escalate_to = wanted if LEVEL_RANK[wanted] > LEVEL_RANK[level] else None
    return ClockActions(tuple(breaches), tuple(warnings) if escalate_to else (), escalate_to)


def next_level(level: EscalationLevel) -> EscalationLevel | None:
    """One step up the ladder (escalation by hand), or None at the top."""
    rank = LEVEL_RANK[level]
    for candidate, candidate_rank in LEVEL_RANK.items():
        if candidate_rank == rank + 1:
            return candidate
    return None


# --- assignment ----------------------------------------------------------------------------------


def next_in_turn(candidates: Sequence[int], last: int | None) -> int | None:
    """Round robin: the first candidate after `last` in id order, wrapping around."""
    if not candidates:
        return None
    ordered = sorted(candidates)
    if last is None:
        return ordered[0]
    for candidate in ordered:
        if candidate > last:
            return candidate
    return ordered[0]


# --- compensation --------------------------------------------------------------------------------


def parse_amount(raw: str | float | Decimal) -> Decimal:
    """A positive amount with at most two decimals; ValueError says why not."""
    try:
        amount = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not an amount") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError("the amount must be greater than 0")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("at most two decimals")
    if amount >= Decimal("10000000000"):
        raise ValueError("the amount is too large")
    return amount


def compensation_refusal(role: Role, amount: Decimal, already_given: Decimal, limit: Decimal | None) -> str | None:
    """Why this role may not give `amount` more on the case (None: it may). Administrators have no limit."""
    if role is Role.ADMIN:
        return None
    if limit is None:
        return "no compensation limit is set for this role and currency"
    if already_given + amount > limit:
        return f"the limit for this role is {limit} per case ({already_given} already given)"
    return None


# --- the closed-loop dashboard -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Share:
    part: int
    whole: int

    @property
    def ratio(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass(slots=True)
class TeamCompliance:
    team: str
    met: int = 0
    breached: int = 0
    open_on_time: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def share(self) -> Share:
        return Share(self.met, self.met + self.breached)
