"""The job queue: huey on SQLite by default (no server), on Redis in production, inline in tests."""

from __future__ import annotations

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from pulso.config import Settings, get_settings


def build_queue(settings: Settings) -> Huey:
    if settings.queue == "redis":
        return RedisHuey("pulso", url=settings.redis_url)
    if settings.queue == "immediate":
        return MemoryHuey("pulso", immediate=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("pulso", filename=str((settings.data_dir / "queue.db").resolve()))


huey: Huey = build_queue(get_settings())
