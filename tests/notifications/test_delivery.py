"""Publishing and delivering against real servers on loopback (SMTP and HTTP), on SQLite and PostgreSQL.

The queue runs jobs inline in tests (PULSO_QUEUE=immediate): a publish's delivery runs when its
transaction commits, and a retry scheduled with a delay waits in the queue's schedule; the tests
then move time on by calling the sweep with a later `now`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.kit.db import utcnow
from pulso.kit.errors import ValidationFailed
from pulso.notifications import logic, repository, service, tasks
from pulso.notifications.enums import Channel, Status
from pulso.notifications.models import Notification, WebhookEndpoint
from pulso.notifications.service import EmailRecipient
from pulso.runtime import Runtime
from pulso.worker import huey
from tests.notifications.conftest import Receiver, SmtpServer, free_port

ANA = EmailRecipient(address="ana@example.com", name="Ana Peña", locale="es")
BOB = EmailRecipient(address="bob@example.com", name="Bob Smith", locale="en")


def _publish(runtime: Runtime, **values: Any) -> list[int]:
    values.setdefault("payload", {"case": 1})
    with runtime.sessions() as session, session.begin():
        return service.publish(session, **values)


def _endpoint(runtime: Runtime, url: str, *, events: Sequence[str] = (), active: bool = True) -> WebhookEndpoint:
    with runtime.sessions() as session, session.begin():
        return service.add_endpoint(session, name=f"Receptor {url[-6:]}", url=url, events=events, is_active=active)


def _rows(runtime: Runtime, ids: Sequence[int]) -> list[Notification]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)))


def _part(message: EmailMessage, kind: str) -> str:
    body = message.get_body((kind,))
    assert body is not None, f"no {kind} part"
    return str(body.get_content())


def _later(minutes: float) -> datetime:
    return utcnow() + timedelta(minutes=minutes)


@pytest.fixture
def no_queue(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The queue loses every delivery job (what a crash or a queue outage does); returns what was asked."""
    asked: list[list[int]] = []
    monkeypatch.setattr(tasks, "request_delivery", lambda ids: asked.append(list(ids)))
    return asked


# --------------------------------------------------------------------------- publishing


def test_publish_stores_one_row_per_recipient_and_per_subscribed_endpoint(
    runtime: Runtime, smtp: SmtpServer, receiver: Receiver
) -> None:
    everything = _endpoint(runtime, receiver.url)
    _endpoint(runtime, receiver.url + "/resolved", events=["case.resolved"])
    _endpoint(runtime, receiver.url + "/off", active=False)
    ids = _publish(
        runtime,
        event="case.opened",
        key="case:42",
        payload={"case": 42},
        emails=[ANA, BOB],
        email_template=service.TEST_EMAIL_TEMPLATE,
    )
    rows = _rows(runtime, ids)
    assert [(r.channel, r.target) for r in rows] == [
        (Channel.EMAIL, "ana@example.com"),
        (Channel.EMAIL, "bob@example.com"),
        (Channel.WEBHOOK, str(everything.id)),
    ]
    # Delivered when the publishing transaction committed (the test queue runs jobs inline).
    assert [r.status for r in rows] == [Status.SENT] * 3
    assert all(r.attempts == 1 and r.sent_at is not None for r in rows)
    assert sorted(m["To"] for m in smtp.messages) == ["Ana Peña <ana@example.com>", "Bob Smith <bob@example.com>"]
    assert [r.path for r in receiver.received()] == ["/hooks/pulso"]


def test_a_publish_that_rolls_back_stores_and_sends_nothing(
    runtime: Runtime, session: Session, smtp: SmtpServer, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    _endpoint(runtime, receiver.url)
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks, "request_delivery", lambda ids: queued.append(list(ids)))
    stored: list[int] = []

    def open_case_that_fails() -> None:
        with session.begin():
            stored.extend(
                service.publish(
                    session,
                    event="case.opened",
                    key="case:1",
                    payload={},
                    emails=[ANA],
                    email_template=service.TEST_EMAIL_TEMPLATE,
                )
            )
            raise RuntimeError("the case could not be saved")

    with pytest.raises(RuntimeError, match="the case could not be saved"):
        open_case_that_fails()
    assert len(stored) == 2
    with session.begin():
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
    assert queued == []
    service.deliver_due(runtime, now=_later(60))
    assert smtp.messages == []
    assert receiver.received() == []


