"""The cases service on both engines: rules open cases once, the status flow, SLA clocks, escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.cases import service
from pulso.cases.enums import Assignment, CaseEventKind, CaseStatus, CompensationKind, EscalationLevel, Priority
from pulso.cases.models import Case, CaseEvent
from pulso.cases.repository import CaseFilters
from pulso.cases.schemas import RuleIn
from pulso.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pulso.kit.pagination import PageParams
from pulso.notifications.models import Notification
from pulso.text.models import FeedbackText, FeedbackTopic
from tests.cases.conftest import DETRACTOR, MANAGER, MONDAY, Org, add_rule, tx
from tests.factories import make_customer, make_feedback


def _run(session: Session, now: datetime = MONDAY, **kw: object) -> service.RulesRun:
    with tx(session):
        return service.run_rules(session, now=now, **kw)  # type: ignore[arg-type]


def _cases(session: Session) -> list[Case]:
    return list(session.execute(select(Case).order_by(Case.id)).scalars())


def test_a_detractor_opens_one_case_and_a_second_run_opens_none(session: Session, org: Org) -> None:
    with tx(session):
        add_rule(session, org, "Detractores", DETRACTOR)
        customer = make_customer(session, segment="Premium")
        fb = make_feedback(session, nps=3, customer_id=customer.id, team_id=org.team.id, comment="Pésimo")
        make_feedback(session, nps=9, team_id=org.team.id)
    run = _run(session, text_analysis=False)
    assert len(run.opened) == 1
    [case] = _cases(session)
    assert case.feedback_id == fb.id
    assert case.priority is Priority.HIGH
    assert case.owner_id == org.agents[0].id
    # Premium has its own, shorter targets: 30 minutes to contact, 2 hours to resolve (24/7 calendar).
    assert case.first_contact_due_at == MONDAY + timedelta(minutes=30)
    assert case.resolution_due_at == MONDAY + timedelta(hours=2)
    assert case.first_contact_warn_at == MONDAY + timedelta(minutes=15)
    assert _run(session, text_analysis=False).opened == []
    kinds = [e.kind for e in session.execute(select(CaseEvent)).scalars()]
    assert kinds == [CaseEventKind.OPENED, CaseEventKind.ASSIGNED]


def test_the_opening_notification_is_stored_for_the_owner(session: Session, org: Org) -> None:
    with tx(session):
        add_rule(session, org, "Detractores", DETRACTOR)
        make_feedback(session, nps=0, team_id=org.team.id)
    _run(session, text_analysis=False)
    rows = list(session.execute(select(Notification)).scalars())
    assert [(n.event, n.target) for n in rows] == [("case.opened", org.agents[0].email)]
    assert rows[0].key.startswith("case:")


def test_round_robin_takes_turns_and_feedback_before_applies_from_is_left_alone(session: Session, org: Org) -> None:
    with tx(session):
        add_rule(session, org, "Detractores", DETRACTOR, applies_from=datetime(2026, 1, 1, tzinfo=UTC))
        make_feedback(session, nps=2, team_id=org.team.id, received_at=datetime(2025, 12, 31, tzinfo=UTC))
        for _ in range(4):
            make_feedback(session, nps=2, team_id=org.team.id, received_at=datetime(2026, 2, 1, tzinfo=UTC))
    _run(session, text_analysis=False)
    owners = [c.owner_id for c in _cases(session)]
    a = [u.id for u in org.agents]
    assert owners == [a[0], a[1], a[2], a[0]]


def test_the_first_matching_rule_wins_in_position_order(session: Session, org: Org) -> None:
    with tx(session):
        add_rule(
            session,
            org,
            "Cuenta clave",
            {"all": [DETRACTOR, {"field": "key_account", "op": "is", "value": True}]},
            position=0,
            priority=Priority.URGENT,
            assignment=Assignment.AGENT_SUPERVISOR,
        )
        add_rule(session, org, "Detractores", DETRACTOR, position=1)
        key = make_customer(session)
        key.is_key_account = True
        make_feedback(session, nps=1, customer_id=key.id, team_id=org.team.id, agent_id=org.agents[1].id)
        make_feedback(session, nps=1, team_id=org.team.id)
    _run(session, text_analysis=False)
    first, second = _cases(session)
    assert (first.priority, first.owner_id) == (Priority.URGENT, org.supervisor.id)
    assert second.priority is Priority.HIGH


def test_a_rule_on_sentiment_waits_for_the_text_analysis(session: Session, org: Org) -> None:
    with tx(session):
        add_rule(session, org, "Negativos", {"field": "sentiment", "op": "eq", "value": "negative"})
        fb = make_feedback(session, nps=8, team_id=org.team.id, comment="El pedido llegó roto")
    run = _run(session)
    assert (run.opened, run.deferred) == ([], 1)
    with tx(session):
        session.add(
            FeedbackText(
                feedback_id=fb.id,
                language="es",
                sentiment="negative",
                sentiment_score=-0.8,
                key_phrases=[],
                topics="",
                model_version="t",
            )
        )
        from pulso.feedback import service as feedback

        feedback.mark_changed(session, [fb.id])  # what the text job does after analysing
    assert len(_run(session).opened) == 1


def test_topic_rules_match_a_parent_through_its_children(session: Session, org: Org) -> None:
    from pulso.text import service as text

    with tx(session):
        tax = text.taxonomy(session)
        parent = tax.parents()[0]
        child = tax.children(parent.key)[0]
        add_rule(session, org, "Tema", {"field": "topic", "op": "has", "value": [parent.key]})
        fb = make_feedback(session, nps=7, team_id=org.team.id, comment="x")
        session.add(
            FeedbackText(
                feedback_id=fb.id,
                language="es",
                sentiment="neutral",
                sentiment_score=0.0,
                key_phrases=[],
                topics=f"{child.key}:0|",
                model_version="t",
            )
        )
        session.add(FeedbackTopic(feedback_id=fb.id, topic_key=child.key, score=0.9, sentiment=None, terms=[]))
    assert len(_run(session).opened) == 1


def test_bad_conditions_name_the_part_that_is_wrong(session: Session, org: Org) -> None:
    with tx(session), pytest.raises(ValidationFailed) as err:
        add_rule(session, org, "Mal", {"all": [DETRACTOR, {"field": "nps", "op": "lte", "value": 11}]})
    assert "condition.all[1].value" in err.value.message
    with tx(session), pytest.raises(ValidationFailed) as err:
        add_rule(session, org, "Mal", {"field": "topic", "op": "has", "value": ["no_such_topic"]})
    assert "no_such_topic" in err.value.message
    with tx(session), pytest.raises(Forbidden):
        service.save_rule(
            session,
            Principal(role=Role.SUPERVISOR, team_id=org.team.id),
            RuleIn(name="x", condition=DETRACTOR),
            now=MONDAY,
        )


def test_backtest_counts_what_a_rule_would_have_opened(session: Session, org: Org) -> None:
    with tx(session):
        for day in range(1, 29):
            make_feedback(session, nps=day % 11, received_at=datetime(2026, 2, day, 12, tzinfo=UTC))
        result = service.backtest(
            session, MANAGER, DETRACTOR, start=datetime(2026, 2, 1, tzinfo=UTC), end=datetime(2026, 3, 1, tzinfo=UTC)
        )
    expected = sum(1 for day in range(1, 29) if day % 11 <= 6)
    assert result.matched == expected
    assert sum(n for _, n in result.weeks) == expected
    assert len(result.sample_ids) == 10


def _open_one(session: Session, org: Org, **feedback: object) -> Case:
    with tx(session):
        add_rule(session, org, "Detractores", DETRACTOR)
        make_feedback(session, nps=2, team_id=org.team.id, **feedback)  # type: ignore[arg-type]
    _run(session, text_analysis=False)
    return _cases(session)[0]


def _agent(org: Org, i: int = 0) -> Principal:
    return Principal(role=Role.AGENT, user_id=org.agents[i].id, team_id=org.team.id)


def test_the_status_flow_with_a_pause_while_waiting(session: Session, org: Org) -> None:
    case = _open_one(session, org)
    owner = _agent(org)
    due = case.resolution_due_at
    assert due is not None
    with tx(session):
        service.mark_contacted(session, owner, case.id, now=MONDAY + timedelta(minutes=20))
        service.change_status(session, owner, case.id, CaseStatus.WAITING, now=MONDAY + timedelta(hours=1))
        service.change_status(session, owner, case.id, CaseStatus.IN_PROGRESS, now=MONDAY + timedelta(hours=4))
    session.refresh(case)
    assert case.status is CaseStatus.IN_PROGRESS
    assert case.first_contact_seconds == 20 * 60
    assert case.paused_seconds == 3 * 3600
    assert case.resolution_due_at == due + timedelta(hours=3)  # the three hours waiting do not count
    with tx(session), pytest.raises(ValidationFailed):
        service.change_status(session, owner, case.id, CaseStatus.RESOLVED, now=MONDAY + timedelta(hours=5))
    with tx(session):
        service.change_status(
            session, owner, case.id, CaseStatus.RESOLVED, resolution="Reembolso hecho", now=MONDAY + timedelta(hours=5)
        )
    session.refresh(case)
    assert case.resolution_seconds == 2 * 3600  # 5 hours open, 3 of them waiting
    with tx(session), pytest.raises(Conflict):
        service.change_status(session, owner, case.id, CaseStatus.WAITING, now=MONDAY + timedelta(hours=6))
    with tx(session):
        service.change_status(session, owner, case.id, CaseStatus.CLOSED, now=MONDAY + timedelta(hours=6))
        service.change_status(session, owner, case.id, CaseStatus.IN_PROGRESS, now=MONDAY + timedelta(hours=7))
    kinds = [e.kind for e in session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)).scalars()]
    assert kinds[-1] is CaseEventKind.REOPENED
    events = session.execute(select(Notification.event).order_by(Notification.id)).scalars().all()
    assert "case.resolved" in events


def test_agents_see_and_change_only_their_own_cases(session: Session, org: Org) -> None:
    case = _open_one(session, org)
    mine, other = _agent(org, 0), _agent(org, 1)
    stranger = Principal(role=Role.SUPERVISOR, user_id=org.other_agent.id, team_id=org.other_team.id)
    with tx(session):
        assert service.list_cases(session, mine, CaseFilters(), PageParams()).total == 1
        assert service.list_cases(session, other, CaseFilters(), PageParams()).total == 0
        assert service.list_cases(session, stranger, CaseFilters(), PageParams()).total == 0
        sup = Principal(role=Role.SUPERVISOR, user_id=org.supervisor.id, team_id=org.team.id)
        assert service.list_cases(session, sup, CaseFilters(), PageParams()).total == 1
        with pytest.raises(NotFound):
            service.add_note(session, other, case.id, "hola", now=MONDAY)
        with pytest.raises(Forbidden):
            service.list_cases(session, Principal(role=Role.VIEWER), CaseFilters(), PageParams())
        with pytest.raises(Forbidden):
            service.assign_case(session, mine, case.id, org.agents[1].id, now=MONDAY)
        with pytest.raises(Forbidden):  # a supervisor gives cases to their own team only
            service.assign_case(session, sup, case.id, org.other_agent.id, now=MONDAY)
        service.bulk_assign(session, sup, [case.id], org.agents[2].id, now=MONDAY)
    session.refresh(case)
    assert case.owner_id == org.agents[2].id
    assigned = session.execute(select(Notification).where(Notification.event == "case.assigned")).scalars().all()
    assert [n.target for n in assigned] == [org.agents[2].email]


def test_the_sla_job_warns_escalates_and_records_breaches_once(session: Session, org: Org) -> None:
    case = _open_one(session, org)  # normal segment, high priority: contact in 60 min, resolve in 240
    with tx(session):
        assert service.check_clocks(session, now=MONDAY + timedelta(minutes=10)).escalated == 0
    with tx(session):
        run = service.check_clocks(session, now=MONDAY + timedelta(minutes=31))  # half the contact target
    assert (run.warned, run.escalated, run.breached) == (1, 1, 0)
    session.refresh(case)
    assert (case.escalation, case.escalated_to_id) == (EscalationLevel.SUPERVISOR, org.supervisor.id)
    with tx(session):
        assert service.check_clocks(session, now=MONDAY + timedelta(minutes=40)).checked == 0
        run = service.check_clocks(session, now=MONDAY + timedelta(minutes=61))
    assert (run.breached, run.escalated) == (1, 1)
    session.refresh(case)
    assert case.escalation is EscalationLevel.MANAGER
    assert case.escalated_to_id == org.manager.id  # the parent team's supervisor
    assert case.first_contact_breached_at == MONDAY + timedelta(minutes=61)
    with tx(session):
        assert service.check_clocks(session, now=MONDAY + timedelta(minutes=90)).breached == 0
        run = service.check_clocks(session, now=MONDAY + timedelta(hours=5))
    assert (run.breached, run.escalated) == (1, 0)  # resolution breached; already at the top
    events = session.execute(select(Notification.event).order_by(Notification.id)).scalars().all()
    assert events.count("case.sla_breached") >= 2
    assert events.count("case.escalated") == 2


def test_escalating_by_hand_and_the_top_of_the_ladder(session: Session, org: Org) -> None:
    case = _open_one(session, org)
    with tx(session):
        service.escalate_case(session, _agent(org), case.id, now=MONDAY)
        service.escalate_case(session, _agent(org), case.id, now=MONDAY)
        with pytest.raises(Conflict):
            service.escalate_case(session, _agent(org), case.id, now=MONDAY)


def test_compensation_within_the_role_limit(session: Session, org: Org) -> None:
    case = _open_one(session, org)
    owner = _agent(org)
    with tx(session):
        with pytest.raises(Forbidden):  # no limit set: agents may give nothing
            service.give_compensation(
                session,
                owner,
                case.id,
                kind=CompensationKind.VOUCHER,
                amount="100",
                currency="MXN",
                note=None,
                now=MONDAY,
            )
        service.set_compensation_limit(session, MANAGER, role=Role.AGENT, currency="mxn", max_per_case="500")
    with tx(session):
        service.give_compensation(
            session,
            owner,
            case.id,
            kind=CompensationKind.VOUCHER,
            amount="300",
            currency="MXN",
            note="cupón",
            now=MONDAY,
        )
        with pytest.raises(Forbidden):
            service.give_compensation(
                session,
                owner,
                case.id,
                kind=CompensationKind.REFUND,
                amount="250.50",
                currency="MXN",
                note=None,
                now=MONDAY,
            )
        with pytest.raises(ValidationFailed):
            service.give_compensation(
                session,
                owner,
                case.id,
                kind=CompensationKind.REFUND,
                amount="1.234",
                currency="MXN",
                note=None,
                now=MONDAY,
            )
    report_start = MONDAY - timedelta(days=1)
    with tx(session):
        report = service.closed_loop(session, MANAGER, start=report_start, end=MONDAY + timedelta(days=1))
    assert [(c, a) for _, c, a in report.compensation] == [("MXN", Decimal("300.00"))]


def test_root_cause_comes_from_the_taxonomy(session: Session, org: Org) -> None:
    from pulso.text import service as text

    case = _open_one(session, org)
    with tx(session):
        key = text.taxonomy(session).leaves()[0].key
        service.set_root_cause(session, _agent(org), case.id, key, now=MONDAY)
        with pytest.raises(ValidationFailed):
            service.set_root_cause(session, _agent(org), case.id, "made_up", now=MONDAY)
        report = service.closed_loop(session, MANAGER, start=MONDAY - timedelta(days=1), end=MONDAY + timedelta(days=1))
    assert report.root_causes[0][0] == key
    assert report.root_causes[0][2] == 1


def test_the_closed_loop_figures(session: Session, org: Org) -> None:
    with tx(session):
        add_rule(session, org, "Detractores", DETRACTOR)
        for _ in range(4):
            make_feedback(session, nps=2, team_id=org.team.id)
    _run(session, text_analysis=False)
    cases = _cases(session)
    with tx(session):
        owner = Principal(role=Role.CX_MANAGER, user_id=org.supervisor.id)
        service.mark_contacted(session, owner, cases[0].id, now=MONDAY + timedelta(hours=1))
        service.mark_contacted(session, owner, cases[1].id, now=MONDAY + timedelta(hours=3))
        service.mark_contacted(session, owner, cases[2].id, now=MONDAY + timedelta(hours=50))
        service.change_status(
            session, owner, cases[0].id, CaseStatus.RESOLVED, resolution="ok", now=MONDAY + timedelta(hours=2)
        )
        service.check_clocks(session, now=MONDAY + timedelta(hours=60))
    with tx(session):
        report = service.closed_loop(session, MANAGER, start=MONDAY - timedelta(days=1), end=MONDAY + timedelta(days=1))
    assert report.opened == 4
    assert (report.detractors_contacted.part, report.detractors_contacted.whole) == (2, 4)
    assert report.median_first_contact_hours == 3.0
    assert report.median_resolution_hours == 2.0
    [team] = report.compliance
    assert (team.met, team.breached) == (1, 3)


def test_a_manual_case_and_its_conflict(session: Session, org: Org) -> None:
    with tx(session):
        fb = make_feedback(session, nps=8, team_id=org.team.id)
    lead = Principal(role=Role.SUPERVISOR, user_id=org.supervisor.id, team_id=org.team.id)
    with tx(session):
        case = service.open_manual_case(
            session, lead, fb.id, priority=Priority.NORMAL, now=MONDAY, sla_policy_id=org.policy_id
        )
        assert case.resolution_due_at == MONDAY + timedelta(minutes=2880)
        with pytest.raises(Conflict):
            service.open_manual_case(session, lead, fb.id, priority=Priority.NORMAL, now=MONDAY)
    assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1


def test_a_large_import_of_one_version_is_read_in_parts_without_skipping(session: Session, org: Org) -> None:
    with tx(session):
        add_rule(session, org, "Detractores", DETRACTOR)
    with tx(session):  # one transaction: every row has the same change version
        for _ in range(7):
            make_feedback(session, nps=1, team_id=org.team.id)
    parts = []
    while True:
        run = _run(session, text_analysis=False, limit=3)
        parts.append(len(run.opened))
        if not run.remaining:
            break
    assert parts == [3, 3, 1]
    assert len(_cases(session)) == 7
