"""Alembic environment: runs migrations on the connection it is given, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from pulso.db_models import metadata
from pulso.kit.db import make_engine

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("Pulso's migrations run online only: pulso init applies them.")
run_migrations_online()
