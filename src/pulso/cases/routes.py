"""JSON API of the cases domain: cases and their changes, rules and back-tests, calendars, SLA policies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.cases import service
from pulso.cases.enums import CaseStatus, Priority
from pulso.cases.models import Case, CaseCalendar, CaseRule, SlaPolicy
from pulso.cases.repository import CaseFilters
from pulso.cases.schemas import (
    AssignIn,
    BacktestIn,
    BacktestOut,
    BulkAssignIn,
    CalendarIn,
    CaseDetailOut,
    CaseOut,
    CasePage,
    CompensationIn,
    CompensationOut,
    ContactedIn,
    EventOut,
    LimitIn,
    ManualCaseIn,
    NoteIn,
    NoteOut,
    PolicyIn,
    PriorityIn,
    RootCauseIn,
    RuleIn,
    RuleOut,
    StatusIn,
)
from pulso.kit import business_hours
from pulso.kit.db import utcnow
from pulso.kit.errors import ValidationFailed
from pulso.kit.pagination import MAX_PAGE_SIZE, PageParams
from pulso.web.deps import DbSession, require_roles

router = APIRouter(prefix="/api/v1", tags=["cases"])

CASE_ROLES = (Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR, Role.AGENT)
LEADS = (Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR)
MANAGERS = (Role.ADMIN, Role.CX_MANAGER)

CaseReader = Annotated[Principal, require_roles(*CASE_ROLES)]
Lead = Annotated[Principal, require_roles(*LEADS)]
Manager = Annotated[Principal, require_roles(*MANAGERS)]


def _out(case: Case) -> CaseOut:
    return CaseOut.model_validate(case)


@router.get("/cases", response_model=CasePage)
def list_cases(
    session: DbSession,
    principal: CaseReader,
    status: Annotated[list[CaseStatus] | None, Query(description="Default: the open ones.")] = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    unassigned: bool = False,
    priority: Priority | None = None,
    breached: bool | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> CasePage:
    """The cases the caller may read (agents: their own; supervisors: their team's), what breaches first
    on top. / Los casos que el usuario puede ver, primero los que vencen antes."""
    filters = CaseFilters(
        status=tuple(status) if status else None,
        owner_id=owner_id,
        team_id=team_id,
        unassigned=unassigned,
        priority=priority.value if priority else None,
        breached=breached,
        search=q,
    )
    result = service.list_cases(session, principal, filters, PageParams(page=page, size=size))
    return CasePage(items=[_out(c) for c in result.items], total=result.total, page=result.page, size=result.size)


@router.post("/cases", response_model=CaseOut, status_code=201)
def open_case(body: ManualCaseIn, session: DbSession, principal: Lead) -> CaseOut:
    """Open a case by hand on one feedback. / Abre un caso a mano sobre una opinión."""
    case = service.open_manual_case(
        session, principal, body.feedback_id, priority=body.priority, sla_policy_id=body.sla_policy_id, now=utcnow()
    )
    return _out(case)


@router.get("/cases/{case_id}", response_model=CaseDetailOut)
def get_case(case_id: int, session: DbSession, principal: CaseReader) -> CaseDetailOut:
    """One case with its timeline, notes and compensation. / Un caso con su historial."""
    detail = service.case_detail(session, principal, case_id)
    return CaseDetailOut(
        **_out(detail.case).model_dump(),
        events=[EventOut(at=e.at, actor_id=e.actor_id, kind=e.kind.value, data=e.data) for e in detail.events],
        notes=[NoteOut.model_validate(n) for n in detail.notes],
        compensations=[CompensationOut.model_validate(c) for c in detail.compensations],
    )


@router.post("/cases/assign", response_model=list[CaseOut])
def bulk_assign(body: BulkAssignIn, session: DbSession, principal: Lead) -> list[CaseOut]:
    """Assign several cases at once (all or none). / Asigna varios casos a la vez."""
    return [_out(c) for c in service.bulk_assign(session, principal, body.case_ids, body.owner_id, now=utcnow())]


@router.post("/cases/{case_id}/assign", response_model=CaseOut)
def assign(case_id: int, body: AssignIn, session: DbSession, principal: Lead) -> CaseOut:
    return _out(service.assign_case(session, principal, case_id, body.owner_id, now=utcnow()))


@router.post("/cases/{case_id}/status", response_model=CaseOut)
def change_status(case_id: int, body: StatusIn, session: DbSession, principal: CaseReader) -> CaseOut:
    """Move the case (resolving needs a resolution). / Cambia el estado del caso."""
    return _out(
        service.change_status(session, principal, case_id, body.status, resolution=body.resolution, now=utcnow())
    )


@router.post("/cases/{case_id}/priority", response_model=CaseOut)
def set_priority(case_id: int, body: PriorityIn, session: DbSession, principal: Lead) -> CaseOut:
    return _out(service.set_priority(session, principal, case_id, body.priority, now=utcnow()))


@router.post("/cases/{case_id}/notes", response_model=NoteOut, status_code=201)
def add_note(case_id: int, body: NoteIn, session: DbSession, principal: CaseReader) -> NoteOut:
    return NoteOut.model_validate(service.add_note(session, principal, case_id, body.body, now=utcnow()))


@router.post("/cases/{case_id}/root-cause", response_model=CaseOut)
def set_root_cause(case_id: int, body: RootCauseIn, session: DbSession, principal: CaseReader) -> CaseOut:
    """The root cause, a topic key of the taxonomy. / La causa raíz, un tema de la taxonomía."""
    return _out(service.set_root_cause(session, principal, case_id, body.topic, now=utcnow()))


@router.post("/cases/{case_id}/contacted", response_model=CaseOut)
def mark_contacted(case_id: int, body: ContactedIn, session: DbSession, principal: CaseReader) -> CaseOut:
    return _out(service.mark_contacted(session, principal, case_id, at=body.at, now=utcnow()))


@router.post("/cases/{case_id}/compensations", response_model=CompensationOut, status_code=201)
def give_compensation(case_id: int, body: CompensationIn, session: DbSession, principal: CaseReader) -> CompensationOut:
    """Compensation given, within the limit of the caller's role. / Compensación, dentro del límite del rol."""
    row = service.give_compensation(
        session,
        principal,
        case_id,
        kind=body.kind,
        amount=body.amount,
        currency=body.currency,
        note=body.note,
        now=utcnow(),
    )
    return CompensationOut.model_validate(row)


@router.post("/cases/{case_id}/escalate", response_model=CaseOut)
def escalate(case_id: int, session: DbSession, principal: CaseReader) -> CaseOut:
    """One step up: owner → supervisor → manager. / Escala un nivel."""
    return _out(service.escalate_case(session, principal, case_id, now=utcnow()))


@router.get("/cases-dashboard")
def dashboard(
    session: DbSession,
    principal: CaseReader,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """The closed loop over cases opened in [start, end) (default: the last 30 days)."""
    end = end or utcnow()
    start = start or end - timedelta(days=30)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("start, end: give a time zone / indica la zona horaria")
    report = service.closed_loop(session, principal, start=start, end=end)
    return {
        "start": report.start,
        "end": report.end,
        "opened": report.opened,
        "by_status": report.by_status,
        "detractors_contacted_within_48_business_hours": {
            "contacted": report.detractors_contacted.part,
            "detractor_cases": report.detractors_contacted.whole,
            "share": report.detractors_contacted.ratio,
        },
        "median_business_hours_to_first_contact": report.median_first_contact_hours,
        "median_business_hours_to_resolution": report.median_resolution_hours,
        "sla_compliance_by_team": [
            {"team_id": t.team_id, "team": t.team, "met": t.met, "breached": t.breached, "share": t.share}
            for t in report.compliance
        ],
        "compensation_by_month": [{"month": m, "currency": c, "amount": str(a)} for m, c, a in report.compensation],
        "top_root_causes": [{"topic": k, "name": n, "cases": c} for k, n, c in report.root_causes],
    }


# --- rules ---------------------------------------------------------------------------------------


def _rule_out(rule: CaseRule, counts: dict[int, int]) -> RuleOut:
    out = RuleOut.model_validate(rule)
    out.cases_opened = counts.get(rule.id, 0)
    return out


@router.get("/case-rules", response_model=list[RuleOut])
def list_rules(session: DbSession, _principal: Lead) -> list[RuleOut]:
    counts = service.rule_case_counts(session)
    return [_rule_out(r, counts) for r in service.rules(session)]


@router.post("/case-rules", response_model=RuleOut, status_code=201)
def create_rule(body: RuleIn, session: DbSession, principal: Manager) -> RuleOut:
    """A rule over feedback fields that opens cases. / Una regla que abre casos."""
    return _rule_out(service.save_rule(session, principal, body, now=utcnow()), {})


@router.get("/case-rules/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: int, session: DbSession, _principal: Lead) -> RuleOut:
    return _rule_out(service.get_rule(session, rule_id), service.rule_case_counts(session))


@router.put("/case-rules/{rule_id}", response_model=RuleOut)
def update_rule(rule_id: int, body: RuleIn, session: DbSession, principal: Manager) -> RuleOut:
    return _rule_out(
        service.save_rule(session, principal, body, rule_id, now=utcnow()), service.rule_case_counts(session)
    )


@router.delete("/case-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: int, session: DbSession, principal: Manager) -> None:
    service.delete_rule(session, principal, rule_id)


@router.post("/case-rules/backtest", response_model=BacktestOut)
def backtest(body: BacktestIn, session: DbSession, principal: Manager) -> BacktestOut:
    """How many cases a condition would have opened over past feedback. / Cuántos casos habría abierto."""
    result = service.backtest(session, principal, body.condition, start=body.start, end=body.end)
    return BacktestOut(
        start=result.start,
        end=result.end,
        matched=result.matched,
        weeks=result.weeks,
        sample_feedback_ids=result.sample_ids,
    )


# --- calendars, SLA policies, compensation limits ------------------------------------------------


def _calendar_out(row: CaseCalendar) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "country": row.country,
        "timezone": row.timezone,
        "hours": row.hours,
        "extra_holidays": row.extra_holidays,
    }


@router.get("/case-calendars")
def list_calendars(session: DbSession, _principal: Lead) -> list[dict[str, Any]]:
    return [_calendar_out(c) for c in service.calendars(session)]


@router.get("/case-calendars/presets")
def calendar_presets(_principal: Lead) -> list[dict[str, Any]]:
    """The ready calendars: Spain, Mexico, Argentina, Colombia, Chile. / Calendarios listos."""
    return [
        {"country": code, "name": p.name, "timezone": p.timezone, "hours": p.hours.to_dict()}
        for code, p in business_hours.PRESETS.items()
    ]


@router.post("/case-calendars", status_code=201)
def create_calendar(body: CalendarIn, session: DbSession, principal: Manager) -> dict[str, Any]:
    return _calendar_out(service.save_calendar(session, principal, body))


@router.put("/case-calendars/{calendar_id}")
def update_calendar(calendar_id: int, body: CalendarIn, session: DbSession, principal: Manager) -> dict[str, Any]:
    return _calendar_out(service.save_calendar(session, principal, body, calendar_id))


def _policy_out(policy: SlaPolicy, targets: list[Any]) -> dict[str, Any]:
    return {
        "id": policy.id,
        "name": policy.name,
        "calendar_id": policy.calendar_id,
        "warn_percent": policy.warn_percent,
        "targets": [
            {
                "priority": t.priority.value,
                "segment": t.segment,
                "first_contact_minutes": t.first_contact_minutes,
                "resolution_minutes": t.resolution_minutes,
            }
            for t in targets
        ],
    }


@router.get("/sla-policies")
def list_policies(session: DbSession, _principal: Lead) -> list[dict[str, Any]]:
    return [_policy_out(p, t) for p, t in service.policies(session)]


@router.post("/sla-policies", status_code=201)
def create_policy(body: PolicyIn, session: DbSession, principal: Manager) -> dict[str, Any]:
    policy = service.save_policy(session, principal, body)
    return _policy_out(policy, [t for p, ts in service.policies(session) if p.id == policy.id for t in ts])


@router.put("/sla-policies/{policy_id}")
def update_policy(policy_id: int, body: PolicyIn, session: DbSession, principal: Manager) -> dict[str, Any]:
    policy = service.save_policy(session, principal, body, policy_id)
    return _policy_out(policy, [t for p, ts in service.policies(session) if p.id == policy.id for t in ts])


@router.get("/compensation-limits")
def list_limits(session: DbSession, _principal: Lead) -> list[dict[str, Any]]:
    return [
        {"role": r.role.value, "currency": r.currency, "max_per_case": str(r.max_per_case)}
        for r in service.compensation_limits(session)
    ]


@router.put("/compensation-limits")
def set_limit(body: LimitIn, session: DbSession, principal: Manager) -> dict[str, Any]:
    """Set (or, with max_per_case null, remove) a role's limit per case in a currency."""
    row = service.set_compensation_limit(
        session, principal, role=body.role, currency=body.currency, max_per_case=body.max_per_case
    )
    return {
        "role": body.role.value,
        "currency": body.currency.upper(),
        "max_per_case": str(row.max_per_case) if row else None,
    }
