"""JSON API of notifications (admins only): read the outbox, replay, manage webhook endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.kit.db import utcnow
from pulso.kit.pagination import MAX_PAGE_SIZE, PageParams
from pulso.notifications import service
from pulso.notifications.enums import Channel, Status
from pulso.notifications.models import WebhookEndpoint
from pulso.notifications.schemas import (
    NotificationFilters,
    NotificationOut,
    NotificationPage,
    ReplayIn,
    ReplayOut,
    WebhookIn,
    WebhookOut,
    WebhookPage,
    WebhookPatch,
)
from pulso.web.deps import DbSession, require_roles

router = APIRouter(prefix="/api/v1", tags=["notifications"])

AdminPrincipal = Annotated[Principal, require_roles(Role.ADMIN)]


def _webhook_out(row: WebhookEndpoint) -> WebhookOut:
    return WebhookOut.model_validate(row, from_attributes=True)


@router.get("/notifications", response_model=NotificationPage)
def list_notifications(
    session: DbSession,
    _admin: AdminPrincipal,
    status: Status | None = None,
    channel: Channel | None = None,
    event: Annotated[str | None, Query(max_length=64)] = None,
    key: Annotated[str | None, Query(max_length=200)] = None,
    target: Annotated[
        str | None, Query(max_length=320, description="An e-mail address or a webhook endpoint's id.")
    ] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> NotificationPage:
    """The outbox, newest first, with each one's status and last error. / La bandeja de salida."""
    filters = NotificationFilters(status=status, channel=channel, event=event, key=key, target=target)
    found = service.notification_page(session, filters, PageParams(page=page, size=size))
    return NotificationPage(
        items=[NotificationOut.model_validate(r, from_attributes=True) for r in found.items],
        total=found.total,
        page=found.page,
        size=found.size,
        pages=found.pages,
    )


@router.post("/notifications/replay", response_model=ReplayOut)
def replay_notifications(body: ReplayIn, session: DbSession, _admin: AdminPrincipal) -> ReplayOut:
    """Send dead letters and unsent notifications again; others among the ids are left alone.
    / Reenvía las notificaciones muertas o no enviadas."""
    return ReplayOut(replayed=service.replay(session, body.ids, now=utcnow()))


@router.get("/webhooks", response_model=WebhookPage)
def list_webhooks(
    session: DbSession,
    _admin: AdminPrincipal,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> WebhookPage:
    """Webhook endpoints, with their signing secrets. / Receptores de webhooks, con su secreto."""
    found = service.endpoint_page(session, PageParams(page=page, size=size))
    return WebhookPage(
        items=[_webhook_out(e) for e in found.items],
        total=found.total,
        page=found.page,
        size=found.size,
        pages=found.pages,
    )


@router.post("/webhooks", response_model=WebhookOut, status_code=201)
def create_webhook(body: WebhookIn, session: DbSession, admin: AdminPrincipal) -> WebhookOut:
    """A new endpoint; its secret is generated and returned. / Un receptor nuevo, con su secreto."""
    row = service.add_endpoint(
        session,
        name=body.name,
        url=body.url,
        events=body.events,
        is_active=body.is_active,
        created_by=admin.user_id,
    )
    return _webhook_out(row)


@router.patch("/webhooks/{endpoint_id}", response_model=WebhookOut)
def update_webhook(endpoint_id: int, body: WebhookPatch, session: DbSession, _admin: AdminPrincipal) -> WebhookOut:
    """Change an endpoint's name, URL, events or whether it is on. / Cambia un receptor."""
    row = service.update_endpoint(
        session, endpoint_id, name=body.name, url=body.url, events=body.events, is_active=body.is_active
    )
    return _webhook_out(row)


@router.delete("/webhooks/{endpoint_id}", status_code=204)
def delete_webhook(endpoint_id: int, session: DbSession, _admin: AdminPrincipal) -> None:
    """Delete an endpoint; its notifications stay in the outbox. / Elimina un receptor."""
    service.delete_endpoint(session, endpoint_id)
