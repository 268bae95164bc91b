"""The notifications API (admins only): the outbox, replay, webhook endpoints; on both engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.notifications import service
from pulso.notifications.enums import Status
from pulso.notifications.models import Notification
from pulso.runtime import Runtime
from tests.notifications.conftest import Receiver, SmtpServer
from tests.web import conftest as web

app = web.app


@pytest.fixture
def api(app: object, session: Session) -> Iterator[TestClient]:
    """A client with an admin's API token."""
    with session.begin():
        token = accounts.create_token(session, name="ops", role=Role.ADMIN).token
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:  # type: ignore[arg-type]
        yield client


def test_webhooks_are_created_listed_changed_and_deleted(api: TestClient, receiver: Receiver) -> None:
    created = api.post("/api/v1/webhooks", json={"name": "CRM", "url": receiver.url, "events": ["case.resolved"]})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert (body["name"], body["url"], body["events"], body["is_active"]) == (
        "CRM",
        receiver.url,
        ["case.resolved"],
        True,
    )
    listed = api.get("/api/v1/webhooks").json()
    assert (listed["total"], [e["id"] for e in listed["items"]]) == (1, [body["id"]])
    changed = api.patch(f"/api/v1/webhooks/{body['id']}", json={"events": [], "is_active": False})
    assert changed.status_code == 200
    assert (changed.json()["events"], changed.json()["is_active"], changed.json()["name"]) == ([], False, "CRM")
    assert api.delete(f"/api/v1/webhooks/{body['id']}").status_code == 204
    assert api.delete(f"/api/v1/webhooks/{body['id']}").status_code == 404
    assert api.patch(f"/api/v1/webhooks/{body['id']}", json={"name": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "url": "ftp://example.com"}, "url"),
        ({"name": "X", "url": "https://example.com", "events": ["case.deleted"]}, "events"),
        ({"name": " ", "url": "https://example.com"}, "name"),
    ],
)
def test_a_bad_webhook_is_refused_with_422(api: TestClient, payload: dict[str, object], field: str) -> None:
    response = api.post("/api/v1/webhooks", json=payload)
    assert response.status_code == 422
    assert response.json()["details"]["field"] == field


def test_the_outbox_is_listed_with_filters_and_dead_letters_are_replayed(
    api: TestClient, runtime: Runtime, receiver: Receiver, smtp: SmtpServer
) -> None:
    with runtime.sessions() as session, session.begin():
        endpoint = service.add_endpoint(session, name="CRM", url=receiver.url)
        ids = service.publish(
            session,
            event="case.opened",
            key="case:4",
            payload={"case": 4},
            emails=[service.EmailRecipient("ana@example.com", "Ana", "es")],
            email_template=service.TEST_EMAIL_TEMPLATE,
        )
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(Notification).where(Notification.id == ids[1]).values(status=Status.DEAD, last_error="HTTP 500")
        )
    page = api.get("/api/v1/notifications").json()
    assert page["total"] == 2
    assert [n["id"] for n in page["items"]] == sorted(ids, reverse=True)
    dead = api.get("/api/v1/notifications", params={"status": "dead"}).json()["items"]
    assert [(n["id"], n["channel"], n["target"], n["last_error"]) for n in dead] == [
        (ids[1], "webhook", str(endpoint.id), "HTTP 500")
    ]
    emails = api.get("/api/v1/notifications", params={"channel": "email", "key": "case:4"}).json()["items"]
    assert [(n["target"], n["subject"], n["status"]) for n in emails] == [
        ("ana@example.com", "Mensaje de prueba de Pulso", "sent")
    ]
    assert api.get("/api/v1/notifications", params={"status": "lost"}).status_code == 422
    replayed = api.post("/api/v1/notifications/replay", json={"ids": ids})
    assert replayed.json() == {"replayed": [ids[1]]}  # the sent e-mail is left alone
    assert receiver.deliveries() == [ids[1], ids[1]]
    assert api.get("/api/v1/notifications", params={"status": "dead"}).json()["total"] == 0
    assert api.post("/api/v1/notifications/replay", json={"ids": []}).status_code == 422
