"""SQLite transactions: writers take the lock up front; read-only connections never wait for them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import exc, text

from pulso.kit.db import READ_ONLY, make_engine


def test_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    writer = engine.connect()
    writer.begin()  # BEGIN IMMEDIATE: holds the write lock
    writer.execute(text("INSERT INTO t VALUES (2)"))
    try:
        with engine.execution_options(**READ_ONLY).connect() as reader, reader.begin():
            # The committed snapshot, at once.
            assert reader.execute(text("SELECT sum(v) FROM t")).scalar_one() == 1
        with engine.connect() as other:
            other.connection.driver_connection.execute("PRAGMA busy_timeout = 50")  # type: ignore[union-attr]
            with pytest.raises(exc.OperationalError, match="locked"):
                other.begin()
    finally:
        writer.rollback()
        writer.close()
        engine.dispose()
