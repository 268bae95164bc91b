"""Public entry points of the analytic store: sync, consistency check, rebuild."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import URL, Connection, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.analytics.facts import (
    FEEDBACK_COLUMNS,
    INTERACTION_COLUMNS,
    operational_feedback,
    operational_interactions,
)
from pulso.analytics.reader import SqliteReader, read_batches
from pulso.analytics.store import AnalyticStore, AnalyticStoreBusy, ChangeSet
from pulso.feedback.models import Feedback
from pulso.interactions.models import Interaction
from pulso.kit.changes import FactDeletion, current_version
from pulso.kit.db import READ_ONLY, AnySelect
from pulso.runtime import Runtime

log = logging.getLogger(__name__)

BATCH_ROWS = 250_000
# From this many changed rows on, read them with the ADBC driver (bulk) rather than the DB-API cursor.
BULK_ROWS = 50_000

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


def _sentinel(columns: tuple[tuple[str, str, Any], ...], time_column: str) -> AnySelect:
    """One typed row (id -1) that fixes the column types the SQLite ADBC driver infers from values."""
    samples = {"VARCHAR": "s", "DOUBLE": 0.5, "BOOLEAN": 0}
    values = [
        literal("1970-01-01 00:00:00.000000").label(name)
        if name == time_column
        else literal(-1 if name == "id" else samples.get(duck_type, 0)).label(name)
        for name, duck_type, _ in columns
    ]
    return select(*values)


def _to_schema(table: pa.Table, columns: tuple[tuple[str, str, Any], ...], time_column: str) -> pa.Table:
    names = [n for n, _, _ in columns]
    table = table.rename_columns(names)
    stamps = table[time_column]
    if not pa.types.is_timestamp(stamps.type):
        # SQLite keeps naive UTC text; parse it in bulk with Arrow.
        stamps = stamps.cast(pa.string()).cast(pa.timestamp("us"))
    table = table.set_column(names.index(time_column), time_column, stamps.cast(pa.timestamp("us", "UTC")))
    schema = pa.schema([(n, pa.timestamp("us", "UTC") if n == time_column else _ARROW_TYPES[t]) for n, t, _ in columns])
    return table.cast(schema)


def _read_small(
    conn: Connection, query: AnySelect, columns: tuple[tuple[str, str, Any], ...], time_column: str
) -> Iterator[pa.Table]:
    """A few changes: the DB-API cursor of the sync's own transaction, without ORM row processing."""
    compiled = query.compile(dialect=conn.dialect)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    params: Any = (
        [compiled.params[name] for name in compiled.positiontup]
        if compiled.positiontup is not None
        else compiled.params
    )
    cursor.execute(str(compiled), params)
    names = [n for n, _, _ in columns]
    while rows := cursor.fetchmany(BATCH_ROWS):
        arrays = [pa.array(values) for values in zip(*rows, strict=True)]
        yield _to_schema(pa.Table.from_arrays(arrays, names=names), columns, time_column)
    cursor.close()


def _read_bulk(
    url: URL, query: AnySelect, columns: tuple[tuple[str, str, Any], ...], time_column: str, readers: _Readers
) -> Iterator[pa.Table]:
    """Many changes: Arrow straight from the database's ADBC driver (analytics/reader.py)."""
    if url.get_backend_name() == "sqlite":
        # The SQLite driver infers types from values; a typed first row (id -1) fixes them.
        query = union_all(_sentinel(columns, time_column), select(query.subquery()))  # type: ignore[assignment]
        dialect: Any = sqlite.dialect(paramstyle="qmark")
    else:
        dialect = postgresql.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]
    compiled = query.compile(dialect=dialect)
    params = [compiled.params[name] for name in compiled.positiontup or ()]
    if url.get_backend_name() == "sqlite":
        backend, target = "sqlite", str(url.database)
    else:
        backend, target = "postgresql", url.set(drivername="postgresql").render_as_string(hide_password=False)
    reader = readers.sqlite(target) if backend == "sqlite" else None
    for batch in read_batches(backend, target, str(compiled), params, BATCH_ROWS, reader):
        table = pa.Table.from_batches([batch])
        if table.num_rows and table.column(0)[0].as_py() == -1:
            table = table.slice(1)  # the sentinel comes first: slicing is free, filtering copies
        if pc.any(pc.equal(table.column(0), -1)).as_py():
            table = table.filter(pc.not_equal(table.column(0), -1))
        if table.num_rows:
            yield _to_schema(table, columns, time_column)


