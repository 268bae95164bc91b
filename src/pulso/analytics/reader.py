"""Bulk reads of changed facts as Arrow, with the database's ADBC driver.

The SQLite ADBC driver carries its own copy of SQLite. Two copies of SQLite in one process break
each other's POSIX locks (sqlite.org/howtocorrupt.html, §2.2.1), so for SQLite the read runs in a
child process (`python -m pulso.analytics.reader`) that writes Arrow IPC files, which this process
then maps into memory; PostgreSQL's driver (libpq) runs in-process.
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


class SqliteReader:
    """A child process that runs bulk reads on one SQLite file; reused for every read of a sync.

    Requests go as JSON lines on its stdin; each answer is a line on its stdout ("ok" once the Arrow
    file is written, or "error: ..."). Starting Python and pyarrow costs about half a second, so a
    follower that reads every few hundred milliseconds keeps one child for the whole import.
    """

    def __init__(self, path: str, scratch: Path | None = None) -> None:
        self.path = path
        self._folder = tempfile.TemporaryDirectory(dir=scratch, prefix="pulso-read-")
        self._count = 0
        self._child = subprocess.Popen(
            [sys.executable, "-m", "pulso.analytics.reader"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def read(self, sql: str, params: list[Any], batch_rows: int) -> Iterator[pa.RecordBatch]:
        assert self._child.stdin is not None
        assert self._child.stdout is not None
        self._count += 1
        out = Path(self._folder.name) / f"read-{self._count}.arrow"
        request = {"path": self.path, "sql": sql, "params": params, "batch_rows": batch_rows, "out": str(out)}
        self._child.stdin.write(json.dumps(request) + "\n")
        self._child.stdin.flush()
        answer = self._child.stdout.readline().strip()
        if answer != "ok":
            stderr = ""
            if not answer:  # the child died
                self._child.wait()
                stderr = self._child.stderr.read() if self._child.stderr else ""
            raise RuntimeError(f"bulk reader failed: {answer or stderr.strip()}")
        with pa.memory_map(str(out)) as source:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)
        out.unlink()

    def close(self) -> None:
        if self._child.stdin is not None:
            self._child.stdin.close()
        self._child.wait(timeout=30)
        self._folder.cleanup()

    def __enter__(self) -> SqliteReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def read_batches(
    backend: str, target: str, sql: str, params: list[Any], batch_rows: int, reader: SqliteReader | None = None
) -> Iterator[pa.RecordBatch]:
    """Record batches of `sql` on a SQLite file path (through `reader`) or a PostgreSQL URI."""
    if backend != "sqlite":
        yield from _postgres_batches(target, sql, params)
        return
    if reader is not None:
        yield from reader.read(sql, params, batch_rows)
        return
    with SqliteReader(target) as own:
        yield from own.read(sql, params, batch_rows)


def _write(request: dict[str, Any]) -> None:
    writer: pa.ipc.RecordBatchFileWriter | None = None
    with pa.OSFile(request["out"], "wb") as sink:
        for batch in _sqlite_batches(request["path"], request["sql"], request["params"], int(request["batch_rows"])):
            if writer is None:
                writer = pa.ipc.new_file(sink, batch.schema)
            writer.write_batch(batch)
        if writer is None:  # no rows: still a valid, empty file
            writer = pa.ipc.new_file(sink, pa.schema([]))
        writer.close()


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            _write(json.loads(line))
        except Exception as exc:  # reported to the parent, which raises it
            print(f"error: {type(exc).__name__}: {exc}".replace("\n", " "), flush=True)
            continue
        print("ok", flush=True)


if __name__ == "__main__":
    main()
