"""Queries on the feedback and import tables, and the small lookups an import resolves codes with."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
from pulso.customers.models import Customer
from pulso.feedback import logic
from pulso.feedback.enums import FeedbackSource, ImportKind, ImportStatus
from pulso.feedback.models import Feedback, ImportRowError, ImportRun
from pulso.interactions.enums import Channel
from pulso.journeys.models import Touchpoint
from pulso.kit import bulk
from pulso.kit.pagination import Page, PageParams
from pulso.text.models import FeedbackText, FeedbackTopic

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
    if "comment" in frame.columns:
        # The search reads the folded copy; written with the comment by every write path.
        frame = frame.with_columns(logic.fold_expr(pl.col("comment")).alias("comment_folded"))
    columns = tuple(frame.columns)
    compare = tuple(c for c in columns if c not in key)
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


NPS_GROUPS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


@dataclass(frozen=True)
class FeedbackFilters:
    """What a list of feedback is narrowed to; every field left as None filters nothing."""

    received_from: datetime | None = None
    received_to: datetime | None = None  # exclusive
    source: FeedbackSource | None = None
    channel: Channel | None = None
    touchpoint: str | None = None  # code
    touchpoint_id: int | None = None
    team_id: int | None = None
    agent_id: int | None = None
    product_id: int | None = None
    customer_id: int | None = None
    interaction_id: int | None = None
    segment: str | None = None  # the customer's
    region: str | None = None  # the customer's
    language: str | None = None
    has_comment: bool | None = None
    nps_group: str | None = None  # promoter, passive, detractor
    nps_min: int | None = None
    nps_max: int | None = None
    csat_min: int | None = None
    csat_max: int | None = None
    ces_min: int | None = None
    ces_max: int | None = None
    q: str | None = None  # words and "phrases", every one in the comment, accents and case ignored
    sentiment: str | None = None  # negative, neutral, positive: the comment's label, a person's correction first
    topics: tuple[str, ...] | None = None  # topic keys: comments with any of them (a parent's children included)


def _like_term(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(query: str | None) -> ColumnElement[bool] | None:
    """Every folded term of `query` in the folded comment (None when the query has no terms)."""
    terms = logic.search_terms(query)
    if not terms:
        return None
    return and_(*[Feedback.comment_folded.like(_like_term(t), escape="\\") for t in terms])


def _between(column: Any, low: int | None, high: int | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if low is not None:
        conditions.append(column >= low)
    if high is not None:
        conditions.append(column <= high)
    return conditions


def feedback_conditions(principal: Principal, filters: FeedbackFilters) -> list[ColumnElement[bool]]:
    """The WHERE of a list: what the principal may read, narrowed by the filters."""
    conditions: list[ColumnElement[bool]] = [readable_feedback(principal)]
    f = filters
    if f.received_from is not None:
        conditions.append(Feedback.received_at >= f.received_from)
    if f.received_to is not None:
        conditions.append(Feedback.received_at < f.received_to)
    equal: list[tuple[Any, Any]] = [
        (Feedback.source, f.source),
        (Feedback.channel, f.channel),
        (Feedback.touchpoint_id, f.touchpoint_id),
        (Feedback.team_id, f.team_id),
        (Feedback.agent_id, f.agent_id),
        (Feedback.product_id, f.product_id),
        (Feedback.customer_id, f.customer_id),
        (Feedback.interaction_id, f.interaction_id),
        (Feedback.language, f.language),
    ]
    conditions += [column == value for column, value in equal if value is not None]
    if f.touchpoint is not None:
        touchpoint_ids = select(Touchpoint.id).where(Touchpoint.code == f.touchpoint)
        conditions.append(Feedback.touchpoint_id.in_(touchpoint_ids))
    for column, value in ((Customer.segment, f.segment), (Customer.region, f.region)):
        if value is not None:
            conditions.append(Feedback.customer_id.in_(select(Customer.id).where(column == value)))
    if f.has_comment is True:
        conditions.append(and_(Feedback.comment.is_not(None), Feedback.comment != ""))
    elif f.has_comment is False:
        conditions.append(or_(Feedback.comment.is_(None), Feedback.comment == ""))
    if f.nps_group is not None:
        low, high = NPS_GROUPS[f.nps_group]
        conditions += _between(Feedback.nps, low, high)
    conditions += _between(Feedback.nps, f.nps_min, f.nps_max)
    conditions += _between(Feedback.csat, f.csat_min, f.csat_max)
    conditions += _between(Feedback.ces, f.ces_min, f.ces_max)
    search = search_condition(f.q)
    if search is not None:
        conditions.append(search)
    if f.sentiment is not None:
        label = func.coalesce(FeedbackText.corrected_sentiment, FeedbackText.sentiment)
        conditions.append(Feedback.id.in_(select(FeedbackText.feedback_id).where(label == f.sentiment)))
    if f.topics is not None:
        tagged = select(FeedbackTopic.feedback_id).where(FeedbackTopic.topic_key.in_(f.topics))
        conditions.append(Feedback.id.in_(tagged))
    return conditions


def list_feedback(
    session: Session,
    principal: Principal,
    filters: FeedbackFilters,
    page: PageParams,
    *,
    count_limit: int | None = None,
) -> Page[Feedback]:
    """Newest first. With `count_limit`, the total stops at count_limit + 1 (a list of millions
    need not be counted to show "more than N"), and pages past the limit are not served."""
    where = and_(*feedback_conditions(principal, filters))
    if count_limit is None:
        total = session.execute(select(func.count()).select_from(Feedback).where(where)).scalar_one()
    else:
        capped = select(Feedback.id).where(where).limit(count_limit + 1).subquery()
        total = session.execute(select(func.count()).select_from(capped)).scalar_one()
    stmt = (
        select(Feedback)
        .where(where)
        .order_by(Feedback.received_at.desc(), Feedback.id.desc())
        .offset(page.offset)
        .limit(page.size)
    )
    items = list(session.execute(stmt).scalars())
    return Page(items=items, total=int(total), page=page.page, size=page.size)


def iter_feedback(
    session: Session, principal: Principal, filters: FeedbackFilters, *, limit: int, chunk: int = 1000
) -> Iterator[list[Feedback]]:
    """The filtered list, newest first, in chunks (keyset on received_at, id), at most `limit` rows."""
    where = and_(*feedback_conditions(principal, filters))
    after: tuple[datetime, int] | None = None
    left = limit
    while left > 0:
        stmt = select(Feedback).where(where)
        if after is not None:
            stmt = stmt.where(
                or_(
                    Feedback.received_at < after[0],
                    and_(Feedback.received_at == after[0], Feedback.id < after[1]),
                )
            )
        stmt = stmt.order_by(Feedback.received_at.desc(), Feedback.id.desc()).limit(min(chunk, left))
        rows = list(session.execute(stmt).scalars())
        if not rows:
            return
        yield rows
        left -= len(rows)
        after = (rows[-1].received_at, rows[-1].id)


@dataclass(frozen=True)
class FeedbackLabels:
    """Names of what a set of feedback rows refers to, by id, for showing them."""

    touchpoints: dict[int, tuple[str, str]]  # id: (code, name)
    teams: dict[int, str]
    agents: dict[int, str]
    products: dict[int, tuple[str, str]]  # id: (sku, name)
    customers: dict[int, tuple[str, str | None]]  # id: (external id, name)


def feedback_labels(session: Session, rows: Sequence[Any]) -> FeedbackLabels:
    """Names by id for rows with touchpoint_id, team_id, agent_id, product_id, customer_id (feedback
    or interactions)."""

    def ids(attribute: str) -> set[int]:
        return {value for row in rows if (value := getattr(row, attribute)) is not None}

    def fetch(*columns: Any, among: set[int]) -> list[Any]:
        if not among:
            return []
        return list(session.execute(select(*columns).where(columns[0].in_(sorted(among)))).all())

    return FeedbackLabels(
        touchpoints={
            i: (c, n) for i, c, n in fetch(Touchpoint.id, Touchpoint.code, Touchpoint.name, among=ids("touchpoint_id"))
        },
        teams=dict(fetch(Team.id, Team.name, among=ids("team_id"))),
        agents=dict(fetch(User.id, User.name, among=ids("agent_id"))),
        products={i: (k, n) for i, k, n in fetch(Product.id, Product.sku, Product.name, among=ids("product_id"))},
        customers={
            i: (e, n) for i, e, n in fetch(Customer.id, Customer.external_id, Customer.name, among=ids("customer_id"))
        },
    )


def get_feedback(session: Session, principal: Principal, feedback_id: int) -> Feedback | None:
    stmt = select(Feedback).where(Feedback.id == feedback_id, readable_feedback(principal))
    return session.execute(stmt).scalar_one_or_none()


def touchpoint_code_of(session: Session, touchpoint_id: int | None) -> str | None:
    if touchpoint_id is None:
        return None
    return session.execute(select(Touchpoint.code).where(Touchpoint.id == touchpoint_id)).scalar_one_or_none()


# --- what a list of feedback can be filtered by ------------------------------------------------

# dimension: (id column, the columns a value given as text may match, in order)
_ENTITIES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "touchpoint": (Touchpoint.id, (Touchpoint.code, Touchpoint.name)),
    "team": (Team.id, (Team.code, Team.name)),
    "agent": (User.id, (User.code, User.email, User.name)),
    "product": (Product.id, (Product.sku, Product.name)),
}


def resolve_entity(session: Session, dimension: str, value: str) -> int | None:
    """The id named by a filter value: an id, or a code or name (as the dashboard's links give)."""
    id_column, matchers = _ENTITIES[dimension]
    text = value.strip()
    if text.isdigit():
        found = session.execute(select(id_column).where(id_column == int(text))).scalar_one_or_none()
        if found is not None:
            return int(found)
    for column in matchers:
        found = session.execute(select(id_column).where(column == text).limit(1)).scalar_one_or_none()
        if found is not None:
            return int(found)
    return None


@dataclass(frozen=True)
class FilterChoices:
    touchpoints: list[tuple[str, str]]  # (code, name)
    teams: list[tuple[int, str]]
    agents: list[tuple[int, str]]
    products: list[tuple[int, str]]
    segments: list[str]
    regions: list[str]


def filter_choices(session: Session, principal: Principal) -> FilterChoices:
    """The options of the explorer's filters; teams and agents only those the principal may see."""
    teams = select(Team.id, Team.name).order_by(Team.name)
    agents = select(User.id, User.name).where(User.role == Role.AGENT).order_by(User.name)
    if principal.role is Role.SUPERVISOR and principal.team_id is not None:
        teams = teams.where(Team.id == principal.team_id)
        agents = agents.where(User.team_id == principal.team_id)
    elif principal.role is Role.AGENT:
        teams = teams.where(false())
        agents = agents.where(User.id == principal.user_id)

    def distinct(column: Any) -> list[str]:
        stmt = select(column).where(column.is_not(None)).distinct().order_by(column).limit(200)
        return [str(v) for v in session.execute(stmt).scalars()]

    return FilterChoices(
        touchpoints=[
            (c, n) for c, n in session.execute(select(Touchpoint.code, Touchpoint.name).order_by(Touchpoint.name))
        ],
        teams=[(i, n) for i, n in session.execute(teams)],
        agents=[(i, n) for i, n in session.execute(agents)],
        products=[(i, n) for i, n in session.execute(select(Product.id, Product.name).order_by(Product.name))],
        segments=distinct(Customer.segment),
        regions=distinct(Customer.region),
    )


def feedback_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Feedback]:
    if not ids:
        return {}
    return {f.id: f for f in session.scalars(select(Feedback).where(Feedback.id.in_(list(ids))))}
