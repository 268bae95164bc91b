"""Queries on the interactions table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from pulso.interactions.enums import Channel, InteractionStatus
from pulso.interactions.models import Interaction
from pulso.kit import bulk

TABLE = Interaction.__tablename__


def ids_by_key(session: Session, keys: pl.DataFrame) -> pl.DataFrame:
    """(source, external_id, id) of the interactions among `keys` (source, external_id) that exist."""
    found = []
    for (source,), group in keys.unique().group_by(["source"]):
        values = group["external_id"].drop_nulls().to_list()
        part = bulk.lookup(session, TABLE, "external_id", values, where={"source": str(source)})
        found.append(part.with_columns(source=pl.lit(str(source))))
    if not found:
        return pl.DataFrame(schema={"source": pl.String, "external_id": pl.String, "id": pl.Int64})
    return pl.concat(found).select("source", "external_id", "id")


def upsert(
    session: Session,
    frame: pl.DataFrame,
    *,
    import_id: int | None,
    version: int,
    now: datetime,
    source: str | None = None,
) -> bulk.UpsertCounts:
    """Insert or update interactions by (source, external_id); only the columns in `frame` are written.

    `source`, when given, is every row's source (and `frame` has no source column).
    """
    key = ("source", "external_id")
    columns = tuple(frame.columns)
    constants: dict[str, Any] = {"import_id": import_id, "version": version, "created_at": now, "updated_at": now}
    if source is not None:
        constants = {"source": source, **constants}
    if "extras" not in columns:
        constants["extras"] = "{}"
    if "status" not in columns:
        constants["status"] = "open"
    bulk.verify_checks(
        frame,
        ranges={"contacts_to_resolve": (-32768, 32767)},
        allowed={"channel": [c.value for c in Channel], "status": [s.value for s in InteractionStatus]},
    )
    spec = bulk.Upsert(
        table=TABLE,
        key=key,
        columns=columns,
        compare=tuple(c for c in columns if c not in key),
        constants=constants,
        on_update=("import_id", "version", "updated_at"),
        json_columns=frozenset({"extras"}),
        checks_verified=True,
    )
    return bulk.upsert(session, spec, frame)


def get_by_key(session: Session, source: str, external_id: str) -> Interaction | None:
    stmt = select(Interaction).where(Interaction.source == source, Interaction.external_id == external_id)
    return session.execute(stmt).scalar_one_or_none()
