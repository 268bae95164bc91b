"""feedback comment search: a folded copy of each comment, and its trigram index on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 17:53:00
"""

import logging
from collections.abc import Sequence

import polars as pl
import sqlalchemy as sa
from alembic import op

from pulso.feedback.logic import fold_expr

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

_BATCH = 20_000
_INDEX = "ix_feedback_comment_folded_trgm"


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comment_folded", sa.Text(), nullable=True))
    _backfill()
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # pg_trgm ships with PostgreSQL but may not be installable by this role: in a savepoint, so
        # the migration still succeeds (searches then scan instead of using the index).
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except sa.exc.DBAPIError as exc:
            log.warning("pg_trgm is not available (%s): comment search runs without an index", exc.orig)
            return
        op.create_index(
            _INDEX,
            "feedback",
            ["comment_folded"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"comment_folded": "gin_trgm_ops"},
        )
    else:
        # Declared for the models' sake, never filled: SQLite cannot use it for LIKE '%term%'.
        with op.batch_alter_table("feedback", schema=None) as batch_op:
            batch_op.create_index(_INDEX, ["comment_folded"], unique=False, sqlite_where=sa.text("0"))


def _backfill() -> None:
    """Fold the comments already stored, in batches by id."""
    bind = op.get_bind()
    select = sa.text("SELECT id, comment FROM feedback WHERE id > :last AND comment IS NOT NULL ORDER BY id LIMIT :n")
    update = sa.text("UPDATE feedback SET comment_folded = :folded WHERE id = :id")
    last = 0
    while True:
        rows = bind.execute(select, {"last": last, "n": _BATCH}).all()
        if not rows:
            return
        frame = pl.DataFrame([tuple(r) for r in rows], schema={"id": pl.Int64, "comment": pl.String}, orient="row")
        folded = frame.select("id", fold_expr(pl.col("comment")).alias("folded"))
        bind.execute(update, folded.to_dicts())
        last = int(frame["id"][-1])


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(_INDEX, if_exists=True)
        batch_op.drop_column("comment_folded")
