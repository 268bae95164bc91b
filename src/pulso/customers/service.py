"""Public entry points of the customers domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from pulso.customers import repository
from pulso.customers.models import Customer
from pulso.kit.bulk import UpsertCounts


def ensure_customers(session: Session, external_ids: Sequence[str], *, now: datetime) -> tuple[pl.DataFrame, int]:
    """The ids of these customers as a frame (key, id), creating the unknown ones with just their id.

    Returns the frame and how many customers were created.
    """
    distinct = sorted(set(external_ids))
    found = repository.ids_by_external_id(session, distinct)
    missing = sorted(set(distinct) - set(found["key"].to_list()))
    if not missing:
        return found, 0
    created = repository.insert_missing(session, missing, now=now)
    return pl.concat([found, repository.ids_by_external_id(session, missing)]), created


def upsert_customers(session: Session, frame: pl.DataFrame, *, now: datetime) -> UpsertCounts:
    """Insert or update customers (columns: external_id and any of name, email, segment, region,
    is_key_account, attributes as JSON text); attributes are merged into the stored ones."""
    return repository.upsert(session, frame, now=now)


def get_customer_by_external_id(session: Session, external_id: str) -> Customer | None:
    return repository.get_by_external_id(session, external_id)
