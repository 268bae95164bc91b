"""The operational store: declarative base, engine and session factory, UTC timestamps."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, Select, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

AnySelect = Select[*tuple[Any, ...]]

# Fixed constraint names, so that Alembic migrations are the same on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Pulso stores aware UTC timestamps only")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: keep naive UTC so text comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant, aware, in UTC (the only place that reads the wall clock)."""
    return datetime.now(UTC)


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A 64 MiB page cache (the default is 2 MiB) keeps the indexes of a bulk import in memory, and
    # the import's staging tables live in memory too.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()
    from pulso.kit.sqlfuncs import register_sqlite_functions

    register_sqlite_functions(dbapi_connection)


READ_ONLY = {"pulso_read_only": True}


def _sqlite_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers never deadlock on upgrade
    # and change versions are handed out in commit order. Connections marked read-only
    # (engine.execution_options(**READ_ONLY)) begin deferred and never block a writer.
    if conn.get_execution_options().get("pulso_read_only"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for the operational store, configured for SQLite or PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commits when the block ends, rolls back on any error."""
    with factory() as session, session.begin():
        yield session
