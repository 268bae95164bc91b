"""Queries on the customers table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.customers.models import Customer
from pulso.feedback.models import Feedback
from pulso.feedback.repository import readable_feedback
from pulso.interactions.models import Interaction
from pulso.interactions.repository import readable_interactions
from pulso.kit import bulk

TABLE = Customer.__tablename__


def ids_by_external_id(session: Session, external_ids: Sequence[str]) -> pl.DataFrame:
    """(key, id) of the customers among `external_ids` that exist."""
    return bulk.lookup(session, TABLE, "external_id", external_ids).rename({"external_id": "key"})


def insert_missing(session: Session, external_ids: Sequence[str], *, now: datetime) -> int:
    """Create customers known only by their external id; existing ones are left alone."""
    frame = pl.DataFrame({"external_id": list(external_ids)}, schema={"external_id": pl.String})
    spec = bulk.Upsert(
        table=TABLE,
        key=("external_id",),
        columns=("external_id",),
        compare=(),
        constants={"is_key_account": False, "attributes": "{}", "created_at": now, "updated_at": now},
    )
    return bulk.upsert(session, spec, frame).inserted


def upsert(session: Session, frame: pl.DataFrame, *, now: datetime) -> bulk.UpsertCounts:
    """Insert or update customers by external id; only the columns present in `frame` are written."""
    columns = tuple(frame.columns)
    constants: dict[str, Any] = {"created_at": now, "updated_at": now}
    if "attributes" not in columns:
        constants["attributes"] = "{}"
    if "is_key_account" not in columns:
        constants["is_key_account"] = False
    spec = bulk.Upsert(
        table=TABLE,
        key=("external_id",),
        columns=columns,
        compare=tuple(c for c in columns if c != "external_id"),
        constants=constants,
        on_update=("updated_at",),
        json_columns=frozenset({"attributes"}),
        merge_json=frozenset({"attributes"}),
    )
    return bulk.upsert(session, spec, frame)


def analytic_attributes(session: Session, external_ids: Sequence[str]) -> pl.DataFrame:
    """external_id, id, segment, region, is_key_account of the existing customers among `external_ids`."""
    schema = {
        "external_id": pl.String,
        "id": pl.Int64,
        "segment": pl.String,
        "region": pl.String,
        "is_key_account": pl.Boolean,
    }
    rows: list[tuple[Any, ...]] = []
    keys = list(dict.fromkeys(external_ids))
    for start in range(0, len(keys), 10_000):
        chunk = keys[start : start + 10_000]
        rows += session.execute(
            select(Customer.external_id, Customer.id, Customer.segment, Customer.region, Customer.is_key_account).where(
                Customer.external_id.in_(chunk)
            )
        ).all()
    return pl.DataFrame(rows, schema=schema, orient="row")


def get_by_external_id(session: Session, external_id: str) -> Customer | None:
    return session.execute(select(Customer).where(Customer.external_id == external_id)).scalar_one_or_none()


# --- reading customers -------------------------------------------------------------------------


def readable_customers(principal: Principal) -> ColumnElement[bool]:
    """What a principal may read: agents and supervisors only the customers of feedback or
    interactions they may read; everyone else every customer."""
    if principal.role not in (Role.AGENT, Role.SUPERVISOR):
        return true()
    via_feedback = select(Feedback.customer_id).where(Feedback.customer_id.is_not(None), readable_feedback(principal))
    via_interactions = select(Interaction.customer_id).where(
        Interaction.customer_id.is_not(None), readable_interactions(principal)
    )
    return or_(Customer.id.in_(via_feedback), Customer.id.in_(via_interactions))


def get_readable(session: Session, principal: Principal, customer_id: int) -> Customer | None:
    stmt = select(Customer).where(Customer.id == customer_id, readable_customers(principal))
    return session.execute(stmt).scalar_one_or_none()
