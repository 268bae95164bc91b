"""Tables of the text domain: each comment's analysis, the editable taxonomy, models and discovered themes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pulso.kit.db import Base, UtcDateTime, utcnow

SENTIMENT_LABELS = ("negative", "neutral", "positive")
_LABEL_CHECK = "IN ('negative', 'neutral', 'positive')"


class FeedbackText(Base):
    """What the models read in one comment, with the versions that read it and any human correction."""

    __tablename__ = "feedback_text"
    __table_args__ = (
        CheckConstraint(f"sentiment {_LABEL_CHECK}", name="sentiment_label"),
        CheckConstraint(f"corrected_sentiment IS NULL OR corrected_sentiment {_LABEL_CHECK}", name="corrected_label"),
        CheckConstraint("sentiment_score BETWEEN -1 AND 1", name="sentiment_score_range"),
        Index("ix_feedback_text_model_version", "model_version"),
    )

    feedback_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8))
    sentiment: Mapped[str] = mapped_column(String(8))
    sentiment_score: Mapped[float] = mapped_column(Float)
    key_phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The topics as "key:sentiment|key:" (sentiment blank when none), copied with the feedback into the
    # analytic store, where a topic's volume and NPS are computed without joining feedback_topics.
    topics: Mapped[str] = mapped_column(Text, default="")
    # "<sentiment model>+<topic model>": a comment read by older models is read again.
    model_version: Mapped[str] = mapped_column(String(120))
    analysed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    corrected_sentiment: Mapped[str | None] = mapped_column(String(8))
    topics_corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    corrected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    corrected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def effective_sentiment(self) -> str:
        return self.corrected_sentiment or self.sentiment


class FeedbackTopic(Base):
    """A topic found in (or set by a person on) a comment, with the clause sentiment and matching words."""

    __tablename__ = "feedback_topics"
    __table_args__ = (Index("ix_feedback_topics_topic", "topic_key", "feedback_id"),)

    feedback_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    topic_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    sentiment: Mapped[float | None] = mapped_column(Float)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)


class TaxonomyTopic(Base):
    """One topic of the organisation's taxonomy (a copy of the shipped one, then edited by CX staff)."""

    __tablename__ = "taxonomy_topics"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_key: Mapped[str | None] = mapped_column(String(64))
    name_es: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin: Mapped[str] = mapped_column(String(16), default="shipped")  # shipped, custom, discovered
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TextModel(Base):
    """A trained model (sentiment or topics), versioned; one live model of each kind."""

    __tablename__ = "text_models"
    __table_args__ = (UniqueConstraint("kind", "version"), Index("ix_text_models_live", "kind", "is_live"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # sentiment, topics
    version: Mapped[str] = mapped_column(String(80))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # Training set sizes and the held-out scores of this model and of the one it was measured against.
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_live: Mapped[bool] = mapped_column(Boolean, default=False)
    trained_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DiscoveredTheme(Base):
    """A theme found among comments that no topic fits, waiting for a CX manager's decision."""

    __tablename__ = "discovered_themes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="proposed")  # proposed, accepted, rejected
    topic_key: Mapped[str | None] = mapped_column(String(64))
    found_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)
