"""`pulso kpi` prints the same answer as the service, as a table, JSON or CSV; bad input exits 2."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pulso.cli import app
from pulso.runtime import Runtime
from tests.factories import make_feedback, make_org, make_team

ARGS = ["kpi", "nps", "--by", "team", "--grain", "month", "--from", "2026-01-01", "--to", "2026-02-28"]


def _populate(session: Session) -> None:
    with session.begin():
        make_org(session)
        team = make_team(session, "Soporte")
        start = datetime(2026, 1, 10, 12, tzinfo=UTC)
        for i, score in enumerate([10, 9, 8, 3, 10, 10]):
            make_feedback(session, nps=score, team_id=team.id, received_at=start + timedelta(days=8 * i))


def test_json_csv_and_table(runtime: Runtime, session: Session) -> None:
    _populate(session)
    runner = CliRunner()
    as_json = runner.invoke(app, [*ARGS, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert body["total"]["n"] == 6
    assert body["total"]["value"] == 50.0
    assert [(r["period"], r["label"], r["n"]) for r in body["rows"]] == [
        ("2026-01-01", "Soporte", 3),
        ("2026-02-01", "Soporte", 3),
    ]
    as_csv = runner.invoke(app, [*ARGS, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [r["n"] for r in rows] == ["3", "3", "6"]
    table = runner.invoke(app, ARGS, env={"COLUMNS": "200"})
    assert table.exit_code == 0
    assert "Soporte" in table.output
    assert "Net Promoter Score" in table.output


def test_bad_input_exits_2_with_a_message(runtime: Runtime, session: Session) -> None:
    _populate(session)
    runner = CliRunner()
    unknown = runner.invoke(app, ["kpi", "happiness"])
    assert unknown.exit_code == 2
    assert "happiness" in unknown.output
    bad_date = runner.invoke(app, ["kpi", "nps", "--from", "01/02/2026"])
    assert bad_date.exit_code == 2
    bad_filter = runner.invoke(app, ["kpi", "nps", "--filter", "team"])
    assert bad_filter.exit_code == 2
