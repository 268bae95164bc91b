"""Input and output models of the notifications domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pulso.kit.pagination import MAX_PAGE_SIZE
from pulso.notifications.enums import Channel, Status


@dataclass(frozen=True)
class EmailRecipient:
    """Who an e-mail goes to, and the language it is written in for them."""

    address: str
    name: str
    locale: str  # "es" | "en"


@dataclass(frozen=True, slots=True)
class NotificationFilters:
    status: Status | None = None
    channel: Channel | None = None
    event: str | None = None
    key: str | None = None
    target: str | None = None  # an e-mail address, or a webhook endpoint's id


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to: sent, or the error, and whether trying again could help."""

    sent: bool
    error: str | None = None
    permanent: bool = False  # refused for good (a 5xx SMTP answer): dead at once, no retry
    unsent: bool = False  # not attempted: the channel cannot send (no SMTP host, endpoint off)


@dataclass
class DeliveryReport:
    """What a delivery run did, by notification id."""

    sent: list[int]
    retrying: dict[int, datetime]  # id → when it is tried again
    dead: list[int]
    unsent: list[int]

    @classmethod
    def empty(cls) -> DeliveryReport:
        return cls(sent=[], retrying={}, dead=[], unsent=[])

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.dead) + len(self.unsent)

    def merge(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retrying.update(other.retrying)
        self.dead += other.dead
        self.unsent += other.unsent


# --------------------------------------------------------------------------- API


class NotificationOut(BaseModel):
    id: int
    event: str
    key: str
    channel: Channel
    target: str
    recipient_name: str | None
    locale: str | None
    subject: str | None
    status: Status
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    payload: dict[str, Any]


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    page: int
    size: int
    pages: int


class ReplayIn(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=MAX_PAGE_SIZE)


class ReplayOut(BaseModel):
    replayed: list[int]


class WebhookIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, description="Events to receive; empty: every event.")
    is_active: bool = True


class WebhookPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=120)
    url: str | None = Field(None, max_length=2000)
    events: list[str] | None = None
    is_active: bool | None = None


class WebhookOut(BaseModel):
    id: int
    name: str
    url: str
    secret: str
    events: list[str]
    is_active: bool
    created_at: datetime
    created_by: int | None


class WebhookPage(BaseModel):
    items: list[WebhookOut]
    total: int
    page: int
    size: int
    pages: int
