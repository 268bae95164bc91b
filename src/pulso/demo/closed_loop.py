"""The demo's closed loop: Casa Nova's rules, SLA policy and calendar, and three weeks of cases worked.

The rules open cases for the last weeks' unhappy customers as they arrived; then the cases are worked
through in time order, as a team would: most customers are called back within the target, some late,
a few never; cases are resolved with a root cause and sometimes a voucher. The SLA job runs as time
passes, so late cases warn, breach and climb the ladder exactly as they would live. The replay
notifies nobody (it is history); from the moment the demo is served, new feedback and cases that
fall due send their e-mails.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.cases import service as cases
from pulso.cases.enums import Assignment, CaseStatus, CompensationKind, Priority
from pulso.cases.models import Case
from pulso.cases.schemas import PolicyIn, RuleIn, TargetIn
from pulso.demo import company
from pulso.kit.business_hours import add_business_time
from pulso.runtime import Runtime
from pulso.text.models import FeedbackTopic

# The weeks of history the rules replay; beyond demo sizes where that is thousands of cases, fewer.
HISTORY_DAYS = 21
LARGE_HISTORY_DAYS = 2
LARGE = 200_000

OPERATOR = Principal(role=Role.CX_MANAGER)

NOTES = (
    "Llamé al cliente; le expliqué lo ocurrido y le ofrecí una solución.",
    "Hablé con el cliente por teléfono, quedó en revisar la propuesta.",
    "Escribí al cliente por correo y respondió el mismo día.",
    "El cliente pidió que lo llamáramos por la tarde; así se hizo.",
)
RESOLUTIONS = (
    "Se reemplazó el producto y se confirmó la entrega.",
    "Se corrigió el cobro y se envió el comprobante.",
    "Se reprogramó la entrega con prioridad.",
    "Se explicó la garantía y se agendó la visita técnica.",
    "Se escaló a logística y se entregó el pedido completo.",
)
FALLBACK_CAUSES = ("delivery.delay", "product.defect", "staff.resolution", "billing.wrong_charge", "waiting.phone")


@dataclass(frozen=True)
class ClosedLoopSummary:
    rules: int
    cases: int
    contacted: int
    resolved: int
    escalated: int


def set_up(session: Session, *, now: datetime, history_days: int) -> None:
    """Casa Nova's calendar (Mexico), SLA policy, compensation limits and rules."""
    calendar = cases.preset_calendar(session, "MX")
    policy = cases.save_policy(
        session,
        OPERATOR,
        PolicyIn(
            name="Atención a clientes",
            calendar_id=calendar.id,
            warn_percent=75,
            targets=[
                TargetIn(priority=Priority.URGENT, first_contact_minutes=120, resolution_minutes=8 * 60),
                TargetIn(priority=Priority.HIGH, first_contact_minutes=4 * 60, resolution_minutes=24 * 60),
                TargetIn(
                    priority=Priority.HIGH, segment="Premium", first_contact_minutes=2 * 60, resolution_minutes=16 * 60
                ),
                TargetIn(priority=Priority.NORMAL, first_contact_minutes=8 * 60, resolution_minutes=40 * 60),
                TargetIn(priority=Priority.LOW, first_contact_minutes=16 * 60, resolution_minutes=80 * 60),
            ],
        ),
    )
    for role, limit in ((Role.AGENT, "500"), (Role.SUPERVISOR, "2000"), (Role.CX_MANAGER, "10000")):
        cases.set_compensation_limit(session, OPERATOR, role=role, currency="MXN", max_per_case=limit)
    aftersales = accounts.find_team(session, company.AFTERSALES_TEAM)
    since = now - timedelta(days=history_days)
    rules = [
        RuleIn(
            name="Cuenta clave con comentario negativo",
            description="Un cliente clave molesto: lo llama el supervisor de quien lo atendió.",
            condition={
                "all": [
                    {"field": "key_account", "op": "is", "value": True},
                    {"field": "sentiment", "op": "eq", "value": "negative"},
                ]
            },
            priority=Priority.URGENT,
            team_id=aftersales.id,
            assignment=Assignment.AGENT_SUPERVISOR,
            position=0,
        ),
        RuleIn(
            name="Detractores (NPS 0–6)",
            description="Todo detractor recibe una llamada de seguimiento.",
            condition={"field": "nps", "op": "lte", "value": 6},
            priority=Priority.HIGH,
            team_id=aftersales.id,
            position=1,
        ),
        RuleIn(
            name="CSAT bajo (1–2)",
            description="Una atención mal calificada vuelve a su equipo.",
            condition={"field": "csat", "op": "lte", "value": 2},
            priority=Priority.NORMAL,
            position=2,
        ),
        RuleIn(
            name="Esfuerzo alto (CES 6–7)",
            condition={"field": "ces", "op": "gte", "value": 6},
            priority=Priority.LOW,
            team_id=aftersales.id,
            position=3,
        ),
    ]
    for rule in rules:
        cases.save_rule(
            session, OPERATOR, rule.model_copy(update={"sla_policy_id": policy.id, "applies_from": since}), now=now
        )


def build_closed_loop(runtime: Runtime, *, now: datetime, size: int, seed: int) -> ClosedLoopSummary:
    """Set up the rules, open the history's cases as their feedback arrived, and work them until `now`."""
    history = HISTORY_DAYS if size <= LARGE else LARGE_HISTORY_DAYS
    with runtime.sessions() as session, session.begin():
        cases.quietly(session)
        set_up(session, now=now, history_days=history)
    while True:
        with runtime.sessions() as session, session.begin():
            cases.quietly(session)
            run = cases.run_rules(session, now=now, text_analysis=runtime.settings.text_analysis, at_arrival=True)
        if not run.remaining:
            break
    with runtime.sessions() as session, session.begin():
        cases.quietly(session)
        summary = _work_the_cases(session, now=now, rng=random.Random(seed))  # noqa: S311 — a demo, not a secret
    return summary


