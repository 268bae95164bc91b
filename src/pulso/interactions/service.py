"""Public entry points of the interactions domain."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from pulso.accounts.schemas import Principal
from pulso.interactions import repository
from pulso.interactions.models import Interaction
from pulso.kit.bulk import UpsertCounts
from pulso.kit.errors import NotFound
from pulso.kit.pagination import Page, PageParams


def interaction_ids(session: Session, keys: pl.DataFrame) -> pl.DataFrame:
    """The ids of the interactions named by `keys` (columns source, external_id) that exist:
    a frame (source, external_id, id)."""
    return repository.ids_by_key(session, keys)


def upsert_interactions(
    session: Session,
    frame: pl.DataFrame,
    *,
    import_id: int | None,
    version: int,
    now: datetime,
    source: str | None = None,
) -> UpsertCounts:
    """Insert or update interactions; `version` is the transaction's change version (kit.changes);
    `source`, when given, is every row's source and `frame` has no source column."""
    return repository.upsert(session, frame, import_id=import_id, version=version, now=now, source=source)


def get_interaction(session: Session, source: str, external_id: str) -> Interaction | None:
    return repository.get_by_key(session, source, external_id)


def get_readable_interaction(session: Session, principal: Principal, interaction_id: int) -> Interaction:
    """One interaction the principal may read; another team's is as missing as one that never was."""
    row = repository.get_readable(session, principal, interaction_id)
    if row is None:
        raise NotFound(f"interaction {interaction_id} not found / la interacción {interaction_id} no existe")
    return row


def list_interactions(
    session: Session, principal: Principal, page: PageParams, *, customer_id: int | None = None
) -> Page[Interaction]:
    """Interactions the principal may read, newest first."""
    return repository.list_readable(session, principal, page, customer_id=customer_id)
