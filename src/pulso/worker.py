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


# Idle workers poll the SQLite queue at most every half second (huey's default backs off to 10 s): a
# detractor's case and its e-mail are three jobs in a row, each waiting for a poll. Redis blocks on
# the list instead of polling. Scheduled jobs (a delivery's retry) are checked every second.
CONSUMER_OPTIONS = {"initial_delay": 0.05, "backoff": 1.5, "max_delay": 0.5, "scheduler_interval": 1}


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer running in threads inside the web server, which keeps its own signal handlers."""

    def _set_signal_handlers(self) -> None:
        return None


def start_embedded_consumer(queue: Huey | None = None, workers: int = 3) -> EmbeddedConsumer:
    """Run queued jobs inside `pulso serve`, so the embedded default needs no second process."""
    from pulso.worker_tasks import load_all_tasks

    load_all_tasks()
    # Several threads, so a long job (a text analysis of 5,000 comments) never holds up a case's e-mail.
    consumer = EmbeddedConsumer(queue or huey, workers=workers, worker_type="thread", periodic=True, **CONSUMER_OPTIONS)
    consumer.start()
    return consumer
