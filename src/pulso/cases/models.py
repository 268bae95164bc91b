"""Tables of the cases domain: rules, calendars, SLA policies, cases and everything on their timeline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pulso.accounts.enums import Role
from pulso.cases.enums import Assignment, CaseEventKind, CaseStatus, CompensationKind, EscalationLevel, Priority
from pulso.kit.db import Base, UtcDateTime, utcnow
from pulso.kit.enums import enum_column_type


class CaseCalendar(Base):
    """Business hours with a time zone and holidays: a country preset's holidays plus the organisation's own."""

    __tablename__ = "case_calendars"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))  # ES, MX, AR, CO, CL: national holidays from `holidays`
    timezone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"mon": ["09:00-18:00"], ...}
    extra_holidays: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SlaPolicy(Base):
    """Targets counted in business hours of one calendar, per priority and (optionally) customer segment."""

    __tablename__ = "case_sla_policies"
    __table_args__ = (CheckConstraint("warn_percent BETWEEN 1 AND 99", name="warn_percent_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("case_calendars.id", ondelete="RESTRICT"))
    # Share of a target elapsed at which the case escalates to the supervisor, before it breaches.
    warn_percent: Mapped[int] = mapped_column(Integer, default=80)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SlaTarget(Base):
    __tablename__ = "case_sla_targets"
    __table_args__ = (
        UniqueConstraint("policy_id", "priority", "segment"),
        CheckConstraint("first_contact_minutes > 0 AND resolution_minutes > 0", name="positive_targets"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("case_sla_policies.id", ondelete="CASCADE"), index=True)
    priority: Mapped[Priority] = mapped_column(enum_column_type(Priority))
    segment: Mapped[str | None] = mapped_column(String(64))  # None: every segment without its own row
    first_contact_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)


class CaseRule(Base):
    """A condition over feedback fields that opens a case; active rules are tried in `position` order."""

    __tablename__ = "case_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[dict[str, Any]] = mapped_column(JSON)  # logic.Condition as data
    priority: Mapped[Priority] = mapped_column(enum_column_type(Priority), default=Priority.NORMAL)
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("case_sla_policies.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))  # None: the feedback's
    assignment: Mapped[Assignment] = mapped_column(enum_column_type(Assignment), default=Assignment.ROUND_ROBIN)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Feedback received before this instant never opens a case by this rule (history is for back-tests).
    applies_from: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Case(Base):
    """One follow-up of one unhappy customer; at most one per feedback (the unique key makes opening idempotent)."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_open_due", "status", "resolution_due_at"),
        Index("ix_cases_team_status", "team_id", "status"),
        Index("ix_cases_owner_status", "owner_id", "status"),
        Index("ix_cases_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("feedback.id", ondelete="SET NULL"), unique=True
    )
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("case_rules.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[CaseStatus] = mapped_column(enum_column_type(CaseStatus), default=CaseStatus.NEW)
    priority: Mapped[Priority] = mapped_column(enum_column_type(Priority), default=Priority.NORMAL)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("case_sla_policies.id", ondelete="SET NULL"))
    escalation: Mapped[EscalationLevel] = mapped_column(
        enum_column_type(EscalationLevel), default=EscalationLevel.OWNER
    )
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The SLA clock (logic.SlaClock), recomputed when the case leaves "waiting for customer".
    first_contact_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_contact_warn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution_warn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)  # business seconds spent waiting, so far
    customer_contacted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_contact_breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution_breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Business seconds from opening to first contact and to resolution (pauses left out), for the dashboard.
    first_contact_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    root_cause: Mapped[str | None] = mapped_column(String(64))  # a taxonomy topic key
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class CaseEvent(Base):
    """The audit timeline: who changed what on a case, and when (None: a rule or the SLA job)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[CaseEventKind] = mapped_column(enum_column_type(CaseEventKind))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CaseNote(Base):
    """An internal note: never shown to the customer."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Compensation(Base):
    __tablename__ = "case_compensations"
    __table_args__ = (CheckConstraint("amount > 0", name="positive_amount"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CompensationKind] = mapped_column(enum_column_type(CompensationKind))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(Text)
    given_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CompensationLimit(Base):
    """The most one person of a role may give on one case, per currency; no row: that role may give none."""

    __tablename__ = "case_compensation_limits"
    __table_args__ = (UniqueConstraint("role", "currency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column_type(Role))
    currency: Mapped[str] = mapped_column(String(3))
    max_per_case: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class RoundRobinCursor(Base):
    """The last user a team's round robin gave a case to."""

    __tablename__ = "case_round_robin"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    last_user_id: Mapped[int | None] = mapped_column(Integer)


class RuleCursor(Base):
    """How far the rules have read the feedback in (change version, id) order (see kit.changes).

    `feedback_id` None: every row of `version` is read; else the rows of `version` up to that id (one
    import's transaction gives thousands of rows the same version, more than one run reads).
    """

    __tablename__ = "case_rule_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    feedback_id: Mapped[int | None] = mapped_column(BigInteger)
