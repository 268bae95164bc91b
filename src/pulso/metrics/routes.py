"""JSON API of the metrics domain: `GET /api/v1/metrics/{kpi}`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from pulso.accounts.schemas import Principal
from pulso.metrics import service
from pulso.metrics.schemas import KpiDefinition, KpiResult
from pulso.runtime import Runtime
from pulso.web.deps import READERS, get_runtime, require_roles

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])

DIMENSION_PARAMS = (
    "channel",
    "source",
    "language",
    "touchpoint",
    "stage",
    "team",
    "agent",
    "product",
    "segment",
    "region",
    "key_account",
    "category",
)


@router.get("", response_model=list[KpiDefinition])
def list_kpis(_principal: Annotated[Principal, require_roles(*READERS)]) -> list[KpiDefinition]:
    """The KPIs Pulso computes, with their units and statistical methods."""
    return list(service.KPIS.values())


@router.get("/{kpi}", response_model=KpiResult)
async def get_kpi(
    kpi: str,
    principal: Annotated[Principal, require_roles(*READERS)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    start: Annotated[date | None, Query(alias="from", description="First day; default 90 days back.")] = None,
    end: Annotated[
        date | None, Query(alias="to", description="Last day, included; default today in the organisation's zone.")
    ] = None,
    grain: Literal["day", "week", "month", "quarter", "year"] | None = None,
    by: Annotated[str | None, Query(description="One dimension to break down by.")] = None,
    compare: Literal["previous", "rest", "none"] = "previous",
    min_n: Annotated[int, Query(ge=1)] = 30,
    only_min_n: bool = False,
    sort: Literal["key", "value", "-value", "n"] = "key",
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    confidence: Annotated[float, Query(ge=0.5, lt=1)] = 0.95,
    engine: Literal["auto", "analytic", "operational"] = "auto",
    channel: Annotated[list[str] | None, Query()] = None,
    source: Annotated[list[str] | None, Query()] = None,
    language: Annotated[list[str] | None, Query()] = None,
    touchpoint: Annotated[list[str] | None, Query()] = None,
    stage: Annotated[list[str] | None, Query()] = None,
    team: Annotated[list[str] | None, Query()] = None,
    agent: Annotated[list[str] | None, Query()] = None,
    product: Annotated[list[str] | None, Query()] = None,
    segment: Annotated[list[str] | None, Query()] = None,
    region: Annotated[list[str] | None, Query()] = None,
    key_account: Annotated[list[str] | None, Query()] = None,
    category: Annotated[list[str] | None, Query()] = None,
) -> KpiResult:
    """A KPI over a date range, optionally by time grain and one dimension, with intervals and tests."""
    last: date = end if end is not None else await run_in_threadpool(service.today, runtime)
    values = {
        "channel": channel,
        "source": source,
        "language": language,
        "touchpoint": touchpoint,
        "stage": stage,
        "team": team,
        "agent": agent,
        "product": product,
        "segment": segment,
        "region": region,
        "key_account": key_account,
        "category": category,
    }
    filters = {k: v for k, v in values.items() if v}
    filters.update(service.scope_filters(principal))
    query = service.KpiQuery(
        kpi=kpi,
        start=start or last - timedelta(days=89),
        end=last,
        grain=grain,
        by=by,
        filters=filters,
        compare=compare,
        confidence=confidence,
        min_n=min_n,
        sort=sort,
        limit=limit,
        only_min_n=only_min_n,
    )
    # DuckDB and the database driver block: keep the event loop free.
    return await run_in_threadpool(service.compute, runtime, query, engine=engine)