def _read_changes(
    session: Session,
    query: AnySelect,
    model: Any,
    low: int,
    high: int,
    columns: tuple[tuple[str, str, Any], ...],
    time_column: str,
    readers: _Readers,
) -> Iterator[pa.Table]:
    count = session.execute(
        select(func.count()).select_from(model).where(model.version > low, model.version <= high)
    ).scalar_one()
    if count == 0:
        return
    changed = _changed_since(query, model, low, high)
    if count < BULK_ROWS:
        yield from _read_small(session.connection(), changed, columns, time_column)
    else:
        # Versions <= high are all committed (ADR 0002), so another connection reads exactly them.
        yield from _read_bulk(session.get_bind().engine.url, changed, columns, time_column, readers)


def _changed_since(query: AnySelect, model: Any, low: int, high: int) -> AnySelect:
    # No ORDER BY: each fact appears once, and sorting a million rows in SQLite costs a second.
    return query.where(model.version > low, model.version <= high)


def _stage_changes(session: Session, changes: ChangeSet, low: int, high: int, readers: _Readers) -> None:
    """Stage the facts changed in (low, high] into `changes`."""
    for batch in _read_changes(
        session,
        operational_feedback(raw_timestamps=True),
        Feedback,
        low,
        high,
        FEEDBACK_COLUMNS,
        "received_at",
        readers,
    ):
        changes.stage("feedback", batch)
    for batch in _read_changes(
        session,
        operational_interactions(raw_timestamps=True),
        Interaction,
        low,
        high,
        INTERACTION_COLUMNS,
        "opened_at",
        readers,
    ):
        changes.stage("interactions", batch)


def _stage_deletions(session: Session, changes: ChangeSet, low: int, high: int) -> None:
    deletions = session.execute(
        select(FactDeletion.fact, FactDeletion.fact_id).where(FactDeletion.version > low, FactDeletion.version <= high)
    ).all()
    for fact in ("feedback", "interactions"):
        changes.stage_deletions(fact, [fid for f, fid in deletions if f == fact])


class _Readers:
    """The bulk reader child of one sync or follower, started on first use and closed at the end."""

    def __init__(self, store: AnalyticStore) -> None:
        self._scratch = store.path.parent if store.path else None
        self._sqlite: SqliteReader | None = None

    def sqlite(self, path: str) -> SqliteReader:
        if self._sqlite is None:
            self._sqlite = SqliteReader(path, self._scratch)
        return self._sqlite

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None


def _result(low: int, high: int, changes: ChangeSet, started: float) -> SyncResult:
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


def sync_store(session: Session, store: AnalyticStore, *, full: bool = False) -> SyncResult:
    """Copy every fact change committed since the store's watermark; one DuckDB transaction."""
    started = time.perf_counter()
    tz = accounts.organization_timezone(session, default="UTC")
    if store.timezone not in (None, tz):
        log.info("organisation time zone changed (%s -> %s): rebuilding the analytic store", store.timezone, tz)
        full = True
    # The watermark is read under the store's lock, so two syncs in one process never overlap.
    with store.lock:
        if full:
            store.drop_all()
            store.ensure_schema()
        low = store.watermark
        high = current_version(session)
        if high < low:
            # The copy is ahead of its source: the operational store was replaced. Copy it afresh.
            log.warning("analytic store at version %s, operational store at %s: rebuilding", low, high)
            store.drop_all()
            store.ensure_schema()
            low = 0
        if high == low:
            return SyncResult(low, high, 0, 0, 0, time.perf_counter() - started)
        readers = _Readers(store)
        with store.applying() as changes:
            try:
                _stage_changes(session, changes, low, high, readers)
            finally:
                readers.close()
            _stage_deletions(session, changes, low, high)
            changes.apply(timezone=tz, watermark=high)
    return _result(low, high, changes, started)


