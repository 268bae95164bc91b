"""The job queue runs real jobs through a real consumer: huey on SQLite (embedded) and on Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy import func, select

from pulso.config import Settings
from pulso.feedback import service as feedback
from pulso.feedback import tasks
from pulso.feedback.enums import ImportKind
from pulso.feedback.models import Feedback
from pulso.feedback.schemas import ImportOptions
from pulso.runtime import Runtime
from pulso.worker import build_queue


def _redis_or_skip(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the Redis queue: {exc}")
        pytest.skip(f"Redis at {url} unreachable: {exc}")


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Huey]:
    if request.param == "sqlite":
        q: Huey = SqliteHuey("pulso-test", filename=str(tmp_path / "queue.db"))
    else:
        url = "redis://127.0.0.1:6379/15"
        _redis_or_skip(url)
        q = RedisHuey(f"pulso-test-{os.getpid()}", url=url)
    q.flush()
    yield q
    q.flush()


def test_build_queue_follows_settings(tmp_path: Path) -> None:
    assert isinstance(build_queue(Settings(data_dir=tmp_path, queue="sqlite")), SqliteHuey)
    assert isinstance(build_queue(Settings(data_dir=tmp_path, queue="redis")), RedisHuey)
    assert build_queue(Settings(data_dir=tmp_path, queue="immediate")).immediate


def test_an_import_job_runs_in_a_worker(queue: Huey, runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "respuestas.csv"
    feedback.synthetic_feedback_csv(path, 300, seed=3)
    job = queue.task(name="feedback.import_file")(tasks.run_import)
    result = job(str(path), ImportOptions(kind=ImportKind.FEEDBACK))
    consumer = Consumer(queue, workers=1, worker_type="thread", periodic=False)
    consumer.start()
    try:
        summary = result.get(blocking=True, timeout=120)
    finally:
        consumer.stop(graceful=True)
    assert summary["status"] == "done"
    assert summary["inserted"] == 300
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 300
    # The worker let go of the analytic store's file, and the copy is complete.
    assert runtime._analytics is None
    assert runtime.analytics.counts()["feedback_facts"] == 300


def test_cli_background_import_is_queued(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from pulso.cli import app

    path = tmp_path / "respuestas.csv"
    feedback.synthetic_feedback_csv(path, 20, seed=4)
    queued: list[tuple[str, ImportOptions]] = []
    monkeypatch.setattr(tasks, "import_file_job", lambda p, o: queued.append((p, o)) or type("J", (), {"id": "j1"}))
    result = CliRunner().invoke(app, ["import", "feedback", str(path), "--background"])
    assert result.exit_code == 0, result.output
    assert "j1" in result.output
    assert queued[0][0] == str(path.resolve())
    assert queued[0][1].kind is ImportKind.FEEDBACK