def test_delivery_is_queued_only_after_the_commit(
    runtime: Runtime, session: Session, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[list[int], int]] = []

    def request_delivery(ids: Sequence[int]) -> None:
        # Another connection already sees the rows: the job can never run ahead of the commit.
        with runtime.sessions() as other:
            visible = other.scalar(select(func.count()).select_from(Notification).where(Notification.id.in_(ids)))
        seen.append((list(ids), int(visible or 0)))

    monkeypatch.setattr(tasks, "request_delivery", request_delivery)
    with session.begin():
        ids = service.publish(
            session,
            event="case.opened",
            key="case:1",
            payload={},
            emails=[ANA],
            email_template=service.TEST_EMAIL_TEMPLATE,
        )
        session.flush()
        assert seen == []
    assert seen == [(ids, 1)]
    assert smtp.messages == []  # the job was only recorded here
    # A savepoint rolled back inside a transaction that commits: its callback is kept, harmlessly.
    with session.begin():
        with session.begin_nested():
            service.publish(session, event="case.opened", key="case:2", payload={})
        service.publish(session, event="case.opened", key="case:3", payload={})
    assert len(seen) == 1  # no endpoint: nothing was stored, nothing queued


def test_a_payload_that_is_not_json_fails_the_publish(runtime: Runtime, session: Session) -> None:
    with pytest.raises(TypeError), session.begin():
        service.publish(session, event="case.opened", key="case:1", payload={"when": object()})


def test_recipients_need_a_template_and_a_bad_address_is_a_dead_letter_not_a_failed_publish(
    runtime: Runtime, session: Session, smtp: SmtpServer
) -> None:
    with pytest.raises(ValueError, match="email_template"), session.begin():
        service.publish(session, event="case.opened", key="case:1", payload={}, emails=[ANA])
    bad = EmailRecipient(address="ana@", name="Ana", locale="es")
    ids = _publish(
        runtime, event="case.opened", key="case:1", emails=[bad, BOB], email_template=service.TEST_EMAIL_TEMPLATE
    )
    dead, sent = _rows(runtime, ids)
    assert (dead.status, dead.attempts, dead.target) == (Status.DEAD, 0, "ana@")
    assert dead.last_error is not None
    assert "not an e-mail address" in dead.last_error
    assert sent.status is Status.SENT
    assert [m["To"] for m in smtp.messages] == ["Bob Smith <bob@example.com>"]
    with pytest.raises(ValidationFailed, match="address"), session.begin():
        service.send_test_email(session, address="ana@")


# --------------------------------------------------------------------------- e-mail


