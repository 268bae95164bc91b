"""Bulk reads of changed facts as Arrow, with the database's ADBC driver.

The SQLite ADBC driver carries its own copy of SQLite. Two copies of SQLite in one process break
each other's POSIX locks (sqlite.org/howtocorrupt.html, §2.2.1), so for SQLite the read runs in a
child process (`python -m pulso.analytics.reader`) that streams Arrow IPC back; PostgreSQL's driver
(libpq) runs in-process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from sqlalchemy import URL, make_url


def _connect(url: URL) -> Any:
    if url.get_backend_name() == "sqlite":
        import adbc_driver_sqlite.dbapi as adbc_sqlite

        return adbc_sqlite.connect(url.database)
    import adbc_driver_postgresql.dbapi as adbc_pg

    return adbc_pg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))


def _batches(url: URL, sql: str, params: list[Any], batch_rows: int) -> Iterator[pa.RecordBatch]:
    with _connect(url) as conn, conn.cursor() as cursor:
        if url.get_backend_name() == "sqlite":
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        cursor.execute(sql, params)
        yield from cursor.fetch_record_batch()


def read_batches(url: URL, sql: str, params: list[Any], batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches of `sql`; for SQLite from a child process (see the module docstring)."""
    if url.get_backend_name() != "sqlite":
        yield from _batches(url, sql, params, batch_rows)
        return
    request = json.dumps(
        {"url": url.render_as_string(hide_password=False), "sql": sql, "params": params, "batch_rows": batch_rows}
    )
    with subprocess.Popen(
        [sys.executable, "-m", "pulso.analytics.reader"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as child:
        assert child.stdin is not None
        assert child.stdout is not None
        assert child.stderr is not None
        child.stdin.write(request.encode())
        child.stdin.close()
        try:
            yield from pa.ipc.open_stream(child.stdout)
        except pa.ArrowInvalid as exc:
            message = child.stderr.read().decode(errors="replace").strip()
            raise RuntimeError(f"bulk reader failed: {message or exc}") from exc
        finally:
            stderr = child.stderr.read().decode(errors="replace").strip()
            code = child.wait()
        if code != 0:
            raise RuntimeError(f"bulk reader exited with {code}: {stderr}")


def main() -> None:
    request = json.loads(sys.stdin.read())
    url = make_url(request["url"])
    writer: pa.ipc.RecordBatchStreamWriter | None = None
    sink = pa.output_stream(sys.stdout.buffer)
    for batch in _batches(url, request["sql"], request["params"], int(request["batch_rows"])):
        if writer is None:
            writer = pa.ipc.new_stream(sink, batch.schema)
        writer.write_batch(batch)
    if writer is None:  # no rows: still a valid, empty stream
        writer = pa.ipc.new_stream(sink, pa.schema([]))
    writer.close()
    sink.flush()


if __name__ == "__main__":
    main()
