"""Bulk reads of changed facts as Arrow, with the database's ADBC driver.

The SQLite ADBC driver carries its own copy of SQLite. Two copies of SQLite in one process break
each other's POSIX locks (sqlite.org/howtocorrupt.html, §2.2.1), so for SQLite the read runs in a
child process (`python -m pulso.analytics.reader`) that writes an Arrow IPC file, which this process
then maps into memory; PostgreSQL's driver (libpq) runs in-process. The child imports only pyarrow
and the driver, so it starts quickly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa


def _sqlite_batches(path: str, sql: str, params: list[Any], batch_rows: int) -> Iterator[pa.RecordBatch]:
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    with adbc_sqlite.connect(path) as conn, conn.cursor() as cursor:
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        cursor.execute(sql, params)
        yield from cursor.fetch_record_batch()


def _postgres_batches(uri: str, sql: str, params: list[Any]) -> Iterator[pa.RecordBatch]:
    import adbc_driver_postgresql.dbapi as adbc_pg

    with adbc_pg.connect(uri) as conn, conn.cursor() as cursor:
        cursor.execute(sql, params)
        yield from cursor.fetch_record_batch()


def read_batches(
    backend: str, target: str, sql: str, params: list[Any], batch_rows: int, scratch: Path | None = None
) -> Iterator[pa.RecordBatch]:
    """Record batches of `sql` on a SQLite file path or a PostgreSQL URI (see the module docstring)."""
    if backend != "sqlite":
        yield from _postgres_batches(target, sql, params)
        return
    with tempfile.TemporaryDirectory(dir=scratch, prefix="pulso-read-") as folder:
        out = Path(folder) / "batches.arrow"
        request = json.dumps({"path": target, "sql": sql, "params": params, "batch_rows": batch_rows, "out": str(out)})
        done = subprocess.run(
            [sys.executable, "-m", "pulso.analytics.reader"],
            input=request.encode(),
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"bulk reader failed: {done.stderr.decode(errors='replace').strip()}")
        with pa.memory_map(str(out)) as source:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)


def main() -> None:
    request = json.loads(sys.stdin.read())
    writer: pa.ipc.RecordBatchFileWriter | None = None
    with pa.OSFile(request["out"], "wb") as sink:
        for batch in _sqlite_batches(request["path"], request["sql"], request["params"], int(request["batch_rows"])):
            if writer is None:
                writer = pa.ipc.new_file(sink, batch.schema)
            writer.write_batch(batch)
        if writer is None:  # no rows: still a valid, empty file
            writer = pa.ipc.new_file(sink, pa.schema([]))
        writer.close()


if __name__ == "__main__":
    main()
