"""Queries on the interactions table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.feedback.models import Feedback
from pulso.feedback.repository import readable_feedback
from pulso.interactions.enums import Channel, InteractionStatus
from pulso.interactions.models import Interaction
from pulso.kit import bulk
from pulso.kit.pagination import Page, PageParams

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


# --- reading interactions ----------------------------------------------------------------------


def readable_interactions(principal: Principal) -> ColumnElement[bool]:
    """What a principal may read: agents their own interactions, supervisors their team's, others all;
    an agent or supervisor also reads the interactions behind feedback they may read."""
    if principal.role not in (Role.AGENT, Role.SUPERVISOR):
        return true()
    if principal.role is Role.AGENT:
        own = Interaction.agent_id == principal.user_id if principal.user_id is not None else false()
    else:
        own = Interaction.team_id == principal.team_id if principal.team_id is not None else true()
    via_feedback = select(Feedback.interaction_id).where(
        Feedback.interaction_id.is_not(None), readable_feedback(principal)
    )
    return or_(own, Interaction.id.in_(via_feedback))


def get_readable(session: Session, principal: Principal, interaction_id: int) -> Interaction | None:
    stmt = select(Interaction).where(Interaction.id == interaction_id, readable_interactions(principal))
    return session.execute(stmt).scalar_one_or_none()


def list_readable(
    session: Session, principal: Principal, page: PageParams, *, customer_id: int | None = None
) -> Page[Interaction]:
    """Interactions the principal may read, newest first, optionally of one customer."""
    conditions = [readable_interactions(principal)]
    if customer_id is not None:
        conditions.append(Interaction.customer_id == customer_id)
    where = and_(*conditions)
    total = session.execute(select(func.count()).select_from(Interaction).where(where)).scalar_one()
    stmt = (
        select(Interaction)
        .where(where)
        .order_by(Interaction.opened_at.desc(), Interaction.id.desc())
        .offset(page.offset)
        .limit(page.size)
    )
    return Page(items=list(session.execute(stmt).scalars()), total=int(total), page=page.page, size=page.size)