def sync(runtime: Runtime, *, full: bool = False) -> SyncResult:
    """Bring the runtime's analytic store up to date with its operational store."""
    store = runtime.analytics
    # A repeatable snapshot: the rows read and the version bound come from one read transaction.
    with runtime.sessions() as session, session.begin():
        return sync_store(session, store, full=full)


def rebuild(runtime: Runtime) -> SyncResult:
    """Drop the analytic copy and copy every fact again."""
    return sync(runtime, full=True)


def _fingerprint_query(source: Any, score_columns: tuple[str, ...]) -> AnySelect:
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


class Follower:
    """Copies fact changes to the analytic store while a bulk writer (an import) is still writing.

    A background thread reads each newly committed version range as soon as it is committed (on the
    other core: the bulk reader is a child process) and stages it in one open DuckDB transaction;
    `finish()` reads the last range and applies everything at once, exactly as one `sync` would:
    one transaction, one rollup refresh, one watermark move.
    """

    def __init__(self, runtime: Runtime, *, interval: float = 0.2) -> None:
        self.runtime = runtime
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pulso-analytic-follower", daemon=True)
        self._error: BaseException | None = None
        self._result: SyncResult | None = None
        self._busy = False
        self._rebuild = False
        self._abort = False
        self._stop_time = 0.0

    def __enter__(self) -> Follower:
        self._thread.start()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._thread.is_alive():
            self._abort = exc is not None
            self._stop_time = time.perf_counter()
            self._stop.set()
            self._thread.join()

    def finish(self) -> SyncResult | None:
        """Apply what was staged plus the last changes; None when another process owns the store."""
        self._stop_time = time.perf_counter()
        self._stop.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._busy:
            return None
        if self._rebuild:
            return sync(self.runtime, full=True)
        return self._result

    def _read_session(self) -> Session:
        return Session(bind=self.runtime.engine.execution_options(**READ_ONLY))

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            store = self.runtime.analytics
        except AnalyticStoreBusy:
            self._busy = True
            return
        try:
            with self._read_session() as session, session.begin():
                tz = accounts.organization_timezone(session, default="UTC")
            if store.timezone not in (None, tz):
                self._rebuild = True
                return
            readers = _Readers(store)
            with store.lock, store.applying() as changes, contextlib.closing(readers):
                low = last = store.watermark
                while True:
                    stopping = self._stop.is_set()  # read first: the final round sees every commit before finish()
                    with self._read_session() as session, session.begin():
                        high = current_version(session)
                        if high > last:
                            _stage_changes(session, changes, last, high, readers)
                            last = high
                    # Into the fact tables now, in parallel with the writer; rollups wait for the end.
                    changes.flush(timezone=tz)
                    if stopping:
                        break
                    self._stop.wait(self.interval)
                if self._abort:
                    raise _Aborted
                stopped = time.perf_counter()
                with self._read_session() as session, session.begin():
                    _stage_deletions(session, changes, low, last)
                changes.apply(timezone=tz, watermark=last)
                applied = time.perf_counter()
            log.debug(
                "follower: last round %.2fs, apply %.2fs, commit %.2fs",
                stopped - self._stop_time,
                applied - stopped,
                time.perf_counter() - applied,
            )
            self._result = _result(low, last, changes, started)
        except _Aborted:
            return
        except BaseException as exc:  # handed to finish() in the calling thread
            self._error = exc


class _Aborted(Exception):
    """The writer failed: roll the staged changes back (the next sync starts from the old watermark)."""
