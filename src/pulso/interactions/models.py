"""Tables of the interactions domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pulso.interactions.enums import Channel, InteractionStatus
from pulso.kit.changes import Versioned
from pulso.kit.db import Base, UtcDateTime, utcnow
from pulso.kit.enums import enum_column_type


class Interaction(Versioned, Base):
    """One contact or ticket: who, where, and how long it took to answer and resolve."""

    __tablename__ = "interactions"
    __fact__ = "interactions"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(40), default="import")
    external_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[Channel | None] = mapped_column(enum_column_type(Channel))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    category: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[InteractionStatus] = mapped_column(
        enum_column_type(InteractionStatus), default=InteractionStatus.OPEN
    )
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    contacts_to_resolve: Mapped[int | None] = mapped_column(SmallInteger)
    extras: Mapped[dict[str, Any]] = mapped_column(default=dict)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
