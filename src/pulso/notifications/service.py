"""Public entry points of notifications: publish e-mails and webhook calls, deliver them, replay, endpoints.

Nothing is lost: `publish` writes one outbox row per e-mail recipient and per subscribed webhook
endpoint in the caller's transaction, and queues their delivery only once that transaction commits
(a rollback leaves neither rows nor jobs). Delivery claims a row with a lease, commits the claim,
sends, and records the outcome in a second short transaction: sent, a retry with back-off, a dead
letter after the last attempt, or unsent when the channel cannot send. A periodic sweep delivers
whatever is due, so a lost job or a restart only delays a notification. Delivery is at least once
(a worker dying between sending and recording sends again); receivers de-duplicate by the
notification id, sent as Pulso-Delivery and in the Message-ID.
"""

from __future__ import annotations

import json
import logging
import secrets
import smtplib
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from functools import cache
from typing import TYPE_CHECKING, Any

import httpx
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from sqlalchemy.orm import Session

from pulso import __version__
from pulso.accounts import service as accounts
from pulso.kit.aftercommit import after_commit
from pulso.kit.db import utcnow
from pulso.kit.errors import Conflict, NotFound, ValidationFailed
from pulso.kit.pagination import Page, PageParams
from pulso.notifications import logic, repository
from pulso.notifications.enums import Channel, Status
from pulso.notifications.models import Notification, WebhookEndpoint
from pulso.notifications.schemas import DeliveryReport, EmailRecipient, NotificationFilters, Outcome
from pulso.web.i18n import N_, normalise_locale, translations

if TYPE_CHECKING:
    from pulso.config import Settings
    from pulso.runtime import Runtime

__all__ = [
    "EVENTS",
    "EVENT_LABELS",
    "TEST_EMAIL_TEMPLATE",
    "TEST_EVENT",
    "DeliveryReport",
    "EmailRecipient",
    "NotificationFilters",
    "add_endpoint",
    "delete_endpoint",
    "deliver",
    "deliver_due",
    "endpoint_page",
    "get_endpoint",
    "get_notification",
    "notification_page",
    "publish",
    "render_email",
    "replay",
    "replayable_ids",
    "send_test_email",
    "send_test_event",
    "status_counts",
    "update_endpoint",
    "webhook_counts",
]

log = logging.getLogger(__name__)

# The events other domains publish, which a webhook endpoint may subscribe to (labels: English msgids).
EVENTS: dict[str, str] = {
    "case.opened": N_("Case opened"),
    "case.assigned": N_("Case assigned"),
    "case.escalated": N_("Case escalated"),
    "case.sla_breached": N_("Case SLA breached"),
    "case.resolved": N_("Case resolved"),
}
# Sent by "send test event" and `pulso notifications test-email`; nobody subscribes to it.
TEST_EVENT = "pulso.test"
EVENT_LABELS: dict[str, str] = {**EVENTS, TEST_EVENT: N_("Test message")}
TEST_EMAIL_TEMPLATE = "notifications/email/test.txt"

# A claim outlives the slowest attempt the timeouts allow (an SMTP conversation is several exchanges,
# each with its own timeout); a lease that runs out early only risks a second send, never a loss.
LEASE_MARGIN = timedelta(seconds=60)
SMTP_EXCHANGES = 8
HTTP_PHASES = 4
SWEEP_BATCH = 200
# A sweep stops after this long, before the next periodic one starts (every minute).
SWEEP_BUDGET_SECONDS = 50.0

_EVENT_NAME_LENGTH = 64
_KEY_LENGTH = 200


# --------------------------------------------------------------------------- rendering e-mails


@pass_context
def _gettext(context: Context, message: str) -> str:
    text: str = translations(context["locale"]).gettext(message)
    return text


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    text: str = translations(context["locale"]).ngettext(singular, plural, n)
    return text


