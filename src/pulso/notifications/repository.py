"""Every query on the notifications domain's tables: the outbox (claims, outcomes, sweeps) and endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from pulso.kit.pagination import Page, PageParams
from pulso.notifications.enums import IN_FLIGHT, REPLAYABLE, Channel, Status
from pulso.notifications.models import Notification, WebhookEndpoint
from pulso.notifications.schemas import NotificationFilters

# --------------------------------------------------------------------------- the outbox: delivery


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Due for an attempt: pending and due, or claimed by a worker whose lease has run out (it died)."""
    return or_(
        and_(
            Notification.status == Status.PENDING,
            Notification.next_attempt_at <= now,
            or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
        ),
        and_(Notification.status == Status.SENDING, Notification.claimed_until < now),
    )


def _not_blocked() -> ColumnElement[bool]:
    """No earlier notification of the same key and target is still in flight (pending or being sent)."""
    earlier = aliased(Notification)
    return ~exists().where(
        earlier.key == Notification.key,
        earlier.channel == Notification.channel,
        earlier.target == Notification.target,
        earlier.id < Notification.id,
        earlier.status.in_(IN_FLIGHT),
    )


def claim(session: Session, notification_id: int, *, now: datetime, lease_until: datetime) -> bool:
    """Take one notification for an attempt if it is due and first in its chain; True when this caller got it.

    One UPDATE with the whole condition in its WHERE: of two workers trying at once, the second finds
    the row already 'sending' (PostgreSQL re-checks the row after the first commits; SQLite writers
    take turns), so a row is never sent by two at the same time.
    """
    statement = (
        update(Notification)
        .where(Notification.id == notification_id, _claimable(now), _not_blocked())
        .values(status=Status.SENDING, claimed_until=lease_until, attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def record(session: Session, notification_id: int, *, lease_until: datetime, values: dict[str, Any]) -> bool:
    """Store an attempt's outcome, if the caller's claim still holds (a lease that ran out was taken over)."""
    statement = (
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == Status.SENDING,
            Notification.claimed_until == lease_until,
        )
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def next_in_chain(session: Session, row: Notification, *, now: datetime) -> int | None:
    """The next due notification of the same key and target after `row`, which it was waiting for."""
    query = select(func.min(Notification.id)).where(
        Notification.key == row.key,
        Notification.channel == row.channel,
        Notification.target == row.target,
        Notification.id > row.id,
        Notification.status == Status.PENDING,
        Notification.next_attempt_at <= now,
    )
    found = session.execute(query).scalar_one_or_none()
    return int(found) if found is not None else None


def due_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Notifications an attempt may start on now (due, first in their chain), oldest first."""
    query = select(Notification.id).where(_claimable(now), _not_blocked()).order_by(Notification.id).limit(limit)
    return [int(i) for i in session.scalars(query)]


def get(session: Session, notification_id: int) -> Notification | None:
    return session.get(Notification, notification_id)


def add(session: Session, rows: Sequence[Notification]) -> None:
    session.add_all(rows)
    session.flush()


def replay(session: Session, ids: Sequence[int], *, now: datetime) -> list[int]:
    """Put these dead or unsent notifications back to pending with no attempts made; returns those moved."""
    if not ids:
        return []
    chosen = list(
        session.scalars(
            select(Notification.id)
            .where(Notification.id.in_(list(ids)), Notification.status.in_(REPLAYABLE))
            .order_by(Notification.id)
        )
    )
    if chosen:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(chosen), Notification.status.in_(REPLAYABLE))
            .values(status=Status.PENDING, attempts=0, next_attempt_at=now, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
    return [int(i) for i in chosen]


def replayable_ids(session: Session, *, status: Status | None = None, limit: int = 500) -> list[int]:
    """The oldest dead or unsent notifications (of one of those states when given)."""
    states = (status,) if status is not None else REPLAYABLE
    query = select(Notification.id).where(Notification.status.in_(states)).order_by(Notification.id).limit(limit)
    return [int(i) for i in session.scalars(query)]


# --------------------------------------------------------------------------- the outbox: reading


def _filtered(filters: NotificationFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(Notification.status == filters.status)
    if filters.channel is not None:
        conditions.append(Notification.channel == filters.channel)
    if filters.event:
        conditions.append(Notification.event == filters.event)
    if filters.key:
        conditions.append(Notification.key == filters.key)
    if filters.target:
        conditions.append(Notification.target == filters.target)
    return conditions


def notification_page(session: Session, filters: NotificationFilters, params: PageParams) -> Page[Notification]:
    """Notifications matching the filters, newest first."""
    conditions = _filtered(filters)
    total = session.execute(select(func.count()).select_from(Notification).where(*conditions)).scalar_one()
    query = (
        select(Notification)
        .where(*conditions)
        .order_by(Notification.id.desc())
        .offset(params.offset)
        .limit(params.size)
    )
    return Page(list(session.scalars(query)), int(total), params.page, params.size)


def status_counts(session: Session) -> dict[Status, int]:
    query = select(Notification.status, func.count()).group_by(Notification.status)
    counts = dict.fromkeys(Status, 0)
    for status, n in session.execute(query):
        counts[Status(status)] = int(n)
    return counts


def webhook_counts(session: Session, endpoint_ids: Sequence[int]) -> dict[int, dict[Status, int]]:
    """Per endpoint, how many of its notifications are in each state."""
    out: dict[int, dict[Status, int]] = {i: {} for i in endpoint_ids}
    if not endpoint_ids:
        return out
    targets = [str(i) for i in endpoint_ids]
    query = (
        select(Notification.target, Notification.status, func.count())
        .where(Notification.channel == Channel.WEBHOOK, Notification.target.in_(targets))
        .group_by(Notification.target, Notification.status)
    )
    for target, status, n in session.execute(query):
        out[int(target)][Status(status)] = int(n)
    return out


# --------------------------------------------------------------------------- webhook endpoints


def active_endpoints(session: Session) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True)).order_by(WebhookEndpoint.id)
    return list(session.scalars(query))


def endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


def endpoint_page(session: Session, params: PageParams) -> Page[WebhookEndpoint]:
    total = session.execute(select(func.count()).select_from(WebhookEndpoint)).scalar_one()
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.name, WebhookEndpoint.id)
    items = list(session.scalars(query.offset(params.offset).limit(params.size)))
    return Page(items, int(total), params.page, params.size)


def add_endpoint(session: Session, row: WebhookEndpoint) -> WebhookEndpoint:
    session.add(row)
    session.flush()
    return row


def delete_endpoint(session: Session, endpoint_id: int) -> None:
    session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))
