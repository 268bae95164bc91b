"""The periodic job of the serving process: keep its analytic store in step with the operational store.

It runs as a thread inside `pulso serve` rather than on the job queue, because the process that
serves the dashboards is the one that owns the DuckDB file (ADR 0002).
"""

from __future__ import annotations

import logging
import threading

from pulso.runtime import Runtime

log = logging.getLogger(__name__)


class SyncLoop:
    """Calls analytics.sync every `interval` seconds until stopped; an error is logged, not fatal."""

    def __init__(self, runtime: Runtime, interval: float) -> None:
        self.runtime = runtime
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pulso-analytic-sync", daemon=True)
        self.runs = 0
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        from pulso.analytics import service

        while not self._stop.is_set():
            try:
                service.sync(self.runtime)
                self.last_error = None
            except Exception as exc:  # keep serving; the next round retries
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("analytic sync failed")
            self.runs += 1
            self._stop.wait(self.interval)
