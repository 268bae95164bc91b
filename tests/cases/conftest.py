"""Fixtures of the cases tests: an organisation with a team, its people, a calendar and an SLA policy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.models import Team, User
from pulso.accounts.schemas import Principal
from pulso.cases import service
from pulso.cases.enums import Assignment, Priority
from pulso.cases.models import CaseRule
from pulso.cases.schemas import CalendarIn, PolicyIn, RuleIn, TargetIn
from tests.factories import make_org

# A Monday, 10:00 UTC: inside the 24/7 test calendar and the weekday one alike.
MONDAY = datetime(2026, 3, 2, 10, tzinfo=UTC)
MANAGER = Principal(role=Role.CX_MANAGER)


@dataclass
class Org:
    team: Team
    other_team: Team
    agents: list[User]
    supervisor: User
    manager: User
    other_agent: User
    calendar_id: int
    policy_id: int


def _user(session: Session, name: str, role: Role, team: Team | None) -> User:
    user = User(email=f"{name}@example.com", name=name.title(), role=role, team_id=team.id if team else None)
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def org(session: Session) -> Org:
    with session.begin():
        make_org(session)
        parent = Team(name="Servicio", kind="service")
        session.add(parent)
        session.flush()
        team = Team(name="Postventa", kind="service", parent_id=parent.id)
        other = Team(name="Ventas", kind="sales")
        session.add_all([team, other])
        session.flush()
        agents = [_user(session, f"agent{i}", Role.AGENT, team) for i in range(3)]
        supervisor = _user(session, "sup", Role.SUPERVISOR, team)
        head = _user(session, "head", Role.SUPERVISOR, parent)
        other_agent = _user(session, "other", Role.AGENT, other)
        _user(session, "cxm", Role.CX_MANAGER, None)
        calendar = service.save_calendar(
            session,
            MANAGER,
            CalendarIn(
                name="24/7",
                timezone="UTC",
                hours={d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            ),
        )
        policy = service.save_policy(
            session,
            MANAGER,
            PolicyIn(
                name="Estándar",
                calendar_id=calendar.id,
                warn_percent=50,
                targets=[
                    TargetIn(priority=Priority.HIGH, first_contact_minutes=60, resolution_minutes=240),
                    TargetIn(
                        priority=Priority.HIGH, segment="Premium", first_contact_minutes=30, resolution_minutes=120
                    ),
                    TargetIn(priority=Priority.NORMAL, first_contact_minutes=480, resolution_minutes=2880),
                ],
            ),
        )
        return Org(team, other, agents, supervisor, head, other_agent, calendar.id, policy.id)


def add_rule(session: Session, org: Org, name: str, condition: dict[str, Any], **values: Any) -> CaseRule:
    values.setdefault("priority", Priority.HIGH)
    values.setdefault("sla_policy_id", org.policy_id)
    values.setdefault("team_id", org.team.id)
    values.setdefault("assignment", Assignment.ROUND_ROBIN)
    values.setdefault("applies_from", datetime(2020, 1, 1, tzinfo=UTC))
    return service.save_rule(session, MANAGER, RuleIn(name=name, condition=condition, **values), now=MONDAY)


DETRACTOR = {"field": "nps", "op": "lte", "value": 6}


@pytest.fixture(autouse=True)
def _rules_run_by_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue runs jobs inline here: saving a rule would run the rules at once, with the wall clock.
    These tests run them themselves, at a chosen instant (test_tasks checks the queueing)."""
    monkeypatch.setattr(service, "_request_rules", lambda: None)


@contextmanager
def tx(session: Session) -> Iterator[None]:
    """A transaction, after ending the one a read outside of one began (the reads between steps)."""
    if session.in_transaction():
        session.commit()
    with session.begin():
        yield
