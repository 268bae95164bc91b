"""`pulso notifications list|replay|deliver|test-email`: the outbox from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from pulso.kit.db import utcnow
from pulso.kit.errors import PulsoError
from pulso.kit.pagination import MAX_PAGE_SIZE, PageParams
from pulso.notifications import service
from pulso.notifications.enums import Channel, Status
from pulso.runtime import get_runtime

notifications_app = typer.Typer(
    help="E-mail and webhook notifications: the outbox. / Notificaciones por correo y webhooks.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)


def _report(report: service.DeliveryReport) -> str:
    return (
        f"{len(report.sent)} sent / enviadas, {len(report.retrying)} to retry / por reintentar, "
        f"{len(report.dead)} dead / muertas, {len(report.unsent)} unsent / sin enviar"
    )


@notifications_app.command("list")
def list_notifications(
    status: Annotated[Status | None, typer.Option(help="Only notifications in this state.")] = None,
    channel: Annotated[Channel | None, typer.Option(help="Only e-mails or only webhooks.")] = None,
    event: Annotated[str | None, typer.Option(help="Only this event, e.g. case.opened.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_PAGE_SIZE, help="How many, newest first.")] = 50,
) -> None:
    """The newest notifications with their state and last error. / Las notificaciones más recientes."""
    runtime = get_runtime()
    runtime.migrate()
    filters = service.NotificationFilters(status=status, channel=channel, event=event)
    with runtime.sessions() as session, session.begin():
        found = service.notification_page(session, filters, PageParams(page=1, size=limit))
        counts = service.status_counts(session)
    # Tab-separated, one notification a line: easy to read, grep and cut.
    print("\t".join(("id", "created", "event", "key", "channel", "to", "status", "attempts", "last error")))
    for row in found.items:
        cells = (
            str(row.id),
            f"{row.created_at:%Y-%m-%d %H:%M:%S}",
            row.event,
            row.key,
            row.channel.value,
            row.target if row.channel is Channel.EMAIL else f"endpoint {row.target}",
            row.status.value,
            str(row.attempts),
            " ".join((row.last_error or "").split())[:120],
        )
        print("\t".join(cells))
    errors.print(
        f"{len(found.items):,} of {found.total:,} / de {found.total:,}; in all / en total: "
        + ", ".join(f"{s.value} {n:,}" for s, n in counts.items())
    )


@notifications_app.command()
def replay(
    ids: Annotated[list[int] | None, typer.Argument(help="Notification ids.")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Every dead letter (at most 500 at a time).")] = False,
    unsent: Annotated[bool, typer.Option("--unsent", help="Every unsent one (at most 500 at a time).")] = False,
) -> None:
    """Send dead letters and unsent notifications again (attempts reset); the worker delivers them.
    / Reenvía las notificaciones muertas o no enviadas."""
    if not ids and not dead and not unsent:
        errors.print("[red]error[/]: give ids, --dead or --unsent / indique ids, --dead o --unsent")
        raise typer.Exit(2)
    runtime = get_runtime()
    runtime.migrate()
    with runtime.sessions() as session, session.begin():
        chosen = list(ids or [])
        if dead:
            chosen += service.replayable_ids(session, status=Status.DEAD)
        if unsent:
            chosen += service.replayable_ids(session, status=Status.UNSENT)
        replayed = service.replay(session, chosen, now=utcnow())
    console.print(f"{len(replayed)} queued to be sent again / en cola para reenviar")


@notifications_app.command()
def deliver(
    ids: Annotated[list[int] | None, typer.Argument(help="Only these ids (default: everything due).")] = None,
) -> None:
    """Deliver what is due now, in this process (what the worker's sweep does every minute).
    / Entrega ahora lo pendiente."""
    runtime = get_runtime()
    runtime.migrate()
    now = utcnow()
    report = service.deliver(runtime, ids, now=now) if ids else service.deliver_due(runtime, now=now)
    console.print(_report(report))


@notifications_app.command("test-email")
def send_test_email(
    address: Annotated[str, typer.Argument(help="Where to send the test message.")],
    name: Annotated[str, typer.Option(help="The recipient's name.")] = "",
    locale: Annotated[str, typer.Option(help="Language of the message: es or en.")] = "es",
) -> None:
    """Send the test message to an address now and say what happened (checks the SMTP settings).
    / Envía el mensaje de prueba y dice qué pasó."""
    runtime = get_runtime()
    runtime.migrate()
    try:
        with runtime.sessions() as session, session.begin():
            notification_id = service.send_test_email(session, address=address, name=name, locale=locale)
    except PulsoError as exc:
        errors.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from exc
    # The queue may deliver it first (an inline queue, a worker): then this finds it sent.
    service.deliver(runtime, [notification_id], now=utcnow())
    with runtime.sessions() as session, session.begin():
        row = service.get_notification(session, notification_id)
        status, error = row.status, row.last_error
    if status is Status.SENT:
        console.print(f"Notification {notification_id}: sent / enviada to {address}")
        return
    errors.print(f"[red]Notification {notification_id}: {status.value}[/] — {error or ''}")
    raise typer.Exit(1)
