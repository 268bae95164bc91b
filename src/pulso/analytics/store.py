"""The embedded analytic store: a DuckDB file holding the facts and their daily rollups.

One process owns the file (DuckDB allows one writer process); in it the store is shared by threads,
each using its own cursor. Facts arrive as Arrow batches from the operational store (DuckDB cannot
attach SQLite or PostgreSQL here: its scanner extensions would be downloaded at run time).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Engine, create_engine, pool

from pulso.analytics.facts import (
    BUCKETS_PER_DOUBLING,
    DURATION_BUCKETS,
    DURATION_FACTS,
    DURATION_HISTOGRAMS,
    FEEDBACK_COLUMNS,
    INTERACTION_COLUMNS,
    INTERACTION_ROLLUPS,
    ROLLUP_MEASURES,
    ROLLUPS,
    Rollup,
    duration_bucket_sql,
    duration_facts_select,
    histogram_select,
    interaction_rollup_select,
)
from pulso.config import Settings
from pulso.kit.errors import Conflict
from pulso.kit.sqlexpr import checked_timezone

SCHEMA_VERSION = "2"  # 2: feedback facts carry sentiment and topics
UNSORTED_DURATIONS = "duration_facts_unsorted"  # rows of duration_facts appended since its last sort


class AnalyticStoreBusy(Conflict):
    """Another process holds the analytic store (DuckDB allows one writing process)."""


def _config(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {"memory_limit": settings.analytics_memory_limit}
    if settings.analytics_threads:
        config["threads"] = settings.analytics_threads
    return config


class AnalyticStore:
    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path | None, config: dict[str, Any]) -> None:
        self._con = connection
        self.path = path
        self._config = config
        self.lock = threading.RLock()  # one writer at a time inside the process
        self._engine: Engine | None = None
        self.ensure_schema()

    @classmethod
    def open(cls, settings: Settings) -> AnalyticStore:
        path = settings.resolved_analytics_path
        path.parent.mkdir(parents=True, exist_ok=True)
        config = _config(settings)
        try:
            con = duckdb.connect(str(path), config=config)
        except duckdb.IOException as exc:
            raise AnalyticStoreBusy(
                f"the analytic store {path} is in use by another process (a running `pulso serve`?); "
                "it syncs by itself / el almacén analítico está en uso por otro proceso"
            ) from exc
        return cls(con, path, config)

    @classmethod
    def in_memory(cls) -> AnalyticStore:
        return cls(duckdb.connect(":memory:"), None, {})

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        self._con.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for the calling thread."""
        return self._con.cursor()

    @property
    def engine(self) -> Engine:
        """A SQLAlchemy engine over the same DuckDB database, for the KPI query builder."""
        if self._engine is None:
            from duckdb_engine import ConnectionWrapper

            con = self._con
            # Each SQLAlchemy connection is a cursor on this store's database (not a new database).
            self._engine = create_engine(
                "duckdb:///:memory:", creator=lambda: ConnectionWrapper(con.cursor()), poolclass=pool.NullPool
            )
            # duckdb_engine turns SQLAlchemy's compiled-statement cache off (its dialect sets
            # supports_statement_cache = False, untested rather than unsafe); the KPI queries are large
            # Core statements compiled again on every call, ~30-100 ms each for the duration ones. Their
            # SQL is plain PostgreSQL-style text with positional binds, which caches like any dialect's
            # (tests/metrics and tests/analytics run every KPI shape through it).
            self._engine.dialect._supports_statement_cache = True
        return self._engine

    # ----------------------------------------------------------------- schema and state

    def ensure_schema(self) -> None:
        with self.lock:
            cur = self.cursor()
            cur.execute("CREATE TABLE IF NOT EXISTS sync_state (key VARCHAR PRIMARY KEY, value VARCHAR)")
            stored = self.state("schema_version")
            if stored is not None and stored != SCHEMA_VERSION:
                self.drop_all()
            feedback_cols = ", ".join(f"{n} {t}" for n, t, _ in FEEDBACK_COLUMNS)
            cur.execute(f"CREATE TABLE IF NOT EXISTS feedback_facts ({feedback_cols}, local_day DATE)")
            interaction_cols = ", ".join(f"{n} {t}" for n, t, _ in INTERACTION_COLUMNS)
            buckets = "".join(f", {b} BIGINT" for b in DURATION_BUCKETS.values())
            cur.execute(f"CREATE TABLE IF NOT EXISTS interaction_facts ({interaction_cols}, local_day DATE{buckets})")
            for rollup in ROLLUPS:
                cur.execute(f"CREATE TABLE IF NOT EXISTS {rollup.name} AS {self._rollup_select(rollup)} LIMIT 0")
            self._ensure_duration_histograms()
            self.set_state("schema_version", SCHEMA_VERSION)

    def _ensure_duration_histograms(self) -> None:
        """Bucket columns and duration histograms, made from the facts for a store made before them
        or with another bucket width (the width is kept in sync_state)."""
        cur = self.cursor()

        def exists(sql: str, name: str) -> bool:
            row = cur.execute(sql, [name]).fetchone()
            return bool(row and row[0])

        width = str(BUCKETS_PER_DOUBLING)
        rebucket = self.state("duration_buckets") != width
        columns = "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'interaction_facts' AND column_name = ?"
        for bucket in DURATION_BUCKETS.values():
            if not exists(columns, bucket):
                cur.execute(f"ALTER TABLE interaction_facts ADD COLUMN {bucket} BIGINT")
                rebucket = True
        if rebucket:
            sets = ", ".join(f"{b} = {duration_bucket_sql(m)}" for m, b in DURATION_BUCKETS.items())
            cur.execute(f"UPDATE interaction_facts SET {sets}")
        tables = "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?"
        for histogram in DURATION_HISTOGRAMS:
            if rebucket or not exists(tables, histogram.name):
                cur.execute(f"CREATE OR REPLACE TABLE {histogram.name} AS {histogram_select(histogram)}")
        self.set_state("duration_buckets", width)
        if rebucket or not exists(tables, DURATION_FACTS) or self._duration_facts_unsorted():
            cur.execute(f"CREATE OR REPLACE TABLE {DURATION_FACTS} AS {duration_facts_select()}")
            self.set_state(UNSORTED_DURATIONS, "0")
        for rollup in INTERACTION_ROLLUPS:
            if not exists(tables, rollup.name):
                cur.execute(f"CREATE TABLE {rollup.name} AS {interaction_rollup_select(rollup)}")

    def _duration_facts_unsorted(self) -> bool:
        """Whether a tenth or more of duration_facts came from incremental syncs (appended after the
        sorted part, their row groups span many buckets): then the table is sorted anew on opening."""
        appended = int(self.state(UNSORTED_DURATIONS) or 0)
        if not appended:
            return False
        row = self.cursor().execute(f"SELECT count(*) FROM {DURATION_FACTS}").fetchone()
        return row is not None and appended * 10 >= row[0]

    def drop_all(self) -> None:
        with self.lock:
            cur = self.cursor()
            for name in (
                "feedback_facts",
                "interaction_facts",
                *(r.name for r in ROLLUPS),
                *(h.name for h in DURATION_HISTOGRAMS),
                DURATION_FACTS,
                *(r.name for r in INTERACTION_ROLLUPS),
            ):
                cur.execute(f"DROP TABLE IF EXISTS {name}")
            cur.execute("DELETE FROM sync_state")

    def state(self, key: str) -> str | None:
        row = self.cursor().execute("SELECT value FROM sync_state WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        self.cursor().execute(
            "INSERT INTO sync_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    @property
    def watermark(self) -> int:
        return int(self.state("watermark") or 0)

    @property
    def timezone(self) -> str | None:
        return self.state("timezone")

    # ----------------------------------------------------------------- applying changes

    @contextmanager
    def applying(self) -> Iterator[ChangeSet]:
        """A DuckDB transaction in which one sync's batches are staged and then applied at once."""
        with self.lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            changes = ChangeSet(cur)
            try:
                yield changes
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                changes.drop_staging()

    @staticmethod
    def _rollup_select(rollup: Rollup, where: str = "") -> str:
        dims = ", ".join(rollup.dimensions)
        measures = ", ".join(f"{expr} AS {name}" for name, expr in ROLLUP_MEASURES)
        group = ", ".join(("local_day", *rollup.dimensions))
        select_dims = f"local_day, {dims}, " if dims else "local_day, "
        return f"SELECT {select_dims}{measures} FROM feedback_facts {where} GROUP BY {group}"

    def counts(self) -> dict[str, int]:
        cur = self.cursor()
        return {
            name: int(cur.execute(f"SELECT count(*) FROM {name}").fetchone()[0])  # type: ignore[index]
            for name in ("feedback_facts", "interaction_facts")
        }


_FACTS = {
    "feedback": ("feedback_facts", "received_at", FEEDBACK_COLUMNS),
    "interactions": ("interaction_facts", "opened_at", INTERACTION_COLUMNS),
}


class ChangeSet:
    """The changes of one sync, applied to facts and rollups inside the store's transaction.

    Batches are staged, then `flush` moves them into the fact tables (replacing older copies of the
    same facts); a follower flushes after each read round, a plain sync once. `apply` flushes, applies
    deletions, refreshes the rollups of the feedback days touched, and moves the watermark.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cur = cursor
        self._staged: set[str] = set()
        self._temp: set[str] = set()
        self.feedback_rows = 0
        self.interaction_rows = 0
        self.deleted = 0
        # Days whose feedback (interactions) changed: their rollup (histogram) rows are recomputed.
        self.cur.execute("CREATE OR REPLACE TEMP TABLE touched_days (local_day DATE)")
        self.cur.execute("CREATE OR REPLACE TEMP TABLE touched_interaction_days (local_day DATE)")
        self._temp.update(("touched_days", "touched_interaction_days"))

    def stage(self, fact: str, batch: pa.Table) -> None:
        """Append an Arrow batch of changed facts to the staging table of `fact`."""
        name = f"staged_{fact}"
        self.cur.register("_incoming", batch)
        try:
            if name not in self._temp:
                self.cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _incoming")
                self._temp.add(name)
            else:
                self.cur.execute(f"INSERT INTO {name} SELECT * FROM _incoming")
        finally:
            self.cur.unregister("_incoming")
        self._staged.add(fact)
        if fact == "feedback":
            self.feedback_rows += batch.num_rows
        else:
            self.interaction_rows += batch.num_rows

    def stage_deletions(self, fact: str, ids: list[int]) -> None:
        if not ids:
            return
        name = f"deleted_{fact}"
        if name not in self._temp:
            self.cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} (id BIGINT)")
            self._temp.add(name)
        self.cur.executemany(f"INSERT INTO {name} VALUES (?)", [[i] for i in ids])
        self.deleted += len(ids)

    def flush(self, *, timezone: str) -> None:
        """Move the staged facts into the fact tables (each staged fact read once since the last flush)."""
        tz = checked_timezone(timezone)
        for fact in sorted(self._staged):
            table, time_column, columns = _FACTS[fact]
            staged = f"staged_{fact}"
            self._touch(fact, f"SELECT DISTINCT f.local_day FROM {table} f SEMI JOIN {staged} s ON f.id = s.id")
            self.cur.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {staged})")
            names = [n for n, _, _ in columns] + ["local_day"]
            values = [f"CAST({n} AS {t})" for n, t, _ in columns]
            values.append(f"CAST(timezone('{tz}', CAST({time_column} AS TIMESTAMPTZ)) AS DATE)")
            if fact == "interactions":
                # Each duration's histogram bucket, from the value as stored (DOUBLE).
                names += list(DURATION_BUCKETS.values())
                values += [duration_bucket_sql(f"CAST({m} AS DOUBLE)") for m in DURATION_BUCKETS]
            self.cur.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} FROM {staged}")
            self._touch(fact, f"SELECT DISTINCT local_day FROM {staged_days(staged, time_column, tz)}")
            self.cur.execute(f"DELETE FROM {staged}")
        self._staged.clear()

    def apply(self, *, timezone: str, watermark: int) -> None:
        tz = checked_timezone(timezone)
        self.flush(timezone=tz)
        for fact, (table, _, _) in _FACTS.items():
            deleted = f"deleted_{fact}"
            if deleted in self._temp:
                self._touch(fact, f"SELECT DISTINCT f.local_day FROM {table} f SEMI JOIN {deleted} d ON f.id = d.id")
                self.cur.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {deleted})")
        self._refresh_rollups()
        self.cur.execute(
            "INSERT INTO sync_state VALUES ('watermark', ?), ('timezone', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [str(watermark), tz],
        )

    def _touch(self, fact: str, days_query: str) -> None:
        days = "touched_days" if fact == "feedback" else "touched_interaction_days"
        self.cur.execute(f"INSERT INTO {days} {days_query}")

    def _refresh_rollups(self) -> None:
        cur = self.cur
        full = self._touched_all("touched_days", "feedback_facts")
        if full is not None:
            for rollup in ROLLUPS:
                if full:
                    cur.execute(f"DELETE FROM {rollup.name}")
                    cur.execute(f"INSERT INTO {rollup.name} {AnalyticStore._rollup_select(rollup)}")
                else:
                    cur.execute(f"DELETE FROM {rollup.name} WHERE local_day IN (SELECT local_day FROM touched_days)")
                    where = "WHERE local_day IN (SELECT local_day FROM touched_days)"
                    cur.execute(f"INSERT INTO {rollup.name} {AnalyticStore._rollup_select(rollup, where)}")
        full = self._touched_all("touched_interaction_days", "interaction_facts")
        if full is not None:
            days = "local_day IN (SELECT local_day FROM touched_interaction_days)"
            for histogram in DURATION_HISTOGRAMS:
                cur.execute(f"DELETE FROM {histogram.name}" + ("" if full else f" WHERE {days}"))
                cur.execute(f"INSERT INTO {histogram.name} {histogram_select(histogram, '' if full else days)}")
            for rollup in INTERACTION_ROLLUPS:
                cur.execute(f"DELETE FROM {rollup.name}" + ("" if full else f" WHERE {days}"))
                cur.execute(f"INSERT INTO {rollup.name} {interaction_rollup_select(rollup, '' if full else days)}")
            cur.execute(f"DELETE FROM {DURATION_FACTS}" + ("" if full else f" WHERE {days}"))
            inserted = cur.execute(f"INSERT INTO {DURATION_FACTS} {duration_facts_select('' if full else days)}")
            row = inserted.fetchone()
            appended = 0
            if not full:
                before = cur.execute("SELECT value FROM sync_state WHERE key = ?", [UNSORTED_DURATIONS]).fetchone()
                appended = int(before[0] if before else 0) + (int(row[0]) if row else 0)
            cur.execute(
                "INSERT INTO sync_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [UNSORTED_DURATIONS, str(appended)],
            )

    def _touched_all(self, touched: str, facts: str) -> bool | None:
        """None when no day was touched; else whether the touched days are half the fact days or more."""
        row = self.cur.execute(f"SELECT count(DISTINCT local_day) FROM {touched}").fetchone()
        if row is None or row[0] == 0:
            return None
        total_days = self.cur.execute(f"SELECT count(DISTINCT local_day) FROM {facts}").fetchone()
        return total_days is not None and row[0] * 2 >= total_days[0]

    def drop_staging(self) -> None:
        for name in self._temp:
            self.cur.execute(f"DROP TABLE IF EXISTS {name}")
        self._temp.clear()


def staged_days(staged: str, time_column: str, tz: str) -> str:
    """A subquery of the local days of the staged facts."""
    return f"(SELECT CAST(timezone('{tz}', CAST({time_column} AS TIMESTAMPTZ)) AS DATE) AS local_day FROM {staged})"
