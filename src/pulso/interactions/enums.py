"""Enumerations of the interactions domain that other domains may import."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    WHATSAPP = "whatsapp"
    STORE = "store"
    SOCIAL = "social"
    OTHER = "other"


class InteractionStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"
