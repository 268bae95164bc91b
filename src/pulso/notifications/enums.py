"""Channels and delivery states of a notification."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class Status(StrEnum):
    """Where a notification is on its way out.

    pending: waiting for its first attempt or a retry; sending: claimed by a worker (a lease);
    sent: delivered; dead: given up after the last attempt (or refused for good), replay sends it
    again; unsent: never attempted because the channel cannot send (no SMTP server, an endpoint
    switched off), replay sends it once that is fixed.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    UNSENT = "unsent"


# A later notification of the same key and target waits while an earlier one is in one of these.
IN_FLIGHT = (Status.PENDING, Status.SENDING)
REPLAYABLE = (Status.DEAD, Status.UNSENT)
