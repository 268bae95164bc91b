"""Queries on the feedback and import tables, and the small lookups an import resolves codes with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, and_, false, func, insert, or_, select, true, update
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.models import Team, User
from pulso.accounts.schemas import Principal
from pulso.catalog.models import Product
from pulso.feedback.enums import FeedbackSource, ImportKind, ImportStatus
from pulso.feedback.models import Feedback, ImportRowError, ImportRun
from pulso.interactions.enums import Channel
from pulso.journeys.models import Touchpoint
from pulso.kit import bulk
from pulso.kit.pagination import Page, PageParams

# --- import runs -------------------------------------------------------------------------------


def resumable_run(session: Session, *, kind: ImportKind, sha256: str, fingerprint: str) -> ImportRun | None:
    """The unfinished run of the same file with the same options, if one was interrupted."""
    stmt = (
        select(ImportRun)
        .where(
            ImportRun.kind == kind,
            ImportRun.file_sha256 == sha256,
            ImportRun.options_fingerprint == fingerprint,
            ImportRun.status.in_([ImportStatus.RUNNING, ImportStatus.FAILED]),
        )
        .order_by(ImportRun.id.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def add_run(session: Session, run: ImportRun) -> ImportRun:
    session.add(run)
    session.flush()
    return run


def record_progress(
    session: Session,
    run_id: int,
    *,
    rows_done: int,
    counts: bulk.UpsertCounts,
    rejected: int,
    status: ImportStatus | None = None,
    message: str | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Advance the checkpoint; called in the same transaction as the batch it accounts for."""
    values: dict[str, Any] = {
        "rows_done": rows_done,
        "rows_inserted": ImportRun.rows_inserted + counts.inserted,
        "rows_updated": ImportRun.rows_updated + counts.updated,
        "rows_unchanged": ImportRun.rows_unchanged + counts.unchanged,
        "rows_rejected": ImportRun.rows_rejected + rejected,
    }
    if status is not None:
        values["status"] = status
    if message is not None:
        values["message"] = message
    if finished_at is not None:
        values["finished_at"] = finished_at
    session.execute(update(ImportRun).where(ImportRun.id == run_id).values(**values))


def finish_run(
    session: Session, run_id: int, *, status: ImportStatus, finished_at: datetime, message: str | None = None
) -> None:
    session.execute(
        update(ImportRun).where(ImportRun.id == run_id).values(status=status, finished_at=finished_at, message=message)
    )


def add_row_errors(session: Session, import_id: int, errors: pl.DataFrame) -> None:
    if errors.height == 0:
        return
    rows = [
        {"import_id": import_id, "row": row, "field": field, "reason": reason, "value": value}
        for row, field, reason, value in errors.select("row", "field", "reason", "value").iter_rows()
    ]
    session.execute(insert(ImportRowError), rows)