@cache
def _mail_environment(autoescape: bool) -> Environment:
    """E-mail templates from every domain's templates/ folder; the HTML part is rendered escaped."""
    from pulso.web.templating import environment as page_environment
    from pulso.web.templating import template_dirs

    env = Environment(
        loader=FileSystemLoader([str(p) for p in template_dirs()]),
        autoescape=autoescape,  # noqa: S701 — a plain-text body must not be HTML-escaped; the html block is
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # A missing value fails the publish (in the caller's transaction), not a customer's e-mail.
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    # The pages' locale filters (number, date, datetime, duration …) read the same context keys.
    env.filters.update(page_environment().filters)
    return env


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    body: str
    html: str | None


def render_email(
    template: str, context: Mapping[str, Any], recipient: EmailRecipient, *, timezone: str = "UTC"
) -> RenderedEmail:
    """A template's subject, text and optional HTML blocks, in the recipient's language."""
    values = {
        **context,
        "recipient": recipient,
        "locale": normalise_locale(recipient.locale),
        "timezone": timezone,
    }
    text_template = _mail_environment(False).get_template(template)
    for block in ("subject", "body"):
        if block not in text_template.blocks:
            raise ValueError(f"e-mail template {template} has no {{% block {block} %}}")
    text_context = text_template.new_context(values)
    subject = logic.one_line("".join(text_template.blocks["subject"](text_context)))
    body = "".join(text_template.blocks["body"](text_context)).strip("\n") + "\n"
    html = None
    if "html" in text_template.blocks:
        html_template = _mail_environment(True).get_template(template)
        html = "".join(html_template.blocks["html"](html_template.new_context(values))).strip() or None
    if not subject:
        raise ValueError(f"e-mail template {template} renders an empty subject")
    return RenderedEmail(subject=subject, body=body, html=html)


# --------------------------------------------------------------------------- publishing


def _check_name(value: str, field: str, limit: int) -> str:
    if not value or len(value) > limit or any(c.isspace() for c in value):
        raise ValueError(f"{field} must be 1 to {limit} characters without spaces, not {value!r}")
    return value


def _invalid(exc: ValueError, field: str) -> ValidationFailed:
    return ValidationFailed(str(exc), details={"field": field})


def _store(
    session: Session,
    *,
    event: str,
    key: str,
    payload: Mapping[str, Any],
    emails: Sequence[EmailRecipient],
    email_template: str | None,
    context: Mapping[str, Any],
    endpoints: Iterable[WebhookEndpoint],
) -> list[int]:
    _check_name(event, "event", _EVENT_NAME_LENGTH)
    _check_name(key, "key", _KEY_LENGTH)
    data = dict(payload)
    json.dumps(data)  # a payload that is not JSON fails here, in the caller's transaction
    if emails and not email_template:
        raise ValueError("e-mail recipients need an email_template")
    now = utcnow()
    rows: list[Notification] = []
    if emails:
        assert email_template is not None
        timezone = accounts.organization_timezone(session, default="UTC")
        for recipient in emails:
            # A bad address must not undo the caller's work (a case is still opened): its row is a
            # dead letter at once, shown on the outbox page, and the other recipients get theirs.
            address, problem = recipient.address.strip()[:320], None
            try:
                address = logic.check_address(recipient.address)
            except ValueError as exc:
                problem = str(exc)
            rendered = render_email(email_template, context, recipient, timezone=timezone)
            rows.append(
                Notification(
                    event=event,
                    key=key,
                    channel=Channel.EMAIL,
                    target=address,
                    recipient_name=recipient.name.strip()[:200] or None,
                    locale=normalise_locale(recipient.locale),
                    subject=rendered.subject,
                    body=rendered.body,
                    html=rendered.html,
                    payload=data,
                    status=Status.PENDING if problem is None else Status.DEAD,
                    attempts=0,
                    last_error=problem,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    hooks = [
        Notification(
            event=event,
            key=key,
            channel=Channel.WEBHOOK,
            target=str(endpoint.id),
            body="",
            payload=data,
            status=Status.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint in endpoints
    ]
    rows += hooks
    if not rows:
        return []
    repository.add(session, rows)
    for row in hooks:  # the body carries the row's id, known once it is flushed
        row.body = logic.webhook_body(row.id, event, key, row.created_at, data)
    session.flush()
    ids = [row.id for row in rows]
    _deliver_after_commit(session, ids)
    return ids


def publish(
    session: Session,
    *,
    event: str,
    key: str,
    payload: dict[str, Any],
    emails: Sequence[EmailRecipient] = (),
    email_template: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> list[int]:
    """Store one notification per e-mail recipient and per webhook endpoint subscribed to `event`;
    queue their delivery after the session commits (kit.aftercommit). Returns the new ids.

    Notifications with the same `key` and target are delivered in the order they were published.
    E-mails are rendered now, in each recipient's language, from `email_template` (blocks subject,
    body and optionally html) with `context` and `recipient`; what is rendered is what is sent.
    """
    endpoints = [e for e in repository.active_endpoints(session) if logic.wants(e.events, event)]
    return _store(
        session,
        event=event,
        key=key,
        payload=payload,
        emails=emails,
        email_template=email_template,
        context=context or {},
        endpoints=endpoints,
    )


def send_test_email(session: Session, *, address: str, name: str = "", locale: str = "es") -> int:
    """Queue the test message to one address (nothing goes to webhooks); returns its id."""
    try:
        logic.check_address(address)
    except ValueError as exc:
        raise _invalid(exc, "address") from None
    recipient = EmailRecipient(address=address, name=name, locale=locale)
    ids = _store(
        session,
        event=TEST_EVENT,
        key=f"test-email:{address.strip()[:180]}",
        payload={"test": True},
        emails=[recipient],
        email_template=TEST_EMAIL_TEMPLATE,
        context={},
        endpoints=(),
    )
    return ids[0]


def send_test_event(session: Session, endpoint_id: int) -> int:
    """Queue a test event to one endpoint only; returns its id."""
    endpoint = get_endpoint(session, endpoint_id)
    if not endpoint.is_active:
        raise Conflict("switch the endpoint on before testing it / active el receptor antes de probarlo")
    payload = {"test": True, "endpoint": endpoint.name, "message": "Pulso can reach this endpoint."}
    ids = _store(
        session,
        event=TEST_EVENT,
        key=f"webhook-test:{endpoint.id}",
        payload=payload,
        emails=(),
        email_template=None,
        context={},
        endpoints=[endpoint],
    )
    return ids[0]


def replay(session: Session, ids: Sequence[int], *, now: datetime) -> list[int]:
    """Put dead and unsent notifications back to pending (attempts reset); they are queued after commit.

    Others among `ids` (sent, still pending) are left as they are; returns the ids put back.
    """
    replayed = repository.replay(session, ids, now=now)
    _deliver_after_commit(session, replayed)
    return replayed


def replayable_ids(session: Session, *, status: Status | None = None, limit: int = 500) -> list[int]:
    """The oldest dead and unsent notifications (or those of one state), for a replay of all of them."""
    return repository.replayable_ids(session, status=status, limit=limit)


def _deliver_after_commit(session: Session, ids: list[int]) -> None:
    if not ids:
        return

    def queue() -> None:
        # The queue's side imports this module; import it only when there is something to queue.
        from pulso.notifications.tasks import request_delivery

        request_delivery(ids)

    after_commit(session, queue)


# --------------------------------------------------------------------------- delivering


class _Clock:
    """The run's `now`, moved on by the time the run has taken (a long run's leases stay honest)."""

    def __init__(self, now: datetime) -> None:
        self._start = now
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)


def _lease(channel: Channel, settings: Settings) -> timedelta:
    if channel is Channel.EMAIL:
        return timedelta(seconds=settings.smtp_timeout * SMTP_EXCHANGES) + LEASE_MARGIN
    return timedelta(seconds=settings.webhook_timeout * HTTP_PHASES) + LEASE_MARGIN


def deliver(runtime: Runtime, ids: Sequence[int], *, now: datetime) -> DeliveryReport:
    """Attempt these notifications where due and first in their chain; then the ones that waited on them.

    Each attempt: claim (its own committed transaction), send with no transaction open, record the
    outcome (another short transaction). Rows another worker holds, not yet due, or waiting on an
    earlier one are skipped; the sweep or a scheduled retry comes back for them.
    """
    clock = _Clock(now)
    settings = runtime.settings
    report = DeliveryReport.empty()
    work = deque(sorted(set(ids)))  # creation order: an earlier row of a chain goes first
    attempted: set[int] = set()
    while work:
        notification_id = work.popleft()
        if notification_id in attempted:
            continue
        claimed = _claim(runtime, notification_id, clock)
        if claimed is None:
            continue
        attempted.add(notification_id)
        row, endpoint, lease_until = claimed
        try:
            outcome = _attempt(row, endpoint, settings, clock())
        except Exception as exc:  # a bug must cost attempts like any failure, not loop on the lease forever
            log.exception("notification %s: the attempt failed unexpectedly", notification_id)
            outcome = Outcome(sent=False, error=f"{type(exc).__name__}: {exc}")
        done_at = clock()
        values, state = _outcome_values(row, outcome, settings, done_at)
        with runtime.sessions() as session, session.begin():
            if not repository.record(session, notification_id, lease_until=lease_until, values=values):
                log.warning("notification %s: the claim ran out before the outcome was stored", notification_id)
                continue
            following = repository.next_in_chain(session, row, now=done_at) if state is Status.SENT else None
        if following is not None:
            work.append(following)
        if state is Status.SENT:
            report.sent.append(notification_id)
        elif state is Status.PENDING:
            report.retrying[notification_id] = values["next_attempt_at"]
        elif state is Status.DEAD:
            report.dead.append(notification_id)
        else:
            report.unsent.append(notification_id)
    return report


def _claim(
    runtime: Runtime, notification_id: int, clock: Callable[[], datetime]
) -> tuple[Notification, WebhookEndpoint | None, datetime] | None:
    """Claim one row and read what sending it needs, in one committed transaction (before any I/O)."""
    with runtime.sessions() as session, session.begin():
        row = repository.get(session, notification_id)
        if row is None:
            return None
        at = clock()
        lease_until = at + _lease(row.channel, runtime.settings)
        if not repository.claim(session, notification_id, now=at, lease_until=lease_until):
            return None
        session.refresh(row)
        endpoint = repository.endpoint(session, int(row.target)) if row.channel is Channel.WEBHOOK else None
        session.expunge_all()
    return row, endpoint, lease_until


def _outcome_values(
    row: Notification, outcome: Outcome, settings: Settings, at: datetime
) -> tuple[dict[str, Any], Status]:
    if outcome.sent:
        return {"status": Status.SENT, "sent_at": at}, Status.SENT
    error = logic.error_text(outcome.error or "")
    if outcome.unsent:
        # Not an attempt: the channel could not try. The claim's count is given back.
        return {"status": Status.UNSENT, "attempts": row.attempts - 1, "last_error": error}, Status.UNSENT
    delay = None if outcome.permanent else logic.retry_delay(row.attempts, settings.notification_max_attempts)
    if delay is None:
        return {"status": Status.DEAD, "last_error": error}, Status.DEAD
    return {"status": Status.PENDING, "next_attempt_at": at + delay, "last_error": error}, Status.PENDING


def _attempt(row: Notification, endpoint: WebhookEndpoint | None, settings: Settings, at: datetime) -> Outcome:
    if row.channel is Channel.EMAIL:
        if not settings.smtp_host:
            return Outcome(
                sent=False,
                unsent=True,
                error="no SMTP server is configured (PULSO_SMTP_HOST); replay once it is / "
                "no hay servidor SMTP configurado (PULSO_SMTP_HOST); reenvíe cuando lo haya",
            )
        return _send_email(row, settings, at)
    if endpoint is None:
        return Outcome(
            sent=False,
            permanent=True,
            error="the webhook endpoint was deleted / el receptor de webhooks fue eliminado",
        )
    if not endpoint.is_active:
        return Outcome(
            sent=False,
            unsent=True,
            error="the webhook endpoint is switched off; replay once it is on / "
            "el receptor de webhooks está desactivado; reenvíe cuando esté activo",
        )
    return _post_webhook(row, endpoint, settings, at)


def _email_message(row: Notification, settings: Settings, at: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = formataddr((row.recipient_name or "", row.target))
    message["Subject"] = row.subject or ""
    message["Date"] = formatdate(at.timestamp(), usegmt=True)
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "localhost"
    # The same Message-ID on every attempt: a mail client shows a repeated delivery once.
    message["Message-ID"] = f"<notification-{row.id}.{int(row.created_at.timestamp())}@{domain}>"
    message["Pulso-Delivery"] = str(row.id)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(row.body)
    if row.html:
        message.add_alternative(row.html, subtype="html")
    return message


def _send_email(row: Notification, settings: Settings, at: datetime) -> Outcome:
    assert settings.smtp_host is not None
    message = _email_message(row, settings, at)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{code} {text.decode(errors='replace')}" for code, text in exc.recipients.values())
        return Outcome(sent=False, error=f"recipient refused: {detail}", permanent=all(c >= 500 for c in codes))
    except smtplib.SMTPDataError as exc:
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return Outcome(sent=False, error=f"message refused: {exc.smtp_code} {reply}", permanent=exc.smtp_code >= 500)
    except (smtplib.SMTPException, OSError) as exc:  # connection refused, timeouts, auth, TLS: try again later
        return Outcome(sent=False, error=f"{type(exc).__name__}: {exc}")
    return Outcome(sent=True)


def _post_webhook(row: Notification, endpoint: WebhookEndpoint, settings: Settings, at: datetime) -> Outcome:
    body = row.body.encode()
    headers = logic.webhook_headers(row.id, row.event, logic.sign(endpoint.secret, body, at))
    headers["User-Agent"] = f"Pulso-Webhooks/{__version__}"
    try:
        with httpx.Client(timeout=settings.webhook_timeout, follow_redirects=False) as client:
            response = client.post(endpoint.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(sent=False, error=f"{type(exc).__name__}: {exc}")
    if logic.is_success(response.status_code):
        return Outcome(sent=True)
    return Outcome(sent=False, error=f"HTTP {response.status_code}: {response.text[:300]}")


def deliver_due(
    runtime: Runtime, *, now: datetime, batch: int = SWEEP_BATCH, budget_seconds: float = SWEEP_BUDGET_SECONDS
) -> DeliveryReport:
    """Deliver whatever is due (lost jobs, retries whose job was lost, claims of dead workers), oldest first."""
    clock = _Clock(now)
    started = time.monotonic()
    report = DeliveryReport.empty()
    while time.monotonic() - started < budget_seconds:
        with runtime.sessions() as session, session.begin():
            ids = repository.due_ids(session, now=clock(), limit=batch)
        if not ids:
            break
        part = deliver(runtime, ids, now=clock())
        report.merge(part)
        if not part.handled:  # another worker took them meanwhile
            break
    return report


# --------------------------------------------------------------------------- reading the outbox


def notification_page(session: Session, filters: NotificationFilters, params: PageParams) -> Page[Notification]:
    """The outbox, newest first."""
    return repository.notification_page(session, filters, params)


def get_notification(session: Session, notification_id: int) -> Notification:
    row = repository.get(session, notification_id)
    if row is None:
        raise NotFound(f"no notification {notification_id} / no existe la notificación {notification_id}")
    return row


def status_counts(session: Session) -> dict[Status, int]:
    return repository.status_counts(session)


def webhook_counts(session: Session, endpoint_ids: Sequence[int]) -> dict[int, dict[Status, int]]:
    return repository.webhook_counts(session, endpoint_ids)


# --------------------------------------------------------------------------- webhook endpoints


def _endpoint_name(name: str) -> str:
    value = name.strip()
    if not value:
        raise ValidationFailed("name: give it a name / name: póngale un nombre", details={"field": "name"})
    if len(value) > 120:
        raise ValidationFailed(
            "name: at most 120 characters / name: como máximo 120 caracteres", details={"field": "name"}
        )
    return value


def _endpoint_url(url: str) -> str:
    try:
        return logic.check_webhook_url(url)
    except ValueError as exc:
        raise _invalid(exc, "url") from None


def _endpoint_events(events: Iterable[str]) -> list[str]:
    try:
        return logic.check_events(events, EVENTS)
    except ValueError as exc:
        raise _invalid(exc, "events") from None


def add_endpoint(
    session: Session,
    *,
    name: str,
    url: str,
    events: Iterable[str] = (),
    is_active: bool = True,
    created_by: int | None = None,
) -> WebhookEndpoint:
    """A new endpoint with a generated signing secret; no events listed means every event."""
    row = WebhookEndpoint(
        name=_endpoint_name(name),
        url=_endpoint_url(url),
        events=_endpoint_events(events),
        secret="whsec_" + secrets.token_urlsafe(32),
        is_active=is_active,
        created_at=utcnow(),
        created_by=created_by,
    )
    return repository.add_endpoint(session, row)


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    row = repository.endpoint(session, endpoint_id)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id} / no existe el receptor {endpoint_id}")
    return row


def endpoint_page(session: Session, params: PageParams) -> Page[WebhookEndpoint]:
    return repository.endpoint_page(session, params)


def update_endpoint(
    session: Session,
    endpoint_id: int,
    *,
    name: str | None = None,
    url: str | None = None,
    events: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given; notifications not yet sent go to the new URL, signed with the same secret."""
    row = get_endpoint(session, endpoint_id)
    if name is not None:
        row.name = _endpoint_name(name)
    if url is not None:
        row.url = _endpoint_url(url)
    if events is not None:
        row.events = _endpoint_events(events)
    if is_active is not None:
        row.is_active = is_active
    session.flush()
    return row


def delete_endpoint(session: Session, endpoint_id: int) -> str:
    """Delete an endpoint and return its name; its notifications stay in the outbox (those not yet sent
    become dead letters when next tried)."""
    row = get_endpoint(session, endpoint_id)
    name = row.name
    repository.delete_endpoint(session, endpoint_id)
    return name
