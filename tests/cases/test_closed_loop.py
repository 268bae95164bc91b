"""The whole loop through the API and the queue (inline here), against real SMTP and HTTP servers on
loopback: a detractor's feedback opens a case, its e-mail and webhook arrive; with the receiver down,
every case event waits and then arrives once, in order per case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.app import create_app
from pulso.cases import service
from pulso.cases.enums import CaseStatus
from pulso.cases.models import Case
from pulso.config import Settings
from pulso.kit.db import utcnow
from pulso.notifications import logic as notification_logic
from pulso.notifications import service as notifications
from pulso.runtime import Runtime
from tests.cases.conftest import DETRACTOR, Org, add_rule, tx
from tests.notifications.conftest import Receiver, SmtpServer, receiver, smtp

__all__ = ["receiver", "smtp"]  # the loopback servers' fixtures, shared with the notification tests


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_timeout": 5.0,
            "webhook_timeout": 2.0,
            "public_url": "https://pulso.example.com",
        }
    )


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, sync_loop=False)) as c:
        yield c


def _token(session: Session) -> str:
    with tx(session):
        return accounts.create_token(session, name="api", role=Role.CX_MANAGER).token


def _post(client: TestClient, token: str, external_id: str, nps: int) -> None:
    body = {"external_id": external_id, "received_at": utcnow().isoformat(), "nps": nps, "team": "Postventa"}
    response = client.post("/api/v1/feedback", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text


@pytest.fixture
def live_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the cases conftest's switch: here saving a rule and posting feedback queue the rules as live."""
    from pulso.cases import tasks

    monkeypatch.setattr(service, "_request_rules", tasks.request_rules)


def test_a_detractor_through_the_api_gets_a_case_an_email_and_a_webhook(
    runtime: Runtime,
    session: Session,
    org: Org,
    smtp: SmtpServer,
    receiver: Receiver,
    client: TestClient,
    live_rules: None,
) -> None:
    token = _token(session)
    with tx(session):
        endpoint = notifications.add_endpoint(session, name="crm", url=receiver.url, events=["case.opened"])
        secret = endpoint.secret
        add_rule(session, org, "Detractores", DETRACTOR, applies_from=utcnow() - timedelta(days=1))
    _post(client, token, "API-1", 3)
    _post(client, token, "API-2", 10)
    with tx(session):
        [case] = session.execute(select(Case)).scalars().all()
    owner = org.agents[0]
    assert case.owner_id == owner.id
    [mail] = smtp.messages
    assert mail["To"].addresses[0].addr_spec == owner.email
    assert f"#{case.id}" in mail["Subject"]
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Un cliente necesita una llamada" in text  # the owner's language (es)
    assert f"https://pulso.example.com/cases/{case.id}" in text
    [hook] = receiver.received()
    assert hook.headers["Pulso-Event"] == "case.opened"
    assert notification_logic.verify(secret, hook.headers["Pulso-Signature"], hook.body, now=utcnow())
    data = json.loads(hook.body)["data"]
    assert (data["id"], data["status"], data["priority"]) == (case.id, "new", "high")


def test_with_the_receiver_down_every_case_event_waits_and_arrives_once_in_order(
    runtime: Runtime, session: Session, org: Org, receiver: Receiver, live_rules: None, client: TestClient
) -> None:
    token = _token(session)
    with tx(session):
        notifications.add_endpoint(session, name="crm", url=receiver.url)
        add_rule(session, org, "Detractores", DETRACTOR, applies_from=utcnow() - timedelta(days=1))
    receiver.stop()
    for n in range(3):
        _post(client, token, f"DOWN-{n}", n)
    lead = Principal(role=Role.CX_MANAGER, user_id=org.supervisor.id)
    with tx(session):
        ids = [c.id for c in session.execute(select(Case).order_by(Case.id)).scalars()]
        assert len(ids) == 3
    for i, case_id in enumerate(ids):  # round robin gave them to agents 0, 1, 2: each to the next one
        with tx(session):
            service.assign_case(session, lead, case_id, org.agents[(i + 1) % 3].id, now=utcnow())
            service.escalate_case(session, lead, case_id, now=utcnow())
        with tx(session):
            service.change_status(session, lead, case_id, CaseStatus.RESOLVED, resolution="Llamado", now=utcnow())
    assert receiver.received() == []
    receiver.start()
    later = utcnow() + timedelta(hours=2)  # past every back-off
    notifications.deliver_due(runtime, now=later)
    arrived = [json.loads(r.body) for r in receiver.received()]
    assert len({a["id"] for a in arrived}) == len(arrived)  # once each
    for case_id in ids:
        events = [a["event"] for a in arrived if a["key"] == f"case:{case_id}"]
        assert events == ["case.opened", "case.assigned", "case.escalated", "case.resolved"]
    assert not notifications.deliver_due(runtime, now=later + timedelta(minutes=5)).handled
