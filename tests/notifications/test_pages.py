"""The outbox and webhook pages through the app (admins only, CSRF on every form), on both engines."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.models import User
from pulso.notifications import service
from pulso.notifications.enums import Status
from pulso.notifications.models import Notification, WebhookEndpoint
from pulso.runtime import Runtime
from tests.notifications.conftest import Receiver, SmtpServer
from tests.web import conftest as web
from tests.web.conftest import World, csrf_from

# The page fixtures of tests/web (an app, a user per role, browsers signed in as each).
app, browser, world = web.app, web.browser, web.world

Browser = Callable[[Role], TestClient]
SECRET = re.compile(r'id="webhook-secret"[^>]*>(whsec_[A-Za-z0-9_\-]+)<')


def post(client: TestClient, path: str, data: dict[str, Any], *, page: str = "/admin/notifications") -> Response:
    response: Response = client.post(path, data={**data, "csrf_token": csrf_from(client.get(page).text)})
    return response


def _endpoint(runtime: Runtime, url: str, **values: Any) -> WebhookEndpoint:
    with runtime.sessions() as session, session.begin():
        return service.add_endpoint(session, name=values.pop("name", "Zendesk"), url=url, **values)


def _status(runtime: Runtime, notification_id: int) -> Status:
    with runtime.sessions() as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        return row.status


def _kill(runtime: Runtime, ids: list[int], error: str) -> None:
    """Make these notifications dead letters, as the last failed attempt does."""
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(status=Status.DEAD, attempts=4, last_error=error)
        )


def test_the_outbox_lists_newest_first_with_filters_and_highlights_dead_letters(
    browser: Browser, world: World, runtime: Runtime, receiver: Receiver, smtp: SmtpServer
) -> None:
    _endpoint(runtime, receiver.url)
    with runtime.sessions() as session, session.begin():
        email, hook = service.publish(
            session,
            event="case.opened",
            key="case:1",
            payload={"case": 1},
            emails=[service.EmailRecipient("ana@example.com", "Ana", "es")],
            email_template=service.TEST_EMAIL_TEMPLATE,
        )
        [later] = service.publish(session, event="case.resolved", key="case:1", payload={})
    _kill(runtime, [hook], "HTTP 500: receptor caído")
    admin = browser(Role.ADMIN)
    html = admin.get("/admin/notifications").text
    assert "Notificaciones" in html
    assert "Muerta" in html
    assert "Enviada" in html
    assert html.index(f"/admin/notifications/{later}") < html.index(f"/admin/notifications/{email}")  # newest first
    assert 'class="row-dead"' in html
    assert "HTTP 500: receptor caído" in html
    assert f'name="ids" value="{hook}" form="replay-selected"' in html
    only_dead = admin.get("/admin/notifications?status=dead").text
    assert f"/admin/notifications/{hook}" in only_dead
    assert f"/admin/notifications/{email}" not in only_dead
    emails = admin.get("/admin/notifications?channel=email&event=case.opened").text
    assert f"/admin/notifications/{email}" in emails
    assert f"/admin/notifications/{later}" not in emails
    nonsense = admin.get("/admin/notifications?status=lost&channel=pigeon&event=x")
    assert nonsense.status_code == 200  # unknown filters are dropped
    detail = admin.get(f"/admin/notifications/{email}").text
    assert "Mensaje de prueba de Pulso" in detail  # the subject as sent, in Ana's Spanish
    assert "Hola, Ana:" in detail
    assert admin.get("/admin/notifications/999999").status_code == 404


def test_replaying_the_selected_dead_letters_sends_them(
    browser: Browser, world: World, runtime: Runtime, receiver: Receiver
) -> None:
    _endpoint(runtime, receiver.url)
    with runtime.sessions() as session, session.begin():
        ids = [i for n in range(3) for i in service.publish(session, event="case.opened", key=f"case:{n}", payload={})]
    _kill(runtime, ids, "HTTP 503")
    before = len(receiver.received())
    admin = browser(Role.ADMIN)
    response = post(admin, "/admin/notifications/replay", {"ids": [str(ids[0]), str(ids[2])], "status": "dead"})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/notifications?status=dead"
    assert [_status(runtime, i) for i in ids] == [Status.SENT, Status.DEAD, Status.SENT]
    assert receiver.deliveries()[before:] == [ids[0], ids[2]]
    assert "En cola para reenviar: 2." in admin.get("/admin/notifications").text
    # A replay without the form's token changes nothing.
    refused = admin.post("/admin/notifications/replay", data={"ids": str(ids[1])})
    assert refused.status_code == 403
    assert _status(runtime, ids[1]) is Status.DEAD
    # One row's own button.
    post(admin, "/admin/notifications/replay", {"ids": str(ids[1])})
    assert _status(runtime, ids[1]) is Status.SENT


def test_webhooks_are_added_with_their_events_shown_with_their_secret_tested_switched_and_deleted(
    browser: Browser, world: World, runtime: Runtime, session: Session, receiver: Receiver
) -> None:
    admin = browser(Role.ADMIN)
    response = post(
        admin,
        "/admin/webhooks",
        {"name": "Zendesk", "url": receiver.url, "events": ["case.opened", "case.escalated"]},
        page="/admin/webhooks",
    )
    assert response.status_code == 303
    with session.begin():
        endpoint = session.scalars(select(WebhookEndpoint)).one()
        assert (endpoint.name, endpoint.url, endpoint.events) == (
            "Zendesk",
            receiver.url,
            ["case.opened", "case.escalated"],
        )
        assert endpoint.created_by == world.user_ids[Role.ADMIN]
    assert response.headers["location"] == f"/admin/webhooks/{endpoint.id}"
    page = admin.get(f"/admin/webhooks/{endpoint.id}")
    assert page.headers["cache-control"] == "no-store"
    match = SECRET.search(page.text)
    assert match is not None
    assert match.group(1) == endpoint.secret
    listing = admin.get("/admin/webhooks").text
    assert "Caso abierto, Caso escalado" in listing

    tested = post(admin, f"/admin/webhooks/{endpoint.id}/test", {}, page="/admin/webhooks")
    assert tested.status_code == 303
    [request] = receiver.received()
    assert request.headers["Pulso-Event"] == service.TEST_EVENT
    assert tested.headers["location"] == f"/admin/notifications/{request.headers['Pulso-Delivery']}"

    post(admin, f"/admin/webhooks/{endpoint.id}/active", {"active": "no"}, page="/admin/webhooks")
    with session.begin():
        assert session.get(WebhookEndpoint, endpoint.id, populate_existing=True).is_active is False  # type: ignore[union-attr]
    assert "Activar" in admin.get("/admin/webhooks").text
    switched_off = post(admin, f"/admin/webhooks/{endpoint.id}/test", {}, page="/admin/webhooks")
    assert switched_off.status_code == 303
    assert "active el receptor antes de probarlo" in admin.get(switched_off.headers["location"]).text

    edited = post(
        admin,
        f"/admin/webhooks/{endpoint.id}",
        {"name": "Zendesk MX", "url": receiver.url + "/v2", "events": [], "is_active": "1"},
        page="/admin/webhooks",
    )
    assert edited.status_code == 303
    with session.begin():
        row = session.get(WebhookEndpoint, endpoint.id, populate_existing=True)
        assert row is not None
        assert (row.name, row.url, row.events, row.is_active) == ("Zendesk MX", receiver.url + "/v2", [], True)
    assert "Todos los eventos" in admin.get("/admin/webhooks").text

    deleted = post(admin, f"/admin/webhooks/{endpoint.id}/delete", {}, page="/admin/webhooks")
    assert deleted.status_code == 303
    with session.begin():
        assert session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
    assert admin.get(f"/admin/webhooks/{endpoint.id}").status_code == 404


def test_a_webhook_form_with_mistakes_says_so_in_the_users_language(
    browser: Browser, world: World, session: Session
) -> None:
    admin = browser(Role.ADMIN)
    bad_url = post(admin, "/admin/webhooks", {"name": "X", "url": "ftp://example.com"}, page="/admin/webhooks")
    assert bad_url.status_code == 422
    assert "use una URL http:// o https://" in bad_url.text
    assert 'value="ftp://example.com"' in bad_url.text  # what was typed is kept
    bad_event = post(
        admin,
        "/admin/webhooks",
        {"name": "X", "url": "https://example.com", "events": ["case.deleted"]},
        page="/admin/webhooks",
    )
    assert bad_event.status_code == 422
    assert "no existen case.deleted" in bad_event.text
    no_name = post(admin, "/admin/webhooks", {"name": " ", "url": "https://example.com"}, page="/admin/webhooks")
    assert no_name.status_code == 422
    assert "póngale un nombre" in no_name.text
    with session.begin():
        assert session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
        session.execute(update(User).where(User.id == world.user_ids[Role.ADMIN]).values(locale="en"))
    english = post(admin, "/admin/webhooks", {"name": "X", "url": "example.com"}, page="/admin/webhooks")
    assert "use an http:// or https:// URL" in english.text
    assert "New webhook" in english.text


def test_the_navigation_shows_the_pages_to_admins_only(browser: Browser, world: World) -> None:
    html = browser(Role.ADMIN).get("/").text
    assert 'href="/admin/notifications"' in html
    assert 'href="/admin/webhooks"' in html
    for role in (Role.CX_MANAGER, Role.SUPERVISOR, Role.AGENT, Role.VIEWER):
        html = browser(role).get("/").text
        assert 'href="/admin/notifications"' not in html, role
        assert browser(role).get("/admin/notifications").status_code == 403


def test_a_replay_of_rows_that_cannot_be_replayed_says_so(browser: Browser, world: World, runtime: Runtime) -> None:
    admin = browser(Role.ADMIN)
    assert post(admin, "/admin/notifications/replay", {}).status_code == 303
    assert "Elija las notificaciones" in admin.get("/admin/notifications").text
    post(admin, "/admin/notifications/replay", {"ids": "999999"})
    assert "Solo se pueden reenviar" in admin.get("/admin/notifications").text
