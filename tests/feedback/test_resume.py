"""An import killed with SIGKILL after a committed batch leaves no partial batch and resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pulso.feedback import service

ROWS = 300_000
BATCH = 20_000
CLI = "from pulso.feedback.cli import import_app; import_app(prog_name='pulso import')"


def _command(path: Path) -> list[str]:
    return [sys.executable, "-c", CLI, "feedback", str(path), "--batch-size", str(BATCH), "--no-sync"]


@pytest.mark.slow
def test_kill_9_after_a_committed_batch_then_resume(db_url: str, tmp_path: Path) -> None:
    path = service.synthetic_feedback_csv(tmp_path / "grande.csv", ROWS, seed=21)
    env = {
        **os.environ,
        "PULSO_DATABASE_URL": db_url,
        "PULSO_DATA_DIR": str(tmp_path / "data"),
        "PULSO_QUEUE": "immediate",
        "PULSO_TIMEZONE": "UTC",
    }
    engine = create_engine(db_url)
    process = subprocess.Popen(_command(path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        done = 0
        while time.monotonic() < deadline and process.poll() is None:
            with engine.connect() as conn:
                done = conn.execute(text("SELECT coalesce(max(rows_done), 0) FROM import_runs")).scalar_one()
            if done > 0:
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.005)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode() if process.stderr else ""

    with engine.connect() as conn:
        status, rows_done = conn.execute(text("SELECT status, rows_done FROM import_runs")).one()
        stored = conn.execute(text("SELECT count(*) FROM feedback")).scalar_one()
    assert status == "running"
    assert 0 < rows_done < ROWS, "the import finished before it could be killed; use a bigger file"
    assert rows_done % BATCH == 0
    assert stored == rows_done  # every committed batch whole, nothing of the next one

    again = subprocess.run(_command(path), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert "resumed at row" in again.stdout

    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status, rows_done, rows_inserted, rows_unchanged FROM import_runs")).all()
        total, distinct = conn.execute(text("SELECT count(*), count(DISTINCT external_id) FROM feedback")).one()
    engine.dispose()
    assert [tuple(r) for r in runs] == [("done", ROWS, ROWS, 0)]
    assert total == distinct == ROWS
