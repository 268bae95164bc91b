"""`pulso import ...` through Typer: exit codes, the summary, the errors CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from pulso.customers.models import Customer
from pulso.feedback.cli import import_app
from pulso.feedback.models import Feedback
from pulso.runtime import Runtime
from tests.feedback.conftest import count, write_text

runner = CliRunner()


def test_a_clean_file_exits_0_with_a_summary(runtime: Runtime, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "f.csv", "ID;Fecha;NPS;Comentario\nR1;05/03/2025;9;Muy bien\nR2;06/03/2025;4,0;\n", "cp1252"
    )
    result = runner.invoke(import_app, ["feedback", str(path), "--no-sync", "--source", "survey"])
    assert result.exit_code == 0, result.output
    assert "inserted / insertadas" in result.stdout
    assert "rejected / rechazadas" in result.stdout
    again = runner.invoke(import_app, ["feedback", str(path), "--no-sync", "--source", "survey"])
    assert again.exit_code == 0
    assert "unchanged / sin cambios" in again.stdout
    with runtime.sessions() as session:
        assert count(session, Feedback) == 2
        assert {f.source for f in session.scalars(select(Feedback))} == {"survey"}


def test_rejected_rows_exit_1_show_the_first_20_and_write_all_to_csv(runtime: Runtime, tmp_path: Path) -> None:
    lines = ["fecha,nps"] + [f"2025-01-{1 + i % 28:02d},{11 + i}" for i in range(25)] + ["2025-02-01,7"]
    path = write_text(tmp_path / "f.csv", "\n".join(lines) + "\n")
    errors = tmp_path / "errores.csv"
    result = runner.invoke(import_app, ["feedback", str(path), "--no-sync", "--errors-csv", str(errors)])
    assert result.exit_code == 1, result.output
    assert "outside 0–10" in result.stdout
    assert "and 5 more errors" in result.stdout
    with errors.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 25
    assert rows[0] == {"row": "2", "field": "nps", "reason": "nps: 11 is outside 0–10 / fuera de 0–10", "value": "11"}
    with runtime.sessions() as session:
        assert count(session, Feedback) == 1


def test_all_or_nothing_exits_1_and_stores_nothing(runtime: Runtime, tmp_path: Path) -> None:
    path = write_text(tmp_path / "f.csv", "fecha,nps\n2025-01-01,9\n2025-01-02,99\n")
    result = runner.invoke(import_app, ["feedback", str(path), "--no-sync", "--all-or-nothing"])
    assert result.exit_code == 1
    assert "Nothing was imported" in result.stdout
    with runtime.sessions() as session:
        assert count(session, Feedback) == 0


def test_unusable_files_exit_2_naming_the_column_and_the_headers(runtime: Runtime, tmp_path: Path) -> None:
    path = write_text(tmp_path / "f.csv", "cuando;puntos\n2025-01-01;9\n")
    result = runner.invoke(import_app, ["feedback", str(path), "--no-sync"])
    assert result.exit_code == 2
    assert "received_at" in result.output
    assert "'cuando', 'puntos'" in result.output
    mapped = runner.invoke(
        import_app,
        ["feedback", str(path), "--no-sync", "--map", "cuando=received_at", "--map", "puntos=nps"],
    )
    assert mapped.exit_code == 0, mapped.output
    assert runner.invoke(import_app, ["feedback", str(tmp_path / "f.pdf"), "--no-sync"]).exit_code == 2
    assert runner.invoke(import_app, ["feedback", str(path), "--map", "sin-igual"]).exit_code == 2


def test_customers_and_interactions_commands(runtime: Runtime, tmp_path: Path) -> None:
    customers = write_text(tmp_path / "c.csv", "Cliente,Nombre,VIP,Plan\nC-1,Ana,sí,Oro\n")
    result = runner.invoke(import_app, ["customers", str(customers), "--no-sync"])
    assert result.exit_code == 0, result.output
    tickets = write_text(
        tmp_path / "t.csv", "Ticket\tFecha apertura\tEstado\tCliente\nT-1\t01/02/2025 09:00\tResuelto\tC-1\n"
    )
    result = runner.invoke(import_app, ["interactions", str(tickets), "--no-sync", "--source", "zendesk"])
    assert result.exit_code == 0, result.output
    with runtime.sessions() as session:
        customer = session.scalars(select(Customer)).one()
    assert (customer.name, customer.is_key_account, customer.attributes) == ("Ana", True, {"Plan": "Oro"})
