"""The cases pages through the app, on SQLite and PostgreSQL: the queue per role, bulk assignment, the case
page's timeline and forms, the rule editor and its back-test, calendars and policies, the dashboard, CSRF."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.cases import service
from pulso.cases.enums import Assignment, CaseStatus, CompensationKind, Priority
from pulso.cases.models import Case, CaseCalendar, CaseNote, CaseRule, Compensation, SlaPolicy
from pulso.cases.schemas import CalendarIn, PolicyIn, RuleIn, TargetIn
from pulso.kit.db import utcnow
from tests.cases.conftest import tx
from tests.factories import make_customer, make_feedback
from tests.web import conftest as web
from tests.web.conftest import World, csrf_from

# The page fixtures of tests/web (an app, a user per role, browsers signed in as each).
app, browser, world = web.app, web.browser, web.world

MANAGER = Principal(role=Role.CX_MANAGER)
Browser = Callable[[Role], TestClient]


@dataclass(frozen=True)
class Cases:
    mine: int  # the agent's, in the supervisor's team
    queued: int  # the supervisor's team, nobody's yet
    theirs: int  # the other team's
    customer: int
    rule: int
    policy: int


@pytest.fixture
def cases(session: Session, world: World) -> Cases:
    """Three detractors opened as cases by one rule (team queue) a minute ago; the first given to the agent."""
    now = utcnow()
    with tx(session):
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
                warn_percent=80,
                targets=[TargetIn(priority=Priority.HIGH, first_contact_minutes=120, resolution_minutes=2880)],
            ),
        )
        rule = service.save_rule(
            session,
            MANAGER,
            RuleIn(
                name="Detractores",
                condition={"field": "nps", "op": "lte", "value": 6},
                priority=Priority.HIGH,
                sla_policy_id=policy.id,
                assignment=Assignment.TEAM_QUEUE,
                applies_from=now - timedelta(days=60),
            ),
            now=now,
        )
        customer = make_customer(session, segment="Premium")
        customer.name = "Lucía Fernández"
        customer.is_key_account = True
        received = now - timedelta(days=2)
        mine = make_feedback(
            session,
            received_at=received,
            customer_id=customer.id,
            team_id=world.team_id,
            nps=2,
            comment="El pedido llegó tarde y nadie respondió",
        )
        make_feedback(session, received_at=received, team_id=world.team_id, nps=3)
        make_feedback(session, received_at=received, team_id=world.other_team_id, nps=1)
        make_feedback(session, received_at=received, team_id=world.team_id, nps=9)
    with tx(session):
        run = service.run_rules(session, now=now - timedelta(minutes=1), text_analysis=False)
    assert len(run.opened) == 3
    by_feedback = {c.feedback_id: c.id for c in session.scalars(select(Case))}
    ids = sorted(by_feedback.values())
    with tx(session):
        service.assign_case(session, MANAGER, by_feedback[mine.id], world.user_ids[Role.AGENT], now=now)
    return Cases(by_feedback[mine.id], ids[1], ids[2], customer.id, rule.id, policy.id)


def _listed(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr data-case="(\d+)"', html)}


def _post(client: TestClient, path: str, data: Mapping[str, str | list[str]]) -> httpx.Response:
    token = csrf_from(client.get("/account").text)
    response: httpx.Response = client.post(path, data={**data, "csrf_token": token})
    return response


def _case(session: Session, case_id: int) -> Case:
    if session.in_transaction():
        session.commit()
    with session.begin():
        row = session.get(Case, case_id)
        assert row is not None
        session.expunge(row)
        return row


# --------------------------------------------------------------------------- the queue


def test_the_queue_lists_what_each_role_may_see(browser: Browser, cases: Cases) -> None:
    everything = {cases.mine, cases.queued, cases.theirs}
    expected = {
        Role.ADMIN: everything,
        Role.CX_MANAGER: everything,
        Role.SUPERVISOR: {cases.mine, cases.queued},
        Role.AGENT: {cases.mine},
    }
    for role, wanted in expected.items():
        response = browser(role).get("/cases")
        assert response.status_code == 200, role
        assert _listed(response.text) == wanted, role
    assert browser(Role.VIEWER).get("/cases").status_code == 403


def test_the_queue_shows_a_countdown_and_its_titles(browser: Browser, cases: Cases) -> None:
    page = browser(Role.AGENT).get("/cases").text
    assert "Mis casos" in page
    # First contact is due two hours after the opening (24/7 calendar): “in 1 h 59 min” or so.
    match = re.search(r'<time datetime="([^"]+)" class="due due-running" data-due="running"[^>]*>([^<]+)</time>', page)
    assert match, page
    assert re.fullmatch(r"en 1 h 5\d min", match.group(2)), match.group(2)
    assert "Lucía Fernández" in page


def test_the_queue_filters_and_its_csv(browser: Browser, cases: Cases) -> None:
    supervisor = browser(Role.SUPERVISOR)
    assert _listed(supervisor.get("/cases?owner=none").text) == {cases.queued}
    assert _listed(supervisor.get("/cases?status=resolved").text) == set()
    assert _listed(supervisor.get("/cases?q=zzz").text) == set()
    assert supervisor.get("/cases?priority=nope").status_code == 422
    response = supervisor.get("/cases.csv?owner=none")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [int(r["id"]) for r in rows] == [cases.queued]
    assert rows[0]["next_due"] == "first_contact"
    assert rows[0]["due_state"] == "running"
    # An HTMX request gets only the results.
    fragment = supervisor.get("/cases", headers={"hx-request": "true", "hx-target": "case-results"}).text
    assert "<html" not in fragment
    assert 'data-case="' in fragment


def test_bulk_assign_gives_the_cases_and_refuses_another_teams(
    browser: Browser, session: Session, world: World, cases: Cases
) -> None:
    supervisor = browser(Role.SUPERVISOR)
    agent_id = world.user_ids[Role.AGENT]
    response = _post(
        supervisor,
        "/cases/assign",
        {"case_id": [str(cases.queued)], "owner": str(agent_id), "next": "/cases?owner=none"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/cases?owner=none"
    assert "Casos asignados a Agent Pérez: 1." in supervisor.get("/cases").text
    assert _case(session, cases.queued).owner_id == agent_id
    # One case of another team: nothing is assigned, not even the first.
    response = _post(supervisor, "/cases/assign", {"case_id": [str(cases.mine), str(cases.theirs)], "owner": "none"})
    assert response.status_code == 303
    page = supervisor.get("/cases").text
    assert "No se asignó nada" in page
    assert _case(session, cases.mine).owner_id == agent_id
    assert _case(session, cases.theirs).owner_id is None
    # Agents do not bulk-assign.
    assert (
        _post(browser(Role.AGENT), "/cases/assign", {"case_id": [str(cases.mine)], "owner": "none"}).status_code == 403
    )


def test_bulk_assign_needs_cases_and_a_person(browser: Browser, cases: Cases) -> None:
    supervisor = browser(Role.SUPERVISOR)
    _post(supervisor, "/cases/assign", {"owner": "none"})
    assert "Elija al menos un caso." in supervisor.get("/cases").text
    _post(supervisor, "/cases/assign", {"case_id": [str(cases.queued)], "owner": ""})
    assert "Elija a la persona que recibe los casos." in supervisor.get("/cases").text


# --------------------------------------------------------------------------- one case


def test_the_case_page_shows_the_customer_and_the_timeline(browser: Browser, cases: Cases) -> None:
    agent = browser(Role.AGENT)
    page = agent.get(f"/cases/{cases.mine}").text
    assert "Abierto por la regla «Detractores»" in page
    assert "Asignado a Agent Pérez" in page
    assert "El pedido llegó tarde y nadie respondió" in page
    assert "Lucía Fernández" in page
    assert "Cuenta clave" in page
    assert 'data-clock="first_contact"' in page
    # The agent may not reach the other cases, nor a viewer any.
    assert agent.get(f"/cases/{cases.queued}").status_code == 404
    assert browser(Role.VIEWER).get(f"/cases/{cases.mine}").status_code == 403


def test_the_case_forms_note_contacted_status_root_cause(browser: Browser, session: Session, cases: Cases) -> None:
    agent = browser(Role.AGENT)
    url = f"/cases/{cases.mine}"
    assert _post(agent, f"{url}/notes", {"body": "Llamé y no contestó"}).status_code == 303
    page = agent.get(url).text
    assert "Nota añadida." in page
    assert '<blockquote class="note-body">Llamé y no contestó</blockquote>' in page
    empty = _post(agent, f"{url}/notes", {"body": "   "})
    assert empty.status_code == 422
    assert 'id="e-body" class="error-text">Escriba la nota.' in empty.text

    assert _post(agent, f"{url}/contacted", {"at": ""}).status_code == 303
    assert _case(session, cases.mine).status is CaseStatus.IN_PROGRESS
    assert "Cliente contactado" in agent.get(url).text

    refused = _post(agent, f"{url}/status", {"status": "resolved", "resolution": ""})
    assert refused.status_code == 422
    assert 'id="e-resolution" class="error-text">Indique cómo se resolvió el caso.' in refused.text

    bad = _post(agent, f"{url}/root-cause", {"root_cause": "no.such.topic"})
    assert bad.status_code == 422
    assert 'id="e-root_cause"' in bad.text
    assert _post(agent, f"{url}/root-cause", {"root_cause": "delivery.delay"}).status_code == 303
    assert "Causa raíz: Retrasos en la entrega" in agent.get(url).text

    done = _post(agent, f"{url}/status", {"status": "resolved", "resolution": "Reembolso del envío"})
    assert done.status_code == 303
    case = _case(session, cases.mine)
    assert (case.status, case.resolution, case.root_cause) == (
        CaseStatus.RESOLVED,
        "Reembolso del envío",
        "delivery.delay",
    )
    page = agent.get(url).text
    assert "Estado: En curso → Resuelto" in page
    # Resolved: the next statuses are closing or reopening.
    assert '<option value="closed"' in page
    assert '<option value="in_progress"' in page


def test_compensation_over_the_limit_is_shown_by_the_amount(browser: Browser, session: Session, cases: Cases) -> None:
    with tx(session):
        service.set_compensation_limit(session, MANAGER, role=Role.AGENT, currency="MXN", max_per_case="100")
    agent = browser(Role.AGENT)
    url = f"/cases/{cases.mine}"
    assert "100,00 MXN" in agent.get(url).text  # the role's limit, shown by the form
    over = _post(agent, f"{url}/compensations", {"kind": "voucher", "amount": "150", "currency": "MXN", "note": ""})
    assert over.status_code == 422
    assert (
        'id="e-amount" class="error-text">Por encima del límite de su rol: como máximo 100,00 MXN por caso' in over.text
    )
    no_limit = _post(agent, f"{url}/compensations", {"kind": "voucher", "amount": "10", "currency": "EUR"})
    assert "no hay límite" in no_limit.text
    bad = _post(agent, f"{url}/compensations", {"kind": "voucher", "amount": "1,234", "currency": "MXN"})
    assert 'id="e-amount" class="error-text">Como máximo dos decimales.' in bad.text
    assert (
        _post(agent, f"{url}/compensations", {"kind": "voucher", "amount": "80", "currency": "mxn"}).status_code == 303
    )
    with tx(session):
        given = session.scalars(select(Compensation)).all()
    assert [(c.amount, c.currency) for c in given] == [(Decimal("80.00"), "MXN")]
    assert "Compensación entregada: Vale, 80,00 MXN" in agent.get(url).text


def test_leads_assign_change_priority_and_escalate(
    browser: Browser, session: Session, world: World, cases: Cases
) -> None:
    supervisor = browser(Role.SUPERVISOR)
    url = f"/cases/{cases.queued}"
    agent_id = world.user_ids[Role.AGENT]
    assert _post(supervisor, f"{url}/assign", {"owner": str(agent_id)}).status_code == 303
    assert _post(supervisor, f"{url}/priority", {"priority": "urgent"}).status_code == 303
    assert _post(supervisor, f"{url}/escalate", {}).status_code == 303
    case = _case(session, cases.queued)
    assert (case.owner_id, case.priority, case.escalation.value) == (agent_id, Priority.URGENT, "supervisor")
    page = supervisor.get(url).text
    assert "Prioridad: Alta → Urgente" in page
    assert "Escalado al nivel «Supervisor»" in page
    # Agents neither assign nor change the priority.
    agent = browser(Role.AGENT)
    assert _post(agent, f"/cases/{cases.mine}/assign", {"owner": "none"}).status_code == 403
    assert _post(agent, f"/cases/{cases.mine}/priority", {"priority": "low"}).status_code == 403


def test_a_form_without_its_csrf_token_is_refused(browser: Browser, session: Session, cases: Cases) -> None:
    agent = browser(Role.AGENT)
    response = agent.post(f"/cases/{cases.mine}/notes", data={"body": "sin token"})
    assert response.status_code == 403
    response = agent.post(f"/cases/{cases.mine}/notes", data={"body": "token falso", "csrf_token": "x"})
    assert response.status_code == 403
    with tx(session):
        assert session.scalar(select(func.count()).select_from(CaseNote)) == 0


# --------------------------------------------------------------------------- rules


def _rule_form(**changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "name": "Cuenta clave enfadada",
        "mode": "all",
        "field_0": "nps",
        "op_0": "lte",
        "value_0": "6",
        "field_1": "key_account",
        "op_1": "is",
        "value_1": "true",
        "field_2": "",
        "priority": "urgent",
        "sla_policy_id": "",
        "team_id": "",
        "assignment": "team_queue",
        "assignee_id": "",
        "position": "0",
        "is_active": "1",
        "applies_from": "",
        "action": "save",
    }
    form.update(changes)
    return form


def test_the_rule_editor_saves_a_rule(browser: Browser, session: Session, cases: Cases) -> None:
    manager = browser(Role.CX_MANAGER)
    assert manager.get("/cases/rules/new").status_code == 200
    response = _post(manager, "/cases/rules/new", _rule_form(sla_policy_id=str(cases.policy)))
    assert response.status_code == 303, response.text
    with tx(session):
        rule = session.scalars(select(CaseRule).where(CaseRule.name == "Cuenta clave enfadada")).one()
        assert rule.condition == {
            "all": [{"field": "nps", "op": "lte", "value": 6}, {"field": "key_account", "op": "is", "value": True}]
        }
        assert (rule.priority, rule.assignment, rule.sla_policy_id) == (
            Priority.URGENT,
            Assignment.TEAM_QUEUE,
            cases.policy,
        )
    listing = manager.get("/cases/rules").text
    assert "Regla «Cuenta clave enfadada» creada." in listing
    assert "NPS ≤ 6 y cuenta clave" in listing
    # The editor opens it again, rows and all; a change of the rows saves.
    page = manager.get(f"/cases/rules/{rule.id}").text
    assert 'name="field_1"' in page
    assert '<option value="key_account" selected>' in page
    changed = _rule_form(
        name="Cuenta clave enfadada",
        mode="any",
        field_1="channel",
        op_1="in",
        value_1=["phone", "email"],
    )
    assert _post(manager, f"/cases/rules/{rule.id}", changed).status_code == 303
    assert "NPS ≤ 6 o Canal es uno de Correo electrónico, Teléfono" in manager.get("/cases/rules").text


def test_the_rule_editor_shows_errors_by_their_field(browser: Browser, cases: Cases) -> None:
    manager = browser(Role.CX_MANAGER)
    out_of_range = _post(manager, "/cases/rules/new", _rule_form(value_0="11"))
    assert out_of_range.status_code == 422
    assert 'id="r0-e-value" class="error-text">Entre 0 y 10.' in out_of_range.text
    not_a_number = _post(manager, "/cases/rules/new", _rule_form(value_0="seis"))
    assert 'id="r0-e-value" class="error-text">Escriba un número entero.' in not_a_number.text
    taken = _post(manager, "/cases/rules/new", _rule_form(name="Detractores"))
    assert 'id="e-name" class="error-text">Ya hay una regla con este nombre.' in taken.text
    nameless = _post(manager, "/cases/rules/new", _rule_form(name=""))
    assert 'id="e-name" class="error-text">Obligatorio.' in nameless.text
    empty = _post(manager, "/cases/rules/new", _rule_form(field_0="", field_1=""))
    assert 'id="e-condition" role="alert">Añada al menos una condición.' in empty.text
    named = _post(manager, "/cases/rules/new", _rule_form(assignment="named_user"))
    assert 'id="e-assignee_id" class="error-text">Elija a la persona que recibe los casos.' in named.text
    # Without scripts, “add a condition” comes back with the rows as they were and one more.
    more = _post(manager, "/cases/rules/new", _rule_form(action="add_row", field_2="channel"))
    assert more.status_code == 200
    assert 'name="field_3"' in more.text
    assert '<option value="channel" selected>' in more.text


def test_the_backtest_counts_without_saving(browser: Browser, session: Session, cases: Cases) -> None:
    manager = browser(Role.CX_MANAGER)
    response = _post(manager, "/cases/rules/new", _rule_form(field_1="", action="backtest"))
    assert response.status_code == 200
    assert 'data-matched="3"' in response.text
    assert "Esta regla habría abierto 3 casos en los últimos 30 días." in response.text
    key_accounts = _post(manager, "/cases/rules/new", _rule_form(action="backtest"))
    assert 'data-matched="1"' in key_accounts.text
    with tx(session):
        assert session.scalar(select(func.count()).select_from(CaseRule)) == 1


def test_supervisors_read_the_rules_and_managers_delete(browser: Browser, session: Session, cases: Cases) -> None:
    supervisor = browser(Role.SUPERVISOR)
    listing = supervisor.get("/cases/rules").text
    assert "Detractores" in listing
    assert "NPS ≤ 6" in listing
    page = supervisor.get(f"/cases/rules/{cases.rule}").text
    assert '<fieldset class="plain" disabled>' in page
    assert 'value="backtest"' not in page
    assert supervisor.get("/cases/rules/new").status_code == 403
    assert _post(supervisor, f"/cases/rules/{cases.rule}", _rule_form()).status_code == 403
    assert _post(supervisor, f"/cases/rules/{cases.rule}/delete", {}).status_code == 403
    manager = browser(Role.CX_MANAGER)
    assert _post(manager, f"/cases/rules/{cases.rule}/delete", {}).status_code == 303
    with tx(session):
        assert session.scalar(select(func.count()).select_from(CaseRule)) == 0
        assert session.scalar(select(func.count()).select_from(Case)) == 3  # the cases stay


# --------------------------------------------------------------------------- calendars, policies, limits


def test_calendars_policies_and_limits(browser: Browser, session: Session, cases: Cases) -> None:
    manager = browser(Role.CX_MANAGER)
    assert _post(manager, "/cases/sla/calendars/preset", {"country": "MX"}).status_code == 303
    page = manager.get("/cases/sla").text
    assert "Calendario «Mexico» listo." in page
    assert "America/Mexico_City" in page
    bad = _post(
        manager,
        "/cases/sla/calendars",
        {"name": "Oficina", "timezone": "Europe/Madrid", "hours_mon": "9-14", "extra_holidays": "2026-13-01"},
    )
    assert bad.status_code == 422
    assert 'id="e-hours_mon" class="error-text">Escriba las horas como HH:MM-HH:MM' in bad.text
    assert 'id="e-extra_holidays" class="error-text">«2026-13-01» no es una fecha' in bad.text
    good = {
        "name": "Oficina Madrid",
        "timezone": "Europe/Madrid",
        "country": "ES",
        "hours_mon": "09:00-14:00, 15:00-18:00",
        "hours_fri": "08:00-15:00",
        "extra_holidays": "2026-12-24\n2026-12-31",
    }
    assert _post(manager, "/cases/sla/calendars", good).status_code == 303
    with tx(session):
        calendar = session.scalars(select(CaseCalendar).where(CaseCalendar.name == "Oficina Madrid")).one()
        assert calendar.hours["mon"] == ["09:00-14:00", "15:00-18:00"]
        assert calendar.hours["tue"] == []
        assert calendar.extra_holidays == ["2026-12-24", "2026-12-31"]
    policy = {
        "name": "Premium",
        "calendar_id": str(calendar.id),
        "warn_percent": "75",
        "target_priority_0": "high",
        "target_segment_0": "",
        "target_first_0": "1,5",
        "target_resolution_0": "8",
        "target_priority_1": "high",
        "target_segment_1": "Premium",
        "target_first_1": "0.5",
        "target_resolution_1": "4",
        "target_priority_2": "",
    }
    assert _post(manager, "/cases/sla/policies", policy).status_code == 303
    page = manager.get("/cases/sla").text
    assert "1,5 h" in page
    assert "0,5 h" in page
    duplicate = _post(manager, "/cases/sla/policies", {**policy, "name": "Otra", "target_segment_1": ""})
    assert duplicate.status_code == 422
    assert "Una segunda fila para esta prioridad y segmento." in duplicate.text
    with tx(session):
        saved = session.scalars(select(SlaPolicy).where(SlaPolicy.name == "Premium")).one()
        targets = service.policies(session)
        minutes = sorted(
            (t.segment or "", t.first_contact_minutes) for p, ts in targets if p.id == saved.id for t in ts
        )
    assert minutes == [("", 90), ("Premium", 30)]
    assert (
        _post(manager, "/cases/sla/limits", {"role": "agent", "currency": "mxn", "max_per_case": "250"}).status_code
        == 303
    )
    assert "250,00 MXN" in manager.get("/cases/sla").text
    bad_limit = _post(manager, "/cases/sla/limits", {"role": "agent", "currency": "pesos", "max_per_case": "x"})
    assert bad_limit.status_code == 422
    # Supervisors read it all and change nothing.
    supervisor = browser(Role.SUPERVISOR)
    assert "Oficina Madrid" in supervisor.get("/cases/sla").text
    assert (
        _post(supervisor, "/cases/sla/limits", {"role": "agent", "currency": "MXN", "max_per_case": "9999"}).status_code
        == 403
    )


# --------------------------------------------------------------------------- the dashboard


def test_the_dashboard_renders_the_figures(browser: Browser, session: Session, world: World, cases: Cases) -> None:
    agent_principal = Principal(role=Role.AGENT, user_id=world.user_ids[Role.AGENT], team_id=world.team_id)
    now = utcnow()
    with tx(session):
        service.set_compensation_limit(session, MANAGER, role=Role.AGENT, currency="MXN", max_per_case="500")
        service.mark_contacted(session, agent_principal, cases.mine, now=now)
        service.set_root_cause(session, agent_principal, cases.mine, "delivery.delay", now=now)
        service.give_compensation(
            session,
            agent_principal,
            cases.mine,
            kind=CompensationKind.REFUND,
            amount="120",
            currency="MXN",
            note=None,
            now=now,
        )
        service.change_status(session, agent_principal, cases.mine, CaseStatus.RESOLVED, resolution="Hecho", now=now)
    manager = browser(Role.CX_MANAGER)
    page = manager.get("/cases/dashboard?period=7d").text
    assert re.search(r'data-figure="detractors-contacted">.*?<p class="ov-value">33,3 %</p>', page, re.S), page
    assert re.search(r'data-figure="opened">.*?<p class="ov-value">3</p>', page, re.S)
    assert re.search(rf'<tr data-team="{world.team_id}">\s*<th scope="row">Atención Norte</th>', page)
    assert "Retrasos en la entrega" in page
    assert "120,00 MXN" in page
    assert 'id="comp-chart-data"' in page
    csv_text = manager.get("/cases/dashboard/compliance.csv?period=7d").text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(r["team"], r["met"], r["breached"], r["share_met"]) for r in rows] == [("Atención Norte", "1", "0", "1.0")]
    # The agent's figures count only their own case.
    agent_page = browser(Role.AGENT).get("/cases/dashboard").text
    assert re.search(r'data-figure="opened">.*?<p class="ov-value">1</p>', agent_page, re.S)
    assert manager.get("/cases/dashboard?period=custom&from=2026-02-30&to=2026-03-01").status_code == 422
    assert browser(Role.VIEWER).get("/cases/dashboard").status_code == 403
