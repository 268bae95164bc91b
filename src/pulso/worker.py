"""The job queue: huey on SQLite by default (no server), on Redis in production, inline in tests."""

from __future__ import annotations

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from pulso.config import Settings, get_settings


def build_queue(settings: Settings) -> Huey:
    if settings.queue == "redis":
        return RedisHuey("pulso", url=settings.redis_url)
    if settings.queue == "immediate":
        return MemoryHuey("pulso", immediate=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("pulso", filename=str((settings.data_dir / "queue.db").resolve()))


huey: Huey = build_queue(get_settings())


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer running in threads inside the web server, which keeps its own signal handlers."""

    def _set_signal_handlers(self) -> None:
        return None


def start_embedded_consumer(queue: Huey | None = None, workers: int = 1) -> EmbeddedConsumer:
    """Run queued jobs inside `pulso serve`, so the embedded default needs no second process."""
    from pulso.worker_tasks import load_all_tasks

    load_all_tasks()
    consumer = EmbeddedConsumer(queue or huey, workers=workers, worker_type="thread", periodic=True)
    consumer.start()
    return consumer
