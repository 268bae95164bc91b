"""Input and output models of the cases domain (the JSON API and the forms share the input ones)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pulso.accounts.enums import Role
from pulso.cases.enums import Assignment, CaseStatus, CompensationKind, EscalationLevel, Priority


class CalendarIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    country: str | None = Field(None, description="ES, MX, AR, CO or CL: that country's national holidays.")
    timezone: str = Field(min_length=1, max_length=64)
    hours: dict[str, list[str]] = Field(description='Weekly hours, e.g. {"mon": ["09:00-14:00", "15:00-18:00"]}.')
    extra_holidays: list[str] = Field(default_factory=list, description="More closed days, YYYY-MM-DD.")


class TargetIn(BaseModel):
    priority: Priority
    segment: str | None = Field(None, max_length=64, description="None: every segment without its own row.")
    first_contact_minutes: int = Field(gt=0, le=60 * 24 * 90)
    resolution_minutes: int = Field(gt=0, le=60 * 24 * 365)

    @field_validator("segment")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class PolicyIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    calendar_id: int
    warn_percent: int = Field(80, ge=1, le=99)
    targets: list[TargetIn] = Field(min_length=1)


class RuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    condition: dict[str, Any] = Field(
        description='{"all"|"any": [...]} of {"field": "nps", "op": "lte", "value": 6}; see docs/cases.md.'
    )
    priority: Priority = Priority.NORMAL
    sla_policy_id: int | None = None
    team_id: int | None = Field(None, description="The owning team; None: the feedback's team.")
    assignment: Assignment = Assignment.ROUND_ROBIN
    assignee_id: int | None = Field(None, description="The owner, for assignment named_user.")
    is_active: bool = True
    position: int = Field(0, ge=0, le=10_000, description="Rules are tried in this order; the first match opens.")
    applies_from: datetime | None = Field(None, description="Feedback received before this never opens a case.")


class BacktestIn(BaseModel):
    condition: dict[str, Any]
    start: datetime
    end: datetime


class StatusIn(BaseModel):
    status: CaseStatus
    resolution: str | None = Field(None, max_length=10_000)


class AssignIn(BaseModel):
    owner_id: int | None


class BulkAssignIn(BaseModel):
    case_ids: list[int] = Field(min_length=1, max_length=500)
    owner_id: int | None


class NoteIn(BaseModel):
    body: str = Field(min_length=1, max_length=10_000)


class RootCauseIn(BaseModel):
    topic: str | None


class PriorityIn(BaseModel):
    priority: Priority


class ContactedIn(BaseModel):
    at: datetime | None = None


class CompensationIn(BaseModel):
    kind: CompensationKind
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3)
    note: str | None = Field(None, max_length=2000)


class LimitIn(BaseModel):
    role: Role
    currency: str = Field(min_length=3, max_length=3)
    max_per_case: Decimal | None = Field(None, gt=0, max_digits=12, decimal_places=2)


class ManualCaseIn(BaseModel):
    feedback_id: int
    priority: Priority = Priority.NORMAL
    sla_policy_id: int | None = None


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    status: CaseStatus
    priority: Priority
    feedback_id: int | None
    rule_id: int | None
    customer_id: int | None
    team_id: int | None
    owner_id: int | None
    escalation: EscalationLevel
    escalated_to_id: int | None
    opened_at: datetime
    first_contact_due_at: datetime | None
    resolution_due_at: datetime | None
    customer_contacted_at: datetime | None
    first_contact_breached_at: datetime | None
    resolution_breached_at: datetime | None
    paused_at: datetime | None
    root_cause: str | None
    resolution: str | None
    resolved_at: datetime | None
    closed_at: datetime | None


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int
    page: int
    size: int


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor_id: int | None
    kind: str
    data: dict[str, Any]


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    author_id: int | None
    body: str
    created_at: datetime


class CompensationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: CompensationKind
    amount: Decimal
    currency: str
    note: str | None
    given_by: int | None
    given_at: datetime


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    notes: list[NoteOut]
    compensations: list[CompensationOut]


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    condition: dict[str, Any]
    priority: Priority
    sla_policy_id: int | None
    team_id: int | None
    assignment: Assignment
    assignee_id: int | None
    is_active: bool
    position: int
    applies_from: datetime
    cases_opened: int = 0


class BacktestOut(BaseModel):
    start: datetime
    end: datetime
    matched: int
    weeks: list[tuple[datetime, int]]
    sample_feedback_ids: list[int]
