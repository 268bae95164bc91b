"""Statuses, priorities and the other closed lists of the cases domain."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # for the customer: the resolution clock is paused
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.WAITING)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Assignment(StrEnum):
    """How a rule picks the owner of the cases it opens."""

    ROUND_ROBIN = "round_robin"  # the team's active agents in turn
    AGENT_SUPERVISOR = "agent_supervisor"  # the supervisor of the agent the feedback names
    NAMED_USER = "named_user"
    TEAM_QUEUE = "team_queue"  # nobody yet: the supervisor assigns from the queue


class EscalationLevel(StrEnum):
    OWNER = "owner"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"


ESCALATION_ORDER = (EscalationLevel.OWNER, EscalationLevel.SUPERVISOR, EscalationLevel.MANAGER)


class CaseEventKind(StrEnum):
    """One line of a case's timeline."""

    OPENED = "opened"
    STATUS = "status"
    ASSIGNED = "assigned"
    PRIORITY = "priority"
    ESCALATED = "escalated"
    NOTE = "note"
    ROOT_CAUSE = "root_cause"
    RESOLUTION = "resolution"
    COMPENSATION = "compensation"
    CONTACTED = "contacted"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    REOPENED = "reopened"


class SlaKind(StrEnum):
    FIRST_CONTACT = "first_contact"
    RESOLUTION = "resolution"


class CompensationKind(StrEnum):
    REFUND = "refund"
    VOUCHER = "voucher"
    DISCOUNT = "discount"
    GIFT = "gift"
    OTHER = "other"
