"""The cases pages in a real browser: a supervisor opens the team queue, assigns a case with the bulk form, opens
it, adds a note and sees it in the timeline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from pulso.accounts.enums import Role
from pulso.accounts.models import User
from pulso.accounts.schemas import Principal
from pulso.cases import service
from pulso.cases.enums import Priority
from pulso.cases.models import Case
from pulso.cases.schemas import PolicyIn, TargetIn
from pulso.feedback.models import Feedback
from pulso.kit.db import utcnow
from pulso.kit.errors import Conflict
from tests.browser.conftest import SUPERVISOR_EMAIL, LiveServer, Tab

POLICY = "Detractores"


@dataclass(frozen=True)
class QueueData:
    agent_id: int
    agent_name: str
    opened: int


@pytest.fixture(scope="module")
def queue_data(live_server: LiveServer) -> QueueData:
    """The demo has no cases (and its rules cursor has read all its feedback): the supervisor opens cases by hand
    on their team's detractors of the last 30 days, into the team queue, with the Mexican calendar's SLA."""
    runtime = live_server.runtime
    now = utcnow()
    with runtime.sessions() as session, session.begin():
        supervisor = session.scalars(select(User).where(User.email == SUPERVISOR_EMAIL)).one()
        agent = session.scalars(select(User).where(User.email == live_server.emails["agent"])).one()
        principal = Principal(role=Role.SUPERVISOR, user_id=supervisor.id, team_id=supervisor.team_id)
        policy = next((p for p, _ in service.policies(session) if p.name == POLICY), None)
        if policy is None:
            calendar = service.preset_calendar(session, "MX")
            policy = service.save_policy(
                session,
                Principal(role=Role.CX_MANAGER),
                PolicyIn(
                    name=POLICY,
                    calendar_id=calendar.id,
                    targets=[TargetIn(priority=Priority.HIGH, first_contact_minutes=240, resolution_minutes=2400)],
                ),
            )
        detractors = session.scalars(
            select(Feedback.id)
            .where(
                Feedback.team_id == supervisor.team_id,
                Feedback.nps <= 6,
                Feedback.received_at >= now - timedelta(days=30),
            )
            .order_by(Feedback.id)
            .limit(12)
        ).all()
        for feedback_id in detractors:
            try:
                with session.begin_nested():
                    service.open_manual_case(
                        session, principal, feedback_id, priority=Priority.HIGH, sla_policy_id=policy.id, now=now
                    )
            except Conflict:
                pass  # opened by an earlier run of this module
        agent_id, agent_name = agent.id, agent.name
    with runtime.sessions() as session:
        opened = session.scalar(select(func.count()).select_from(Case).where(Case.owner_id.is_(None))) or 0
    assert opened > 0, "the demo should have detractors in the supervisor's team"
    return QueueData(agent_id, agent_name, opened)


def test_a_supervisor_assigns_a_case_from_the_queue_and_adds_a_note(tab: Tab, queue_data: QueueData) -> None:
    page = tab.page
    tab.sign_in(SUPERVISOR_EMAIL)
    tab.go("/cases?owner=none")
    expect(page.locator("h1")).to_have_text("Cola del equipo")
    rows = page.locator("table.case-table tbody tr")
    expect(rows.first).to_be_visible()
    # Each row counts down to its next deadline, written by the server and kept fresh by cases.js.
    expect(rows.first.locator("time.due")).to_have_text(re.compile(r"^(en|vencido hace) \d"))
    tab.shot("cases-01-queue")

    first = rows.first
    case_id = first.get_attribute("data-case")
    assert case_id
    first.locator("input[data-case-check]").check()
    expect(page.locator("[data-selected-count]")).to_have_text("Marcados: 1")
    page.locator("#bulk-owner").select_option(str(queue_data.agent_id))
    with page.expect_navigation():
        page.locator('#bulk-assign button[type="submit"]').click()
    expect(page.locator(".flash-ok")).to_have_text(f"Casos asignados a {queue_data.agent_name}: 1.")
    expect(page).to_have_url(re.compile(r"/cases\?owner=none$"))  # back to the same queue
    expect(page.locator(f'tr[data-case="{case_id}"]')).to_have_count(0)  # no longer unassigned

    tab.go(f"/cases/{case_id}")
    expect(page.locator("[data-owner]")).to_have_text(queue_data.agent_name)
    expect(page.locator("#timeline")).to_contain_text(f"Asignado a {queue_data.agent_name}")
    note = "Llamé al cliente; vuelvo a intentarlo mañana a las 10."
    page.locator("#f-body").fill(note)
    with page.expect_navigation():
        page.locator(".note-form button[type='submit']").click()
    expect(page.locator(".flash-ok")).to_have_text("Nota añadida.")
    first_item = page.locator("ol.timeline li").first
    expect(first_item).to_have_attribute("data-kind", "note")
    expect(first_item.locator(".note-body")).to_have_text(note)
    expect(first_item.locator(".timeline-who")).to_have_text("Laura Méndez Ruiz")
    # Only resolving asks for the resolution: its field appears when that status is chosen.
    expect(page.locator("[data-resolution-field]")).to_be_hidden()
    page.locator("[data-status-select]").select_option("resolved")
    expect(page.locator("[data-resolution-field]")).to_be_visible()
    tab.shot("cases-02-case-with-note")
    tab.assert_no_js_errors()
