"""Public entry points of the customers domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from pulso.accounts.schemas import Principal
from pulso.customers import repository
from pulso.customers.models import Customer
from pulso.kit.bulk import UpsertCounts
from pulso.kit.changes import reversion_facts_of
from pulso.kit.errors import NotFound


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


# Copied into every analytic fact of the customer (ADR 0002): a change must re-copy those facts.
ANALYTIC_ATTRIBUTES = ("segment", "region", "is_key_account")


def upsert_customers(session: Session, frame: pl.DataFrame, *, now: datetime) -> UpsertCounts:
    """Insert or update customers (columns: external_id and any of name, email, segment, region,
    is_key_account, attributes as JSON text); attributes are merged into the stored ones.

    When a customer's segment, region or key-account flag changes, their feedback and interactions
    get a new change version, so the analytic store copies them again with the new values.
    """
    tracked = [c for c in ANALYTIC_ATTRIBUTES if c in frame.columns]
    before = repository.analytic_attributes(session, frame["external_id"].to_list()) if tracked else None
    counts = repository.upsert(session, frame, now=now)
    if before is not None and before.height:
        joined = before.join(frame.select("external_id", *tracked), on="external_id", suffix="_new")
        differs = pl.any_horizontal(
            *[pl.col(c).cast(pl.String).ne_missing(pl.col(f"{c}_new").cast(pl.String)) for c in tracked]
        )
        changed = joined.filter(differs)["id"].to_list()
        reversion_facts_of(session, "customer_id", changed)
    return counts


def get_customer_by_external_id(session: Session, external_id: str) -> Customer | None:
    return repository.get_by_external_id(session, external_id)


def get_readable_customer(session: Session, principal: Principal, customer_id: int) -> Customer:
    """One customer the principal may read; one they may not is as missing as one that never was."""
    row = repository.get_readable(session, principal, customer_id)
    if row is None:
        raise NotFound(f"customer {customer_id} not found / el cliente {customer_id} no existe")
    return row


def get_customer(session: Session, customer_id: int) -> Customer | None:
    """A customer by id, unscoped: for a caller that already checked access (a case grants its customer)."""
    return session.get(Customer, customer_id)
