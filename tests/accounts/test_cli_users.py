"""`pulso init` makes the first admin once; `pulso user` creates people and resets passwords."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pulso.accounts import service as accounts
from pulso.cli import app
from pulso.config import Settings
from pulso.kit.db import utcnow
from pulso.runtime import Runtime, set_runtime


@pytest.fixture
def cli_runtime(tmp_path: Path) -> Runtime:
    runtime = Runtime(Settings(data_dir=tmp_path / "data", queue="immediate", secret_key="k"))
    set_runtime(runtime)
    return runtime


def _password(output: str) -> str:
    """The line printed after the 'shown only once' notice."""
    lines = output.splitlines()
    notice = next(i for i, line in enumerate(lines) if "se muestra una sola vez" in line)
    return lines[notice + 1].strip()


def test_init_creates_the_first_admin_once(cli_runtime: Runtime) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["init", "--admin-email", "Jefa@Example.com", "--admin-name", "Jefa"])
    assert first.exit_code == 0, first.output
    password = _password(first.output)
    with cli_runtime.sessions() as session, session.begin():
        outcome = accounts.sign_in(session, email="jefa@example.com", password=password, ip="t", now=utcnow())
        assert outcome.user is not None
        assert outcome.user.role == "admin"
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0
    assert "already exists" in again.output
    assert password not in again.output


def test_user_create_and_reset(cli_runtime: Runtime) -> None:
    runner = CliRunner()
    runner.invoke(app, ["init"])
    no_team = runner.invoke(app, ["user", "create", "--email", "s@example.com", "--name", "S", "--role", "supervisor"])
    assert no_team.exit_code == 2
    assert "needs a team" in no_team.output
    made = runner.invoke(app, ["user", "create", "--email", "v@example.com", "--name", "Vera", "--role", "viewer"])
    assert made.exit_code == 0, made.output
    first = _password(made.output)
    reset = runner.invoke(app, ["user", "reset-password", "v@example.com"])
    assert reset.exit_code == 0
    second = _password(reset.output)
    assert first != second
    with cli_runtime.sessions() as session, session.begin():
        assert accounts.sign_in(session, email="v@example.com", password=first, ip="t", now=utcnow()).user is None
        assert accounts.sign_in(session, email="v@example.com", password=second, ip="t", now=utcnow()).user is not None
    unknown = runner.invoke(app, ["user", "reset-password", "nadie@example.com"])
    assert unknown.exit_code == 2
    assert "not found" in unknown.output
