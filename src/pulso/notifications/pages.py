"""Administration pages of notifications (admins only): the outbox with replay, and webhook endpoints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.kit.db import utcnow
from pulso.kit.errors import PulsoError
from pulso.kit.pagination import PageParams
from pulso.notifications import service
from pulso.notifications.enums import Channel, Status
from pulso.notifications.models import Notification, WebhookEndpoint
from pulso.web.deps import DbSession, PageUser, page_router, require_page_roles
from pulso.web.i18n import N_, localized_message
from pulso.web.templating import flash, redirect, render, tr

router = page_router()

Admin = Annotated[PageUser, require_page_roles(Role.ADMIN)]

OUTBOX_PER_PAGE = 50
ENDPOINTS_PER_PAGE = 50

STATUS_NAMES = {
    Status.PENDING: N_("Pending"),
    Status.SENDING: N_("Sending"),
    Status.SENT: N_("Sent"),
    Status.DEAD: N_("Dead letter"),
    Status.UNSENT: N_("Unsent"),
}
STATUS_CHIPS = {
    Status.PENDING: "chip-info",
    Status.SENDING: "chip-info",
    Status.SENT: "chip-good",
    Status.DEAD: "chip-bad",
    Status.UNSENT: "chip-warn",
}
CHANNEL_NAMES = {Channel.EMAIL: N_("E-mail"), Channel.WEBHOOK: N_("Webhook")}


def _field_errors(exc: PulsoError, user: PageUser) -> dict[str, str]:
    """A domain error as {field: message in the user's language}; '_form' when it names no field."""
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    return {field if isinstance(field, str) else "_form": localized_message(exc.message, user.locale)}


def _choice(value: str, choices: Mapping[str, Any]) -> str:
    return value if value in choices else ""


def _ids(values: Sequence[str]) -> list[int]:
    return sorted({int(v) for v in values if v.strip().isdigit()})


# --- the outbox ---


def _outbox_params(status: str, channel: str, event: str, target: str = "") -> dict[str, str]:
    return {
        "status": _choice(status, {s.value: s for s in Status}),
        "channel": _choice(channel, {c.value: c for c in Channel}),
        "event": _choice(event, service.EVENT_LABELS),
        "target": target.strip()[:320],
    }


def _target_names(session: Session, rows: Sequence[Notification]) -> dict[str, str]:
    """The endpoint name of each webhook row's target (a deleted endpoint has none)."""
    wanted = {int(r.target) for r in rows if r.channel is Channel.WEBHOOK and r.target.isdigit()}
    names: dict[str, str] = {}
    for endpoint_id in wanted:
        try:
            names[str(endpoint_id)] = service.get_endpoint(session, endpoint_id).name
        except PulsoError:
            continue
    return names


@router.get("/admin/notifications")
def outbox(
    request: Request,
    session: DbSession,
    user: Admin,
    status: str = "",
    channel: str = "",
    event: str = "",
    target: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    params = _outbox_params(status, channel, event, target)
    filters = service.NotificationFilters(
        status=Status(params["status"]) if params["status"] else None,
        channel=Channel(params["channel"]) if params["channel"] else None,
        event=params["event"] or None,
        target=params["target"] or None,
    )
    found = service.notification_page(session, filters, PageParams(page=page, size=OUTBOX_PER_PAGE))
    context = {
        "title": tr(request, user, "Notifications"),
        "found": found,
        "params": params,
        "counts": service.status_counts(session),
        "target_names": _target_names(session, found.items),
        "status_names": STATUS_NAMES,
        "status_chips": STATUS_CHIPS,
        "channel_names": CHANNEL_NAMES,
        "event_labels": service.EVENT_LABELS,
        "replayable": (Status.DEAD, Status.UNSENT),
        "status_options": [(s.value, tr(request, user, STATUS_NAMES[s])) for s in Status],
        "channel_options": [(c.value, tr(request, user, CHANNEL_NAMES[c])) for c in Channel],
        "event_options": [(e, f"{tr(request, user, label)} ({e})") for e, label in service.EVENT_LABELS.items()],
    }
    return render(request, "notifications/outbox.html", context, user=user)


@router.post("/admin/notifications/replay")
def replay(
    request: Request,
    session: DbSession,
    user: Admin,
    ids: Annotated[list[str], Form()] = [],  # noqa: B006 — FastAPI copies a form default
    status: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    event: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
) -> Response:
    chosen = _ids(ids)
    back = "/admin/notifications"
    query = {k: v for k, v in _outbox_params(status, channel, event, target).items() if v}
    if query:
        back += "?" + urlencode(query)
    if not chosen:
        flash(request, tr(request, user, "Choose the notifications to send again."), "error")
        return redirect(request, back)
    replayed = service.replay(session, chosen, now=utcnow())
    if replayed:
        message = tr(request, user, "Queued to be sent again: %(count)s.") % {"count": len(replayed)}
        flash(request, message)
    else:
        flash(request, tr(request, user, "Only dead letters and unsent notifications can be sent again."), "error")
    return redirect(request, back)


@router.get("/admin/notifications/{notification_id}")
def notification_detail(request: Request, session: DbSession, user: Admin, notification_id: int) -> Response:
    row = service.get_notification(session, notification_id)
    endpoint = None
    if row.channel is Channel.WEBHOOK and row.target.isdigit():
        try:
            endpoint = service.get_endpoint(session, int(row.target))
        except PulsoError:
            endpoint = None
    context = {
        "title": tr(request, user, "Notification %(id)s") % {"id": row.id},
        "row": row,
        "endpoint": endpoint,
        "status_names": STATUS_NAMES,
        "status_chips": STATUS_CHIPS,
        "channel_names": CHANNEL_NAMES,
        "event_labels": service.EVENT_LABELS,
        "replayable": row.status in (Status.DEAD, Status.UNSENT),
    }
    return render(request, "notifications/detail.html", context, user=user)


# --- webhook endpoints ---


def _event_choices(request: Request, user: PageUser) -> list[tuple[str, str]]:
    return [(e, tr(request, user, label)) for e, label in service.EVENTS.items()]


def _webhooks_page(
    request: Request,
    session: Session,
    user: PageUser,
    *,
    page: int = 1,
    form: Mapping[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = service.endpoint_page(session, PageParams(page=page, size=ENDPOINTS_PER_PAGE))
    context = {
        "title": tr(request, user, "Webhooks"),
        "found": found,
        "counts": service.webhook_counts(session, [e.id for e in found.items]),
        "form": form or {"name": "", "url": "", "events": []},
        "errors": errors or {},
        "event_choices": _event_choices(request, user),
        "event_labels": service.EVENT_LABELS,
        "params": {},
    }
    return render(request, "notifications/webhooks.html", context, user=user, status_code=status)


@router.get("/admin/webhooks")
def webhooks(request: Request, session: DbSession, user: Admin, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    return _webhooks_page(request, session, user, page=page)


@router.post("/admin/webhooks")
def create_webhook(
    request: Request,
    session: DbSession,
    user: Admin,
    name: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    events: Annotated[list[str], Form()] = [],  # noqa: B006 — FastAPI copies a form default
) -> Response:
    form = {"name": name, "url": url, "events": events}
    try:
        with session.begin_nested():
            endpoint = service.add_endpoint(session, name=name, url=url, events=events, created_by=user.id)
    except PulsoError as exc:
        return _webhooks_page(
            request, session, user, form=form, errors=_field_errors(exc, user), status=exc.status_code
        )
    flash(
        request,
        tr(request, user, "Webhook %(name)s created. Give its secret to the receiver.") % {"name": endpoint.name},
    )
    return redirect(request, f"/admin/webhooks/{endpoint.id}")


def _webhook_form(
    request: Request,
    session: Session,
    user: PageUser,
    endpoint: WebhookEndpoint,
    *,
    form: Mapping[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    values = form or {
        "name": endpoint.name,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "is_active": endpoint.is_active,
    }
    context = {
        "title": endpoint.name,
        "endpoint": endpoint,
        "form": values,
        "errors": errors or {},
        "event_choices": _event_choices(request, user),
        "counts": service.webhook_counts(session, [endpoint.id])[endpoint.id],
        "status_names": STATUS_NAMES,
    }
    # The page shows the signing secret: no cache may keep it.
    return render(
        request,
        "notifications/webhook.html",
        context,
        user=user,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/admin/webhooks/{endpoint_id}")
def webhook(request: Request, session: DbSession, user: Admin, endpoint_id: int) -> Response:
    return _webhook_form(request, session, user, service.get_endpoint(session, endpoint_id))


@router.post("/admin/webhooks/{endpoint_id}")
def update_webhook(
    request: Request,
    session: DbSession,
    user: Admin,
    endpoint_id: int,
    name: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    events: Annotated[list[str], Form()] = [],  # noqa: B006 — FastAPI copies a form default
    is_active: Annotated[str, Form()] = "",
) -> Response:
    endpoint = service.get_endpoint(session, endpoint_id)
    form = {"name": name, "url": url, "events": events, "is_active": bool(is_active)}
    try:
        with session.begin_nested():
            service.update_endpoint(session, endpoint_id, name=name, url=url, events=events, is_active=bool(is_active))
    except PulsoError as exc:
        session.refresh(endpoint)
        return _webhook_form(
            request, session, user, endpoint, form=form, errors=_field_errors(exc, user), status=exc.status_code
        )
    flash(request, tr(request, user, "Changes saved."))
    return redirect(request, f"/admin/webhooks/{endpoint_id}")


@router.post("/admin/webhooks/{endpoint_id}/active")
def set_webhook_active(
    request: Request, session: DbSession, user: Admin, endpoint_id: int, active: Annotated[str, Form()] = ""
) -> Response:
    endpoint = service.update_endpoint(session, endpoint_id, is_active=active == "yes")
    if endpoint.is_active:
        message = tr(request, user, "Webhook %(name)s switched on.")
    else:
        message = tr(request, user, "Webhook %(name)s switched off.")
    flash(request, message % {"name": endpoint.name})
    return redirect(request, "/admin/webhooks")


@router.post("/admin/webhooks/{endpoint_id}/test")
def test_webhook(request: Request, session: DbSession, user: Admin, endpoint_id: int) -> Response:
    try:
        with session.begin_nested():
            notification_id = service.send_test_event(session, endpoint_id)
    except PulsoError as exc:
        if exc.status_code == 404:
            raise
        flash(request, localized_message(exc.message, user.locale), "error")
        return redirect(request, f"/admin/webhooks/{endpoint_id}")
    flash(
        request,
        tr(request, user, "Test event queued; its delivery is notification %(id)s.") % {"id": notification_id},
    )
    return redirect(request, f"/admin/notifications/{notification_id}")


@router.post("/admin/webhooks/{endpoint_id}/delete")
def delete_webhook(request: Request, session: DbSession, user: Admin, endpoint_id: int) -> Response:
    name = service.delete_endpoint(session, endpoint_id)
    flash(request, tr(request, user, "Webhook %(name)s deleted.") % {"name": name})
    return redirect(request, "/admin/webhooks")
