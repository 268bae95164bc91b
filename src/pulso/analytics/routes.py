"""JSON API of the analytic store: status, on-demand sync and consistency check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.analytics import service
from pulso.runtime import Runtime
from pulso.web.deps import get_runtime, require_roles

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


class SyncOut(BaseModel):
    from_version: int
    to_version: int
    feedback_rows: int
    interaction_rows: int
    deleted: int
    seconds: float


class FactCheckOut(BaseModel):
    fact: str
    consistent: bool
    operational: dict[str, float]
    analytic: dict[str, float]


class CheckOut(BaseModel):
    consistent: bool
    operational_version: int
    analytic_version: int
    facts: list[FactCheckOut]


@router.post("/sync", response_model=SyncOut)
async def sync(
    runtime: Annotated[Runtime, Depends(get_runtime)],
    _p: Annotated[Principal, require_roles(Role.ADMIN, Role.CX_MANAGER)],
) -> SyncOut:
    """Copy pending changes to the analytic store now (it also does so every few seconds)."""
    result = await run_in_threadpool(service.sync, runtime)
    return SyncOut(
        from_version=result.from_version,
        to_version=result.to_version,
        feedback_rows=result.feedback_rows,
        interaction_rows=result.interaction_rows,
        deleted=result.deleted,
        seconds=result.seconds,
    )


@router.get("/check", response_model=CheckOut)
async def check(
    runtime: Annotated[Runtime, Depends(get_runtime)],
    _p: Annotated[Principal, require_roles(Role.ADMIN, Role.CX_MANAGER)],
) -> CheckOut:
    """Compare counts and sums of every fact between the two stores."""
    report = await run_in_threadpool(service.check, runtime)
    return CheckOut(
        consistent=report.consistent,
        operational_version=report.operational_version,
        analytic_version=report.analytic_version,
        facts=[
            FactCheckOut(fact=f.fact, consistent=f.consistent, operational=f.operational, analytic=f.analytic)
            for f in report.facts
        ],
    )
