"""Public entry points of the analytic store: sync, consistency check, rebuild."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Select, func, select
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.analytics.facts import (
    FEEDBACK_COLUMNS,
    INTERACTION_COLUMNS,
    operational_feedback,
    operational_interactions,
)
from pulso.analytics.store import AnalyticStore
from pulso.feedback.models import Feedback
from pulso.interactions.models import Interaction
from pulso.kit.changes import FactDeletion, current_version
from pulso.runtime import Runtime

log = logging.getLogger(__name__)

BATCH_ROWS = 250_000

_ARROW_TYPES = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "SMALLINT": pa.int16(),
    "TINYINT": pa.int8(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR": pa.string(),
}


@dataclass(frozen=True, slots=True)
class SyncResult:
    from_version: int
    to_version: int
    feedback_rows: int
    interaction_rows: int
    deleted: int
    seconds: float

    @property
    def changed(self) -> bool:
        return self.to_version != self.from_version


@dataclass(frozen=True, slots=True)
class FactCheck:
    fact: str
    operational: dict[str, float]
    analytic: dict[str, float]

    @property
    def consistent(self) -> bool:
        return all(abs(self.operational[k] - self.analytic.get(k, float("nan"))) < 1e-6 for k in self.operational)


@dataclass(frozen=True, slots=True)
class ConsistencyReport:
    operational_version: int
    analytic_version: int
    facts: list[FactCheck] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return self.operational_version == self.analytic_version and all(f.consistent for f in self.facts)


def _arrow_batches(
    conn: Connection, query: Select[Any], columns: tuple[tuple[str, str, Any], ...], time_column: str
) -> Iterator[pa.Table]:
    dialect = conn.dialect.name
    result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(query)
    names = [n for n, _, _ in columns]
    for rows in result.partitions(BATCH_ROWS):
        values = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        arrays = []
        for (name, duck_type, _), column in zip(columns, values, strict=True):
            if name == time_column:
                if dialect == "sqlite":  # naive UTC text, parsed in bulk by Arrow
                    array = pa.array(column, pa.string()).cast(pa.timestamp("us")).cast(pa.timestamp("us", "UTC"))
                else:
                    array = pa.array(column, pa.timestamp("us", "UTC"))
            else:
                array = pa.array(column, _ARROW_TYPES[duck_type])
            arrays.append(array)
        yield pa.Table.from_arrays(arrays, names=names)


def _changed_since(query: Select[Any], model: Any, low: int, high: int) -> Select[Any]:
    return query.where(model.version > low, model.version <= high).order_by(model.version)


def sync_store(session: Session, store: AnalyticStore, *, full: bool = False) -> SyncResult:
    """Copy every fact change committed since the store's watermark; one DuckDB transaction."""
    started = time.perf_counter()
    tz = accounts.organization_timezone(session, default="UTC")
    if store.timezone not in (None, tz):
        log.info("organisation time zone changed (%s -> %s): rebuilding the analytic store", store.timezone, tz)
        full = True
    if full:
        store.drop_all()
        store.ensure_schema()
    low = store.watermark
    high = current_version(session)
    if high == low:
        return SyncResult(low, high, 0, 0, 0, time.perf_counter() - started)
    conn = session.connection()
    with store.applying() as changes:
        feedback_q = _changed_since(operational_feedback(raw_timestamps=True), Feedback, low, high)
        for batch in _arrow_batches(conn, feedback_q, FEEDBACK_COLUMNS, "received_at"):
            changes.stage("feedback", batch)
        interactions_q = _changed_since(operational_interactions(raw_timestamps=True), Interaction, low, high)
        for batch in _arrow_batches(conn, interactions_q, INTERACTION_COLUMNS, "opened_at"):
            changes.stage("interactions", batch)
        deletions = session.execute(
            select(FactDeletion.fact, FactDeletion.fact_id).where(
                FactDeletion.version > low, FactDeletion.version <= high
            )
        ).all()
        for fact in ("feedback", "interactions"):
            changes.stage_deletions(fact, [fid for f, fid in deletions if f == fact])
        changes.apply(timezone=tz, watermark=high)
    seconds = time.perf_counter() - started
    log.info(
        "analytic sync %s -> %s: %s feedback, %s interactions, %s deleted in %.2fs",
        low,
        high,
        changes.feedback_rows,
        changes.interaction_rows,
        changes.deleted,
        seconds,
    )
    return SyncResult(low, high, changes.feedback_rows, changes.interaction_rows, changes.deleted, seconds)


def sync(runtime: Runtime, *, full: bool = False) -> SyncResult:
    """Bring the runtime's analytic store up to date with its operational store."""
    store = runtime.analytics
    # A repeatable snapshot: the rows read and the version bound come from one read transaction.
    with runtime.sessions() as session, session.begin():
        return sync_store(session, store, full=full)


def rebuild(runtime: Runtime) -> SyncResult:
    """Drop the analytic copy and copy every fact again."""
    return sync(runtime, full=True)


_CHECK_MEASURES = ("rows", "id_sum", "version_sum", "nps_sum", "csat_sum", "ces_sum")


def _fingerprint_query(source: Any, score_columns: tuple[str, ...]) -> Select[Any]:
    c = source.c
    exprs = [
        func.count().label("rows"),
        func.coalesce(func.sum(c.id), 0).label("id_sum"),
        func.coalesce(func.sum(c.version), 0).label("version_sum"),
    ]
    exprs += [func.coalesce(func.sum(c[name]), 0).label(f"{name}_sum") for name in score_columns]
    return select(*exprs)


def check(runtime: Runtime) -> ConsistencyReport:
    """Compare counts and sums of every fact between the operational and the analytic store."""
    from pulso.analytics.facts import feedback_facts, interaction_facts

    store = runtime.analytics
    with runtime.sessions() as session, session.begin():
        op_version = current_version(session)
        facts: list[FactCheck] = []
        pairs = (
            ("feedback", operational_feedback().subquery(), feedback_facts, ("nps", "csat", "ces")),
            (
                "interactions",
                operational_interactions().subquery(),
                interaction_facts,
                ("contacts_to_resolve",),
            ),
        )
        for fact, op_source, an_source, scores in pairs:
            op_row = session.execute(_fingerprint_query(op_source, scores)).mappings().one()
            with store.engine.connect() as conn:
                an_row = conn.execute(_fingerprint_query(an_source, scores)).mappings().one()
            facts.append(
                FactCheck(fact, {k: float(v) for k, v in op_row.items()}, {k: float(v) for k, v in an_row.items()})
            )
    return ConsistencyReport(op_version, store.watermark, facts)
