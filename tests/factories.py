"""Typed factories for test data (CONVENTIONS: `make_*`)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from pulso.accounts.enums import Role, TeamKind
from pulso.accounts.models import Organization, Team, User
from pulso.customers.models import Customer
from pulso.feedback.enums import FeedbackSource
from pulso.feedback.models import Feedback
from pulso.interactions.enums import Channel, InteractionStatus
from pulso.interactions.models import Interaction
from pulso.journeys.models import Journey, Stage, Touchpoint

_seq = count(1)


def make_org(session: Session, *, timezone: str = "UTC") -> Organization:
    org = Organization(name="Test SA", timezone=timezone)
    session.add(org)
    session.flush()
    return org


def make_team(session: Session, name: str | None = None) -> Team:
    team = Team(name=name or f"team-{next(_seq)}", kind=TeamKind.SERVICE)
    session.add(team)
    session.flush()
    return team


def make_agent(session: Session, team: Team) -> User:
    n = next(_seq)
    user = User(email=f"agent{n}@example.com", name=f"Agent {n}", role=Role.AGENT, team_id=team.id, code=f"AG-{n}")
    session.add(user)
    session.flush()
    return user


def make_touchpoint(session: Session, code: str | None = None) -> Touchpoint:
    journey = Journey(name="Compra")
    session.add(journey)
    session.flush()
    stage = Stage(journey_id=journey.id, position=next(_seq), name="Pago")
    session.add(stage)
    session.flush()
    tp = Touchpoint(stage_id=stage.id, code=code or f"TP-{next(_seq)}", name="Checkout", channel=Channel.WEB)
    session.add(tp)
    session.flush()
    return tp


def make_customer(session: Session, *, segment: str = "Premium", region: str = "CDMX") -> Customer:
    customer = Customer(external_id=f"C-{next(_seq)}", segment=segment, region=region)
    session.add(customer)
    session.flush()
    return customer


def make_feedback(session: Session, *, received_at: datetime | None = None, **values: Any) -> Feedback:
    values.setdefault("source", FeedbackSource.SURVEY)
    values.setdefault("external_id", f"F-{next(_seq)}")
    row = Feedback(received_at=received_at or datetime(2026, 1, 5, 12, tzinfo=UTC), **values)
    session.add(row)
    session.flush()
    return row


def make_interaction(session: Session, *, opened_at: datetime, **values: Any) -> Interaction:
    values.setdefault("external_id", f"I-{next(_seq)}")
    values.setdefault("status", InteractionStatus.RESOLVED)
    row = Interaction(opened_at=opened_at, **values)
    session.add(row)
    session.flush()
    return row
