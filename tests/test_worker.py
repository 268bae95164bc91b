"""The job consumer embedded in `pulso serve` runs queued jobs and leaves the server's signals alone."""

from __future__ import annotations

import signal
from pathlib import Path

from huey import SqliteHuey

from pulso.worker import start_embedded_consumer


def test_embedded_consumer_runs_jobs_without_taking_signals(tmp_path: Path) -> None:
    queue = SqliteHuey("pulso-test", filename=str(tmp_path / "queue.db"))

    @queue.task()
    def double(x: int) -> int:
        return 2 * x

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    result = double(21)
    consumer = start_embedded_consumer(queue)
    try:
        assert result.get(blocking=True, timeout=20) == 42
        assert {sig: signal.getsignal(sig) for sig in handlers} == handlers
    finally:
        consumer.stop(graceful=True)
