"""Tables of the notifications domain: the outbox of e-mails and webhook calls, and webhook endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pulso.kit.db import Base, UtcDateTime, utcnow
from pulso.kit.enums import enum_column_type
from pulso.notifications.enums import Channel, Status


class WebhookEndpoint(Base):
    """A URL that receives signed JSON for the events it subscribes to (none listed: every event)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(2000))
    # Kept in clear: every delivery is signed with it, and the receiver's admin needs to read it.
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Notification(Base):
    """One e-mail to one address, or one webhook call to one endpoint: the outbox row, kept once sent."""

    __tablename__ = "notifications"
    __table_args__ = (
        # What the sweep looks for: pending rows due now, and claims whose lease ran out.
        Index("ix_notifications_due", "status", "next_attempt_at"),
        # Strict order per key and target: "is an earlier one of this chain still in flight?"
        Index("ix_notifications_chain", "key", "channel", "target", "id"),
        Index("ix_notifications_event", "event", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[Channel] = mapped_column(enum_column_type(Channel, length=16))
    # The e-mail address, or the webhook endpoint's id.
    target: Mapped[str] = mapped_column(String(320))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(8))
    # What was sent: an e-mail's rendered subject and text (and HTML), a webhook's JSON body.
    subject: Mapped[str | None] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[Status] = mapped_column(enum_column_type(Status, length=16), default=Status.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # A lease: a worker that claimed the row owns it until then; a crashed worker's claim runs out.
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
