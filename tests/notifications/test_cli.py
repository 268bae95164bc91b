"""`pulso notifications list|replay|deliver|test-email` against the loopback SMTP server, on both engines."""

from __future__ import annotations

from sqlalchemy import select, update
from typer.testing import CliRunner

from pulso.cli import app
from pulso.notifications.enums import Status
from pulso.notifications.models import Notification
from pulso.runtime import Runtime
from tests.notifications.conftest import SmtpServer


def _status(runtime: Runtime, notification_id: int) -> Status:
    with runtime.sessions() as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        return row.status


def test_test_email_sends_now_and_says_so(runtime: Runtime, smtp: SmtpServer) -> None:
    result = CliRunner().invoke(
        app, ["notifications", "test-email", "ops@example.com", "--name", "Ops", "--locale", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "sent / enviada to ops@example.com" in result.output
    [message] = smtp.messages
    assert message["Subject"] == "Pulso test message"
    assert message["To"] == "Ops <ops@example.com>"


def test_test_email_with_the_server_down_fails_then_deliver_and_replay_send_it(
    runtime: Runtime, smtp: SmtpServer
) -> None:
    runner = CliRunner()
    smtp.stop()
    failed = runner.invoke(app, ["notifications", "test-email", "ops@example.com"])
    assert failed.exit_code == 1
    assert "pending" in failed.output
    listed = runner.invoke(app, ["notifications", "list", "--status", "pending"])
    assert listed.exit_code == 0, listed.output
    assert "ops@example.com" in listed.output
    assert "1 of 1" in listed.output
    with runtime.sessions() as session, session.begin():  # give up on it, as the last attempt would
        session.execute(update(Notification).values(status=Status.DEAD))
    smtp.start()
    assert runner.invoke(app, ["notifications", "deliver"]).output.startswith("0 sent")  # dead: not due
    replayed = runner.invoke(app, ["notifications", "replay", "--dead"])
    assert replayed.exit_code == 0, replayed.output
    assert "1 queued" in replayed.output
    assert [m["To"] for m in smtp.messages] == ["ops@example.com"]  # the test queue ran the job inline
    assert runner.invoke(app, ["notifications", "replay"]).exit_code == 2
    assert runner.invoke(app, ["notifications", "test-email", "not-an-address"]).exit_code == 2


def test_deliver_sends_what_is_due(runtime: Runtime, smtp: SmtpServer) -> None:
    runner = CliRunner()
    smtp.stop()
    runner.invoke(app, ["notifications", "test-email", "a@example.com"])
    with runtime.sessions() as session, session.begin():  # the retry is due now
        session.execute(update(Notification).values(next_attempt_at=Notification.created_at))
        notification_id = session.scalars(select(Notification.id)).one()
    smtp.start()
    result = runner.invoke(app, ["notifications", "deliver", str(notification_id)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 sent")
    assert _status(runtime, notification_id) is Status.SENT
