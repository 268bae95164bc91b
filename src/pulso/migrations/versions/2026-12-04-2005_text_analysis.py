"""text analysis: each comment's language, sentiment, topics and key phrases; the editable taxonomy;
versioned models; discovered themes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 20:05:27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pulso.kit.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "text_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("is_live", sa.Boolean(), nullable=False),
        sa.Column("trained_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_models")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_text_models_kind_version")),
    )
    with op.batch_alter_table("text_models", schema=None) as batch_op:
        batch_op.create_index("ix_text_models_live", ["kind", "is_live"], unique=False)

    op.create_table(
        "discovered_themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_words", sa.JSON(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("topic_key", sa.String(length=64), nullable=True),
        sa.Column("found_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_discovered_themes_decided_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovered_themes")),
    )
    op.create_table(
        "taxonomy_topics",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("parent_key", sa.String(length=64), nullable=True),
        sa.Column("name_es", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_taxonomy_topics_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_taxonomy_topics")),
    )
    op.create_table(
        "feedback_text",
        sa.Column("feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("sentiment", sa.String(length=8), nullable=False),
        sa.Column("sentiment_score", sa.Float(), nullable=False),
        sa.Column("key_phrases", sa.JSON(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(length=120), nullable=False),
        sa.Column("analysed_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("corrected_sentiment", sa.String(length=8), nullable=True),
        sa.Column("topics_corrected", sa.Boolean(), nullable=False),
        sa.Column("corrected_by", sa.Integer(), nullable=True),
        sa.Column("corrected_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "corrected_sentiment IS NULL OR corrected_sentiment IN ('negative', 'neutral', 'positive')",
            name=op.f("ck_feedback_text_corrected_label"),
        ),
        sa.CheckConstraint(
            "sentiment IN ('negative', 'neutral', 'positive')", name=op.f("ck_feedback_text_sentiment_label")
        ),
        sa.CheckConstraint("sentiment_score BETWEEN -1 AND 1", name=op.f("ck_feedback_text_sentiment_score_range")),
        sa.ForeignKeyConstraint(
            ["corrected_by"], ["users.id"], name=op.f("fk_feedback_text_corrected_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_feedback_text_feedback_id_feedback"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_feedback_text")),
    )
    with op.batch_alter_table("feedback_text", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_text_model_version", ["model_version"], unique=False)

    op.create_table(
        "feedback_topics",
        sa.Column("feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("topic_key", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_feedback_topics_feedback_id_feedback"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("feedback_id", "topic_key", name=op.f("pk_feedback_topics")),
    )
    with op.batch_alter_table("feedback_topics", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_topics_topic", ["topic_key", "feedback_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_topics_topic")

    op.drop_table("feedback_topics")
    with op.batch_alter_table("feedback_text", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_text_model_version")

    op.drop_table("feedback_text")
    op.drop_table("taxonomy_topics")
    op.drop_table("discovered_themes")
    with op.batch_alter_table("text_models", schema=None) as batch_op:
        batch_op.drop_index("ix_text_models_live")

    op.drop_table("text_models")
