"""SQL functions SQLite lacks, registered on every SQLite connection.

The KPI queries are written once as SQLAlchemy expressions; on PostgreSQL and DuckDB the time-zone
truncation and quantiles are native, on SQLite they are these Python functions (SQLite is the
embedded operational store, not where dashboards run, so their speed matters little).
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

GRAINS = ("day", "week", "month", "quarter", "year")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def truncate_local(instant: datetime, grain: str, tz: str) -> datetime:
    """The start of the grain bucket holding `instant`, as a naive wall-clock time in `tz`."""
    local = instant.astimezone(_zone(tz)).replace(tzinfo=None)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "day":
        return day
    if grain == "week":  # ISO weeks start on Monday
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")


def _local_trunc(value: str | None, grain: str, tz: str) -> str | None:
    if value is None:
        return None
    instant = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return truncate_local(instant, grain, tz).isoformat(sep=" ")


class _Quantile:
    """Discrete quantile (the smallest value with at least q of the values at or below it)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.q: float | None = None

    def step(self, value: float | None, q: float) -> None:
        self.q = q
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        if not self.values or self.q is None:
            return None
        self.values.sort()
        index = max(0, math.ceil(self.q * len(self.values)) - 1)
        return self.values[index]


def register_sqlite_functions(connection: sqlite3.Connection) -> None:
    connection.create_function("pulso_local_trunc", 3, _local_trunc, deterministic=True)
    connection.create_aggregate("pulso_quantile", 2, _Quantile)  # type: ignore[arg-type]
