"""`pulso analytics sync|check|rebuild` through the CLI."""

from __future__ import annotations

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pulso.cli import app
from pulso.runtime import Runtime
from tests.factories import make_feedback, make_org


def test_check_fails_until_synced(runtime: Runtime, session: Session) -> None:
    with session.begin():
        make_org(session)
        make_feedback(session, nps=7)
    runner = CliRunner()
    before = runner.invoke(app, ["analytics", "check"])
    assert before.exit_code == 1
    assert "inconsistent" in before.output
    synced = runner.invoke(app, ["analytics", "sync"])
    assert synced.exit_code == 0
    assert "0 → 1" in synced.output
    after = runner.invoke(app, ["analytics", "check"])
    assert after.exit_code == 0, after.output
    assert "consistent / consistentes" in after.output
    rebuilt = runner.invoke(app, ["analytics", "rebuild"])
    assert rebuilt.exit_code == 0
    assert "1 feedback" in rebuilt.output
