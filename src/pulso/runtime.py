"""Wiring of one running Pulso: settings, the operational store and the analytic store."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pulso.config import Settings, get_settings
from pulso.kit.db import make_engine, make_sessionmaker

if TYPE_CHECKING:
    from pulso.analytics.store import AnalyticStore


@dataclass
class Runtime:
    settings: Settings
    _analytics: AnalyticStore | None = field(default=None, init=False, repr=False)
    _analytics_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @cached_property
    def engine(self) -> Engine:
        if self.settings.resolved_database_url.startswith("sqlite"):
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return make_engine(self.settings.resolved_database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine)

    @property
    def analytics(self) -> AnalyticStore:
        # Request threads and the sync loop may ask at once: open the store exactly once.
        with self._analytics_lock:
            if self._analytics is None:
                from pulso.analytics.store import AnalyticStore

                self._analytics = AnalyticStore.open(self.settings)
            return self._analytics

    @cached_property
    def secret_key(self) -> str:
        if self.settings.secret_key:
            return self.settings.secret_key
        path: Path = self.settings.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def migrate(self) -> None:
        from pulso.migrations import upgrade

        upgrade(self.engine)

    def release_analytics(self) -> None:
        """Close the analytic store's file, so another process may open it."""
        with self._analytics_lock:
            if self._analytics is not None:
                self._analytics.close()
                self._analytics = None

    def close(self) -> None:
        self.release_analytics()
        self.engine.dispose()


_current: Runtime | None = None


def get_runtime() -> Runtime:
    """The process-wide runtime, built from the environment on first use."""
    global _current
    if _current is None:
        _current = Runtime(get_settings())
    return _current


def set_runtime(runtime: Runtime | None) -> None:
    """Install a runtime (tests, `pulso demo`); the previous one is closed."""
    global _current
    if _current is not None and _current is not runtime:
        _current.close()
    _current = runtime