@dataclass(order=True)
class _Step:
    at: datetime
    case_id: int
    action: str
    data: dict[str, Any]


def _work_the_cases(session: Session, *, now: datetime, rng: random.Random) -> ClosedLoopSummary:
    rows = list(session.execute(select(Case).order_by(Case.opened_at, Case.id)).scalars())
    topics = _first_topics(session, [c.feedback_id for c in rows if c.feedback_id])
    steps: list[_Step] = []
    for case in rows:
        steps.extend(_plan(session, case, topics.get(case.feedback_id or 0), rng))
    steps = sorted(s for s in steps if s.at <= now)
    contacted = resolved = 0
    last_check = None
    for step in steps:
        if last_check is None or step.at - last_check >= timedelta(minutes=10):
            cases.check_clocks(session, now=step.at)
            last_check = step.at
        found = session.get(Case, step.case_id)
        if found is None:
            continue
        case = found
        actor = _actor(session, case)
        if step.action == "contact":
            cases.mark_contacted(session, actor, case.id, now=step.at)
            cases.add_note(session, actor, case.id, rng.choice(NOTES), now=step.at)
            contacted += 1
        elif step.action == "wait":
            cases.change_status(session, actor, case.id, CaseStatus.WAITING, now=step.at)
        elif step.action == "resume":
            cases.change_status(session, actor, case.id, CaseStatus.IN_PROGRESS, now=step.at)
        elif step.action == "resolve":
            cases.set_root_cause(session, actor, case.id, step.data["cause"], now=step.at)
            if step.data.get("voucher"):
                cases.give_compensation(
                    session,
                    actor,
                    case.id,
                    kind=CompensationKind.VOUCHER,
                    amount=step.data["voucher"],
                    currency="MXN",
                    note="Cupón de disculpa",
                    now=step.at,
                )
            cases.change_status(
                session, actor, case.id, CaseStatus.RESOLVED, resolution=rng.choice(RESOLUTIONS), now=step.at
            )
            resolved += 1
        elif step.action == "close":
            cases.change_status(session, actor, case.id, CaseStatus.CLOSED, now=step.at)
    cases.check_clocks(session, now=now)
    escalated = sum(1 for c in session.execute(select(Case.escalated_to_id)).scalars() if c is not None)
    return ClosedLoopSummary(
        rules=len(cases.rules(session)), cases=len(rows), contacted=contacted, resolved=resolved, escalated=escalated
    )


def _first_topics(session: Session, feedback_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(feedback_ids), 5_000):
        chunk = feedback_ids[start : start + 5_000]
        stmt = (
            select(FeedbackTopic.feedback_id, FeedbackTopic.topic_key)
            .where(FeedbackTopic.feedback_id.in_(chunk))
            .order_by(FeedbackTopic.feedback_id, FeedbackTopic.score.desc())
        )
        for fid, key in session.execute(stmt):
            found.setdefault(fid, key)
    return found


def _plan(session: Session, case: Case, topic: str | None, rng: random.Random) -> list[_Step]:
    """When this case's team reaches the customer, waits, resolves and closes, in business time."""
    calendar = cases.business_calendar_of(session, case)
    if calendar is None or case.first_contact_due_at is None or case.resolution_due_at is None:
        return []
    contact_target = cases.business_seconds_between(case.opened_at, case.first_contact_due_at, calendar)
    resolution_target = cases.business_seconds_between(case.opened_at, case.resolution_due_at, calendar)
    roll = rng.random()
    if roll < 0.05:
        return []  # nobody ever called: it breaches and escalates
    share = rng.uniform(0.1, 0.9) if roll < 0.88 else rng.uniform(1.05, 2.5)
    contact_at = add_business_time(case.opened_at, timedelta(seconds=contact_target * share), calendar)
    steps = [_Step(contact_at, case.id, "contact", {})]
    done_share = rng.uniform(0.3, 0.95) if rng.random() < 0.88 else rng.uniform(1.05, 1.8)
    resolve_at = add_business_time(case.opened_at, timedelta(seconds=resolution_target * done_share), calendar)
    resolve_at = max(resolve_at, contact_at + timedelta(minutes=30))
    if rng.random() < 0.15:
        wait_at = contact_at + timedelta(minutes=10)
        resume_at = wait_at + timedelta(hours=rng.uniform(2, 30))
        steps += [_Step(wait_at, case.id, "wait", {}), _Step(resume_at, case.id, "resume", {})]
        resolve_at = max(resolve_at, resume_at + timedelta(minutes=20))
    voucher = str(Decimal(rng.choice((150, 200, 250, 300, 400)))) if rng.random() < 0.2 else None
    cause = topic or rng.choice(FALLBACK_CAUSES)
    steps.append(_Step(resolve_at, case.id, "resolve", {"cause": cause, "voucher": voucher}))
    steps.append(_Step(resolve_at + timedelta(days=2), case.id, "close", {}))
    return steps


def _actor(session: Session, case: Case) -> Principal:
    """Who works the case: its owner, or the team's supervisor when nobody owns it."""
    owner = accounts.find_user_by_id(session, case.owner_id) if case.owner_id else None
    if owner is None:
        supervisors = accounts.supervisors_of(session, case.team_id)
        owner = supervisors[0] if supervisors else None
    if owner is None:
        return OPERATOR
    return Principal(role=owner.role, user_id=owner.id, team_id=owner.team_id)
