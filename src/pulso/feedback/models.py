"""Tables of the feedback domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from pulso.feedback.enums import FeedbackSource, ImportKind, ImportStatus
from pulso.feedback.logic import fold_text
from pulso.interactions.enums import Channel
from pulso.kit.changes import Versioned
from pulso.kit.db import Base, UtcDateTime, utcnow
from pulso.kit.enums import enum_column_type


class Feedback(Versioned, Base):
    """One piece of customer voice: a survey answer, a review, a complaint, a post, a chat."""

    __tablename__ = "feedback"
    __fact__ = "feedback"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("nps BETWEEN 0 AND 10", name="nps_range"),
        CheckConstraint("csat BETWEEN 1 AND 5", name="csat_range"),
        CheckConstraint("ces BETWEEN 1 AND 7", name="ces_range"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_feedback_received_at", "received_at"),
        # The search's trigram index, on PostgreSQL only (its migration creates it when pg_trgm is
        # there). SQLite cannot use an index for LIKE '%term%': there it is declared empty (WHERE 0),
        # so it costs an import nothing and the models still match the migrations on both engines.
        Index(
            "ix_feedback_comment_folded_trgm",
            "comment_folded",
            postgresql_using="gin",
            postgresql_ops={"comment_folded": "gin_trgm_ops"},
            sqlite_where=text("0"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[FeedbackSource] = mapped_column(enum_column_type(FeedbackSource))
    external_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    channel: Mapped[Channel | None] = mapped_column(enum_column_type(Channel))
    language: Mapped[str | None] = mapped_column(String(8))
    nps: Mapped[int | None] = mapped_column(SmallInteger)
    csat: Mapped[int | None] = mapped_column(SmallInteger)
    ces: Mapped[int | None] = mapped_column(SmallInteger)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    # The comment lower-cased without accents (logic.fold_text), what a search looks in.
    comment_folded: Mapped[str | None] = mapped_column(Text)
    extras: Mapped[dict[str, Any]] = mapped_column(default=dict)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    @validates("comment")
    def _fold_comment(self, _key: str, value: str | None) -> str | None:
        self.comment_folded = fold_text(value) if value is not None else None
        return value


class ImportRun(Base):
    """One import of one file: its progress checkpoint (for resuming) and its outcome."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(enum_column_type(ImportKind))
    filename: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    options_fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[ImportStatus] = mapped_column(enum_column_type(ImportStatus), default=ImportStatus.RUNNING)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ImportRowError(Base):
    """Why one row of an import was rejected: the row number in the file, the field and the reason."""

    __tablename__ = "import_row_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