def row_errors(session: Session, import_id: int, *, limit: int | None = None) -> list[ImportRowError]:
    stmt = (
        select(ImportRowError)
        .where(ImportRowError.import_id == import_id)
        .order_by(ImportRowError.row, ImportRowError.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars())


def count_row_errors(session: Session, import_id: int) -> int:
    stmt = select(func.count()).select_from(ImportRowError).where(ImportRowError.import_id == import_id)
    return int(session.execute(stmt).scalar_one())


# --- lookups -----------------------------------------------------------------------------------


def _frame(rows: Sequence[Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={"key": pl.String, "id": pl.Int64}, orient="row")


def touchpoint_codes(session: Session) -> pl.DataFrame:
    return _frame(session.execute(select(Touchpoint.code, Touchpoint.id)).all())


def product_skus(session: Session) -> pl.DataFrame:
    return _frame(session.execute(select(Product.sku, Product.id)).all())


def agent_keys(session: Session) -> pl.DataFrame:
    """Agents are named by their code in the contact-centre tool or by their e-mail."""
    users = session.execute(select(User.code, User.email, User.id)).all()
    rows = [(code, uid) for code, _email, uid in users if code] + [(email, uid) for _code, email, uid in users]
    return _frame(rows)


def team_keys(session: Session) -> pl.DataFrame:
    teams = session.execute(select(Team.code, Team.name, Team.id)).all()
    return _frame([(code, tid) for code, _name, tid in teams if code] + [(name, tid) for _c, name, tid in teams])


def upsert_feedback(
    session: Session,
    frame: pl.DataFrame,
    *,
    import_id: int | None,
    version: int,
    now: datetime,
    source: str | None = None,
) -> bulk.UpsertCounts:
    """Write a batch of feedback rows; only the columns present in `frame` are written or compared.

    `source`, when given, is every row's source (and `frame` has no source column).
    """
    key = ("source", "external_id")
    columns = tuple(frame.columns)
    compare = tuple(c for c in columns if c not in key)
    constants: dict[str, Any] = {"import_id": import_id, "version": version, "created_at": now, "updated_at": now}
    if source is not None:
        constants = {"source": source, **constants}
    if "extras" not in columns:
        constants["extras"] = "{}"
    bulk.verify_checks(
        frame,
        ranges={"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5)},
        allowed={"source": [s.value for s in FeedbackSource], "channel": [c.value for c in Channel]},
    )
    if source is not None and source not in {s.value for s in FeedbackSource}:
        raise ValueError(f"source {source!r} is not a feedback source")
    spec = bulk.Upsert(
        table=Feedback.__tablename__,
        key=key,
        columns=columns,
        compare=compare,
        constants=constants,
        on_update=("import_id", "version", "updated_at"),
        json_columns=frozenset({"extras"}),
        checks_verified=True,
    )
    return bulk.upsert(session, spec, frame)


# --- reading feedback --------------------------------------------------------------------------


def readable_feedback(principal: Principal) -> ColumnElement[bool]:
    """What a principal may read: agents their own feedback, supervisors their team's, others all."""
    if principal.role is Role.AGENT:
        return Feedback.agent_id == principal.user_id if principal.user_id is not None else false()
    if principal.role is Role.SUPERVISOR and principal.team_id is not None:
        return Feedback.team_id == principal.team_id
    return true()


@dataclass(frozen=True)
class FeedbackFilters:
    received_from: datetime | None = None
    received_to: datetime | None = None
    source: FeedbackSource | None = None
    channel: Channel | None = None
    touchpoint: str | None = None
    has_comment: bool | None = None
    q: str | None = None


def list_feedback(session: Session, principal: Principal, filters: FeedbackFilters, page: PageParams) -> Page[Feedback]:
    conditions: list[ColumnElement[bool]] = [readable_feedback(principal)]
    if filters.received_from is not None:
        conditions.append(Feedback.received_at >= filters.received_from)
    if filters.received_to is not None:
        conditions.append(Feedback.received_at < filters.received_to)
    if filters.source is not None:
        conditions.append(Feedback.source == filters.source)
    if filters.channel is not None:
        conditions.append(Feedback.channel == filters.channel)
    if filters.touchpoint is not None:
        touchpoint_ids = select(Touchpoint.id).where(Touchpoint.code == filters.touchpoint)
        conditions.append(Feedback.touchpoint_id.in_(touchpoint_ids))
    if filters.has_comment is True:
        conditions.append(and_(Feedback.comment.is_not(None), Feedback.comment != ""))
    elif filters.has_comment is False:
        conditions.append(or_(Feedback.comment.is_(None), Feedback.comment == ""))
    if filters.q:
        escaped = filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Feedback.comment.ilike(f"%{escaped}%", escape="\\"))
    where = and_(*conditions)
    total = session.execute(select(func.count()).select_from(Feedback).where(where)).scalar_one()
    stmt = (
        select(Feedback)
        .where(where)
        .order_by(Feedback.received_at.desc(), Feedback.id.desc())
        .offset(page.offset)
        .limit(page.size)
    )
    items = list(session.execute(stmt).scalars())
    return Page(items=items, total=int(total), page=page.page, size=page.size)


def get_feedback(session: Session, principal: Principal, feedback_id: int) -> Feedback | None:
    stmt = select(Feedback).where(Feedback.id == feedback_id, readable_feedback(principal))
    return session.execute(stmt).scalar_one_or_none()


def touchpoint_code_of(session: Session, touchpoint_id: int | None) -> str | None:
    if touchpoint_id is None:
        return None
    return session.execute(select(Touchpoint.code).where(Touchpoint.id == touchpoint_id)).scalar_one_or_none()
