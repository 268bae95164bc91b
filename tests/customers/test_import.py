"""Customer imports: attributes, key accounts, e-mails, and enriching customers created by feedback."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from pulso.customers import service as customers
from pulso.customers.models import Customer
from pulso.feedback import service
from pulso.feedback.enums import ImportKind
from pulso.kit.db import utcnow
from pulso.runtime import Runtime
from tests.feedback.conftest import options, write_text

FILE = (
    "Cliente;Nombre;Correo;Segmento;Región;Cuenta clave;Plan;Ciudad\n"
    "C-1;Ana Pérez;ANA@Example.com;Premium;Norte;Sí;Oro;Monterrey\n"
    "C-2;Luis;luis@example.com;Básico;Sur;no;;Mérida\n"
    "C-3;Eva;no-es-correo;Básico;Sur;quizá;;\n"
)


def _customers(runtime: Runtime) -> dict[str, Customer]:
    with runtime.sessions() as session:
        return {c.external_id: c for c in session.scalars(select(Customer))}


def test_customers_with_attributes_key_accounts_and_errors(runtime: Runtime, tmp_path: Path) -> None:
    path = write_text(tmp_path / "clientes.csv", FILE, "cp1252")
    report = service.import_file(runtime, path, options(ImportKind.CUSTOMERS))
    assert (report.inserted, report.rejected) == (2, 1)
    assert [(e.row, e.field) for e in report.errors] == [(4, "email"), (4, "is_key_account")]
    rows = _customers(runtime)
    ana, luis = rows["C-1"], rows["C-2"]
    assert (ana.name, ana.email, ana.segment, ana.region, ana.is_key_account) == (
        "Ana Pérez",
        "ana@example.com",
        "Premium",
        "Norte",
        True,
    )
    assert ana.attributes == {"Plan": "Oro", "Ciudad": "Monterrey"}
    assert luis.attributes == {"Ciudad": "Mérida"}
    assert luis.is_key_account is False


def test_reimport_is_unchanged_and_new_attributes_merge(runtime: Runtime, tmp_path: Path) -> None:
    path = write_text(tmp_path / "clientes.csv", FILE, "cp1252")
    service.import_file(runtime, path, options(ImportKind.CUSTOMERS))
    again = service.import_file(runtime, path, options(ImportKind.CUSTOMERS))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    more = write_text(tmp_path / "mas.csv", "id,segmento,Canal preferido\nC-1,VIP,whatsapp\n")
    report = service.import_file(runtime, more, options(ImportKind.CUSTOMERS))
    assert report.updated == 1
    ana = _customers(runtime)["C-1"]
    assert (ana.name, ana.segment) == ("Ana Pérez", "VIP")  # columns not in the file are kept
    assert ana.attributes == {"Plan": "Oro", "Ciudad": "Monterrey", "Canal preferido": "whatsapp"}


def test_customers_created_by_feedback_are_enriched_later(runtime: Runtime, tmp_path: Path) -> None:
    with runtime.sessions() as session, session.begin():
        frame, created = customers.ensure_customers(session, ["C-1", "C-1", "C-9"], now=utcnow())
    assert created == 2
    assert sorted(frame["key"].to_list()) == ["C-1", "C-9"]
    path = write_text(tmp_path / "clientes.csv", FILE, "cp1252")
    report = service.import_file(runtime, path, options(ImportKind.CUSTOMERS))
    assert (report.inserted, report.updated) == (1, 1)
    assert _customers(runtime)["C-1"].name == "Ana Pérez"