@pytest.fixture
def greeting_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A template of the tests' own, found like any domain's: subject, body and html, gettext and filters."""
    from pulso.web import templating

    folder = tmp_path / "templates" / "testing" / "email"
    folder.mkdir(parents=True)
    (folder / "greeting.txt").write_text(
        "{% block subject %}{{ _('Case opened') }} #{{ case_id }}{% endblock %}\n"
        "{% block body %}\n"
        "{{ _('Hello %(name)s,', name=recipient.name) }}\n"
        "{{ ngettext('%(num)s notification', '%(num)s notifications', count, num=count) }} · {{ when|date }}\n"
        "{{ note }}\n"
        "{% endblock %}\n"
        "{% block html %}<p>{{ _('Hello %(name)s,', name=recipient.name) }}</p><p>{{ note }}</p>{% endblock %}\n",
        encoding="utf-8",
    )
    original = templating.template_dirs
    monkeypatch.setattr(templating, "template_dirs", lambda: [*original(), tmp_path / "templates"])
    service._mail_environment.cache_clear()
    yield "testing/email/greeting.txt"
    service._mail_environment.cache_clear()


def test_emails_are_rendered_in_each_recipients_language_and_arrive_as_sent(
    runtime: Runtime, smtp: SmtpServer, greeting_template: str
) -> None:
    context = {"case_id": 42, "count": 3, "when": datetime(2026, 3, 5, 12, tzinfo=UTC), "note": "<b>urgente</b> & más"}
    ids = _publish(
        runtime,
        event="case.opened",
        key="case:42",
        emails=[ANA, BOB],
        email_template=greeting_template,
        context=context,
    )
    rows = {r.target: r for r in _rows(runtime, ids)}
    messages = {m["To"].addresses[0].addr_spec: m for m in smtp.messages}
    spanish, english = messages["ana@example.com"], messages["bob@example.com"]

    assert spanish["Subject"] == "Caso abierto #42"
    assert english["Subject"] == "Case opened #42"
    spanish_text = _part(spanish, "plain")
    english_text = _part(english, "plain")
    assert "Hola, Ana Peña:" in spanish_text
    assert "3 notificaciones · 5 mar 2026" in spanish_text
    assert "Hello Bob Smith," in english_text
    assert "3 notifications · Mar 5, 2026" in english_text
    # Plain text is not escaped; the HTML part is.
    assert "<b>urgente</b> & más" in spanish_text
    assert "<p>&lt;b&gt;urgente&lt;/b&gt; &amp; más</p>" in _part(spanish, "html")
    # What was sent is what the row keeps.
    assert rows["ana@example.com"].subject == "Caso abierto #42"
    assert rows["ana@example.com"].body == spanish_text.replace("\r\n", "\n")
    assert rows["ana@example.com"].locale == "es"
    assert rows["bob@example.com"].locale == "en"
    assert spanish["From"] == "Pulso Pruebas <avisos@pulso.test>"
    assert spanish["Pulso-Delivery"] == str(rows["ana@example.com"].id)
    assert spanish["Message-ID"].startswith(f"<notification-{rows['ana@example.com'].id}.")
    assert spanish["Auto-Submitted"] == "auto-generated"


def test_a_template_missing_a_value_fails_the_publish(
    runtime: Runtime, session: Session, greeting_template: str
) -> None:
    with pytest.raises(Exception, match="case_id"), session.begin():
        service.publish(
            session, event="case.opened", key="case:1", payload={}, emails=[ANA], email_template=greeting_template
        )


def test_smtp_down_then_up_delivers_every_email_once_in_order_per_key(runtime: Runtime, smtp: SmtpServer) -> None:
    smtp.stop()
    published: dict[str, list[int]] = {"case:1": [], "case:2": []}
    for n in range(3):
        for key in published:
            published[key] += _publish(
                runtime,
                event="case.assigned",
                key=key,
                payload={"n": n},
                emails=[ANA],
                email_template=service.TEST_EMAIL_TEMPLATE,
            )
    rows = _rows(runtime, [i for ids in published.values() for i in ids])
    heads = {ids[0] for ids in published.values()}
    for row in rows:
        if row.id in heads:  # the first of each key was tried and failed
            assert (row.status, row.attempts) == (Status.PENDING, 1)
            assert row.last_error
            assert "Connection" in row.last_error
            assert row.next_attempt_at > row.created_at
        else:  # the others wait for it: not even tried
            assert (row.status, row.attempts, row.last_error) == (Status.PENDING, 0, None)
    # Still down: the sweep tries the heads again, and only them.
    report = service.deliver_due(runtime, now=_later(1))
    assert sorted(report.retrying) == sorted(heads)
    assert not report.sent
    smtp.start()
    report = service.deliver_due(runtime, now=_later(5))
    assert sorted(report.sent) == sorted(i for ids in published.values() for i in ids)
    delivered = [int(m["Pulso-Delivery"]) for m in smtp.messages]
    assert sorted(delivered) == sorted(report.sent)  # each exactly once
    for ids in published.values():
        assert [i for i in delivered if i in ids] == ids  # in creation order per key
    assert not service.deliver_due(runtime, now=_later(60)).handled
    assert len(smtp.messages) == 6


def test_without_an_smtp_host_emails_are_kept_unsent_and_a_replay_sends_them(
    runtime: Runtime, settings: Any, smtp: SmtpServer
) -> None:
    runtime.settings = settings.model_copy(update={"smtp_host": None})
    ids = _publish(runtime, event="case.opened", key="case:7", emails=[ANA], email_template=service.TEST_EMAIL_TEMPLATE)
    [row] = _rows(runtime, ids)
    assert (row.status, row.attempts) == (Status.UNSENT, 0)
    assert row.last_error is not None
    assert "PULSO_SMTP_HOST" in row.last_error
    assert not service.deliver_due(runtime, now=_later(120)).handled  # unsent waits for a person
    runtime.settings = settings
    with runtime.sessions() as session, session.begin():
        assert service.replay(session, ids, now=utcnow()) == ids
    [row] = _rows(runtime, ids)
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert [m["Pulso-Delivery"] for m in smtp.messages] == [str(ids[0])]


def test_a_recipient_refused_for_good_is_a_dead_letter_at_once(runtime: Runtime, smtp: SmtpServer) -> None:
    smtp.handler.refuse = "550 5.1.1 mailbox unavailable"
    ids = _publish(runtime, event="case.opened", key="case:8", emails=[ANA], email_template=service.TEST_EMAIL_TEMPLATE)
    [row] = _rows(runtime, ids)
    assert (row.status, row.attempts) == (Status.DEAD, 1)
    assert row.last_error is not None
    assert "550" in row.last_error
    smtp.handler.refuse = "451 4.3.0 try again later"
    ids = _publish(runtime, event="case.opened", key="case:9", emails=[ANA], email_template=service.TEST_EMAIL_TEMPLATE)
    [row] = _rows(runtime, ids)
    assert (row.status, row.attempts) == (Status.PENDING, 1)  # a temporary refusal is retried


def test_the_test_email_goes_to_one_address_and_no_webhook(
    runtime: Runtime, smtp: SmtpServer, receiver: Receiver
) -> None:
    _endpoint(runtime, receiver.url)  # subscribed to every event
    with runtime.sessions() as session, session.begin():
        notification_id = service.send_test_email(session, address="ops@example.com", name="Ops", locale="en")
    [message] = smtp.messages
    assert message["Subject"] == "Pulso test message"
    assert message["Pulso-Delivery"] == str(notification_id)
    assert receiver.received() == []


# --------------------------------------------------------------------------- webhooks


def test_a_webhook_is_signed_json_that_the_receiver_can_verify(runtime: Runtime, receiver: Receiver) -> None:
    endpoint = _endpoint(runtime, receiver.url)
    [notification_id] = _publish(
        runtime, event="case.escalated", key="case:5", payload={"case": 5, "nivel": "dirección"}
    )
    [request] = receiver.received()
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Pulso-Event"] == "case.escalated"
    assert request.headers["Pulso-Delivery"] == str(notification_id)
    assert logic.verify(endpoint.secret, request.headers["Pulso-Signature"], request.body, utcnow())
    assert not logic.verify("whsec_wrong", request.headers["Pulso-Signature"], request.body, utcnow())
    document = json.loads(request.body)
    assert document["id"] == notification_id
    assert (document["event"], document["key"], document["data"]) == (
        "case.escalated",
        "case:5",
        {"case": 5, "nivel": "dirección"},
    )
    created = datetime.fromisoformat(document["created_at"].replace("Z", "+00:00"))
    assert abs((created - utcnow()).total_seconds()) < 60
    [row] = _rows(runtime, [notification_id])
    assert row.body.encode() == request.body  # what was sent is kept


def test_receiver_down_then_up_every_event_arrives_once_in_order_per_key(runtime: Runtime, receiver: Receiver) -> None:
    _endpoint(runtime, receiver.url)
    receiver.stop()
    published: dict[str, list[int]] = {"case:1": [], "case:2": []}
    for n in range(4):
        for key in published:
            published[key] += _publish(runtime, event="case.assigned", key=key, payload={"n": n})
    all_ids = sorted(i for ids in published.values() for i in ids)
    heads = sorted(ids[0] for ids in published.values())
    rows = {r.id: r for r in _rows(runtime, all_ids)}
    assert [i for i in all_ids if rows[i].attempts] == heads
    assert all(rows[i].last_error and "ConnectError" in str(rows[i].last_error) for i in heads)
    # Each failure scheduled its retry on the queue, about 10 s later.
    scheduled = [t for t in huey.scheduled() if t.name == "notifications.deliver" and set(t.args[0]) <= set(heads)]
    assert {i for t in scheduled for i in t.args[0]} == set(heads)
    assert all(t.eta is not None for t in scheduled)
    # Twice more while it is down: back-off grows, the others keep waiting.
    service.deliver_due(runtime, now=_later(1))
    service.deliver_due(runtime, now=_later(2))
    rows = {r.id: r for r in _rows(runtime, all_ids)}
    assert [rows[i].attempts for i in heads] == [3, 3]
    assert all(rows[i].status is Status.PENDING for i in all_ids)
    receiver.start()
    report = service.deliver_due(runtime, now=_later(10))
    assert sorted(report.sent) == all_ids
    arrived = receiver.deliveries()
    assert sorted(arrived) == all_ids  # exactly once each
    for ids in published.values():
        assert [i for i in arrived if i in ids] == ids  # strictly in creation order per key
    assert not service.deliver_due(runtime, now=_later(120)).handled
    assert len(receiver.received()) == len(all_ids)


def test_an_answer_other_than_2xx_is_retried(runtime: Runtime, receiver: Receiver) -> None:
    _endpoint(runtime, receiver.url)
    receiver.status = 500
    [notification_id] = _publish(runtime, event="case.opened", key="case:3")
    [row] = _rows(runtime, [notification_id])
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert row.last_error == "HTTP 500: receiver failed"
    receiver.status = 302  # a redirect is not followed: still a failure
    service.deliver_due(runtime, now=_later(1))
    receiver.status = 204
    service.deliver_due(runtime, now=_later(3))
    [row] = _rows(runtime, [notification_id])
    assert (row.status, row.attempts) == (Status.SENT, 3)
    assert receiver.deliveries() == [notification_id] * 3  # the same delivery id on every attempt


def test_two_deliveries_at_once_send_each_notification_once(
    runtime: Runtime, receiver: Receiver, no_queue: list[list[int]]
) -> None:
    _endpoint(runtime, receiver.url)
    ids = [i for n in range(6) for i in _publish(runtime, event="case.opened", key=f"case:{n}")]
    assert len(ids) == 6
    assert len(no_queue) == 6
    receiver.delay = 0.15  # both workers are inside a delivery at the same moments
    start = threading.Barrier(2)
    reports: list[service.DeliveryReport] = []

    def worker() -> None:
        start.wait()
        reports.append(service.deliver(runtime, ids, now=utcnow()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(receiver.deliveries()) == ids
    first, second = (set(r.sent) for r in reports)
    assert first | second == set(ids)
    assert not first & second
    assert all(r.status is Status.SENT and r.attempts == 1 for r in _rows(runtime, ids))


def test_a_claim_whose_worker_died_is_taken_over_when_its_lease_runs_out(
    runtime: Runtime, receiver: Receiver, no_queue: list[list[int]]
) -> None:
    _endpoint(runtime, receiver.url)
    [notification_id] = _publish(runtime, event="case.opened", key="case:1")
    now = utcnow()
    with runtime.sessions() as session, session.begin():  # a worker claims it, then dies before sending
        assert repository.claim(session, notification_id, now=now, lease_until=now + timedelta(minutes=2))
    assert not service.deliver(runtime, [notification_id], now=now + timedelta(minutes=1)).handled
    assert not service.deliver_due(runtime, now=now + timedelta(minutes=1)).handled
    assert receiver.received() == []
    report = service.deliver_due(runtime, now=now + timedelta(minutes=3))
    assert report.sent == [notification_id]
    [row] = _rows(runtime, [notification_id])
    assert (row.status, row.claimed_until, row.attempts) == (Status.SENT, None, 2)


def test_after_the_last_attempt_it_is_a_dead_letter_which_does_not_block_and_replays(
    runtime: Runtime, receiver: Receiver
) -> None:
    _endpoint(runtime, receiver.url)
    receiver.status = 503
    [first] = _publish(runtime, event="case.opened", key="case:9")
    for hours in (1, 2, 3, 4, 5):
        service.deliver_due(runtime, now=_later(60 * hours))
    [row] = _rows(runtime, [first])
    assert (row.status, row.attempts) == (Status.DEAD, 4)  # notification_max_attempts=4 in these tests
    assert row.last_error == "HTTP 503: receiver failed"
    assert len(receiver.received()) == 4
    receiver.status = 200
    [second] = _publish(runtime, event="case.resolved", key="case:9")
    [row] = _rows(runtime, [second])
    assert row.status is Status.SENT  # the dead one did not hold it back
    with runtime.sessions() as session, session.begin():
        assert service.replay(session, [first, second], now=utcnow()) == [first]  # a sent one is not replayed
    [row] = _rows(runtime, [first])
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert receiver.deliveries()[-2:] == [second, first]


def test_an_endpoint_switched_off_keeps_its_calls_unsent_and_a_deleted_one_makes_them_dead(
    runtime: Runtime, receiver: Receiver, no_queue: list[list[int]]
) -> None:
    endpoint = _endpoint(runtime, receiver.url)
    [kept] = _publish(runtime, event="case.opened", key="case:1")
    with runtime.sessions() as session, session.begin():
        service.update_endpoint(session, endpoint.id, is_active=False)
    assert service.deliver_due(runtime, now=_later(1)).unsent == [kept]
    assert _publish(runtime, event="case.opened", key="case:2") == []  # an endpoint that is off gets nothing new
    with runtime.sessions() as session, session.begin():
        service.update_endpoint(session, endpoint.id, is_active=True)
        assert service.replay(session, [kept], now=utcnow()) == [kept]
    assert service.deliver_due(runtime, now=_later(1)).sent == [kept]
    [orphan] = _publish(runtime, event="case.opened", key="case:3")
    with runtime.sessions() as session, session.begin():
        service.delete_endpoint(session, endpoint.id)
    assert service.deliver_due(runtime, now=_later(1)).dead == [orphan]
    [row] = _rows(runtime, [orphan])
    assert row.last_error is not None
    assert "deleted" in row.last_error
    assert receiver.deliveries() == [kept]


def test_the_periodic_sweep_delivers_what_the_queue_lost(
    runtime: Runtime, receiver: Receiver, smtp: SmtpServer, no_queue: list[list[int]]
) -> None:
    _endpoint(runtime, receiver.url)
    ids = _publish(runtime, event="case.opened", key="case:1", emails=[ANA], email_template=service.TEST_EMAIL_TEMPLATE)
    assert no_queue == [ids]
    assert all(r.status is Status.PENDING for r in _rows(runtime, ids))
    assert tasks.run_sweep() == {"sent": 2, "retrying": 0, "dead": 0, "unsent": 0}
    assert receiver.deliveries() == [ids[1]]
    assert [m["Pulso-Delivery"] for m in smtp.messages] == [str(ids[0])]


def test_the_test_event_goes_to_its_endpoint_only(runtime: Runtime, receiver: Receiver) -> None:
    target = _endpoint(runtime, receiver.url)
    _endpoint(runtime, receiver.url + "/other")
    with runtime.sessions() as session, session.begin():
        notification_id = service.send_test_event(session, target.id)
    [request] = receiver.received()
    assert request.path == "/hooks/pulso"
    assert request.headers["Pulso-Event"] == service.TEST_EVENT
    assert json.loads(request.body)["data"]["test"] is True
    assert request.headers["Pulso-Delivery"] == str(notification_id)


def test_an_unexpected_error_in_an_attempt_counts_as_a_failed_attempt(
    runtime: Runtime, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    _endpoint(runtime, receiver.url)

    def broken(*_args: object) -> None:
        raise UnicodeError("a bug in a sender")

    monkeypatch.setattr(service, "_post_webhook", broken)
    [notification_id] = _publish(runtime, event="case.opened", key="case:1")
    for hours in (1, 2, 3):
        service.deliver_due(runtime, now=_later(60 * hours))
    [row] = _rows(runtime, [notification_id])
    assert (row.status, row.attempts, row.claimed_until) == (Status.DEAD, 4, None)
    assert row.last_error == "UnicodeError: a bug in a sender"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback, on purpose
def test_smtp_login_when_a_user_is_set(runtime: Runtime, settings: Any) -> None:
    guarded = SmtpServer(port=free_port(), login=("pulso", "clave-smtp"))
    guarded.start()
    try:
        runtime.settings = settings.model_copy(update={"smtp_port": guarded.port})
        [without] = _publish(
            runtime, event="case.opened", key="case:1", emails=[ANA], email_template=service.TEST_EMAIL_TEMPLATE
        )
        [row] = _rows(runtime, [without])
        assert row.status is Status.PENDING  # the server wants a login: refused, retried later
        assert row.last_error is not None
        assert "530" in row.last_error
        runtime.settings = settings.model_copy(
            update={"smtp_port": guarded.port, "smtp_username": "pulso", "smtp_password": "clave-smtp"}
        )
        assert service.deliver_due(runtime, now=_later(1)).sent == [without]
        assert [m["Pulso-Delivery"] for m in guarded.messages] == [str(without)]
    finally:
        guarded.stop()
