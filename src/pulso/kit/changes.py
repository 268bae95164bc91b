"""Change versions: how every change to a fact reaches the analytic store.

Each write transaction that touches a fact table takes one version number from a counter row. The
row lock (PostgreSQL) or the database write lock (SQLite, BEGIN IMMEDIATE) is held until commit, so
versions become visible in the order they were handed out, and a reader that has seen version V
has seen every change with a version at or below V. See docs/adr/0002-two-stores.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Table, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from pulso.kit.db import Base

FACTS_COUNTER = "facts"


class ChangeCounter(Base):
    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class FactDeletion(Base):
    """A tombstone, so that a fact removed here (erasure, undo of an import) leaves the analytic store too."""

    __tablename__ = "fact_deletions"
    __table_args__ = (Index("ix_fact_deletions_version", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fact: Mapped[str] = mapped_column(String(40))
    fact_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(BigInteger)


class Versioned:
    """Mixin for fact tables: `version` is set on every insert and update, automatically."""

    __fact__: str
    version: Mapped[int] = mapped_column(BigInteger, default=0, index=True)


_TXN_KEY = "pulso_change_version"


def next_version(session: Session) -> int:
    """The version of the current transaction's fact changes, allocated once per transaction."""
    txn = session.get_transaction()
    cached = session.info.get(_TXN_KEY)
    if cached is not None and cached[0] is txn:
        return int(cached[1])
    stmt = (
        update(ChangeCounter)
        .where(ChangeCounter.name == FACTS_COUNTER)
        .values(value=ChangeCounter.value + 1)
        .returning(ChangeCounter.value)
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        session.execute(insert(ChangeCounter).values(name=FACTS_COUNTER, value=1))
        value = 1
    session.info[_TXN_KEY] = (txn, value)
    return int(value)


def current_version(session: Session) -> int:
    """The highest version committed so far (0 on an empty store)."""
    value = session.execute(select(ChangeCounter.value).where(ChangeCounter.name == FACTS_COUNTER)).scalar_one_or_none()
    return int(value or 0)


@event.listens_for(Session, "before_flush")
def _stamp_versions(session: Session, _context: Any, _instances: Any) -> None:
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, Versioned)]
    changed = [o for o in changed if o in session.new or session.is_modified(o)]
    deleted = [o for o in session.deleted if isinstance(o, Versioned)]
    if not changed and not deleted:
        return
    version = next_version(session)
    for obj in changed:
        obj.version = version
    for obj in deleted:
        session.add(FactDeletion(fact=obj.__fact__, fact_id=obj.id, version=version))  # type: ignore[attr-defined]


def reversion_facts_of(session: Session, column: str, ids: Sequence[int]) -> int:
    """Give every fact whose `column` (e.g. customer_id) is in `ids` this transaction's version.

    Facts copy some attributes of what they point to (a customer's segment, a touchpoint's stage)
    into the analytic store; when those change, this makes the next sync copy the facts again.
    """
    if not ids:
        return 0
    version = next_version(session)
    touched = 0
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, Versioned) and column in mapper.columns:
            table: Table = cls.__table__  # type: ignore[attr-defined]
            for start in range(0, len(ids), 10_000):
                chunk = list(ids[start : start + 10_000])
                result = session.execute(update(table).where(table.c[column].in_(chunk)).values(version=version))
                touched += int(getattr(result, "rowcount", 0) or 0)
    return touched
