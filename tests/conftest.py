"""Shared fixtures: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

os.environ.setdefault("PULSO_QUEUE", "immediate")

from pulso.config import Settings
from pulso.db_models import metadata
from pulso.kit.db import make_engine
from pulso.runtime import Runtime, set_runtime

PG_ADMIN_URL = os.environ.get("PULSO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
_pg_state: dict[str, str | None] = {}


def _pg_available() -> str | None:
    """The reason PostgreSQL cannot be used, or None when it can."""
    if "reason" not in _pg_state:
        try:
            engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # any connection failure means: no server here
            _pg_state["reason"] = f"PostgreSQL at {PG_ADMIN_URL} unreachable: {type(exc).__name__}"
    return _pg_state["reason"]


def pytest_report_header(config: pytest.Config) -> str:
    reason = _pg_available()
    return "postgres: available" if reason is None else f"postgres: SKIPPED — {reason}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reason = _pg_available()
    if reason is not None:
        terminalreporter.write_line(
            f"NOTE: every PostgreSQL variant of the database tests was skipped ({reason}).", yellow=True
        )


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    reason = _pg_available()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test on PostgreSQL: {reason}")
        pytest.skip(reason)
    # One database per test process, so parallel workers (and parallel runs) never share one.
    name = f"pulso_test_{_worker_suffix()}_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    from pulso.migrations import upgrade

    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "pulso.db"
    engine = make_engine(f"sqlite:///{path}")
    from pulso.migrations import upgrade

    upgrade(engine)
    engine.dispose()
    return path


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO change_counters (name, value) VALUES ('facts', 0)"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """The URL of an empty, migrated operational store, on each engine in turn."""
    if request.param == "sqlite":
        path = tmp_path / "pulso.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    _truncate_all(url)
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        queue="immediate",
        timezone="UTC",
        secret_key="test-secret",
        analytics_threads=1,
        analytics_memory_limit="1GB",
        # The queue runs jobs inline here: other domains' tests would each run the text models.
        # tests/text turns it on where the arrival of comments is what is tested.
        text_analysis=False,
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings)
    set_runtime(rt)
    yield rt
    set_runtime(None)


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    """A session whose transaction the test commits itself when it needs the data visible."""
    with runtime.sessions() as s:
        yield s
