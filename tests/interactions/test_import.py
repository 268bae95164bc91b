"""Interaction imports, and feedback that names an interaction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from pulso.feedback import service
from pulso.feedback.enums import ImportKind
from pulso.feedback.models import Feedback
from pulso.interactions import service as interactions
from pulso.interactions.models import Interaction
from pulso.runtime import Runtime
from tests.feedback.conftest import Catalog, options, write_text
from tests.feedback.conftest import catalog as catalog  # the fixture

TICKETS = (
    "Ticket,Canal,Cliente,Agente,Equipo,Punto de contacto,Motivo,Estado,Fecha apertura,"
    "Primera respuesta,Fecha resolución,Contactos,Prioridad\n"
    "T-1,teléfono,C-1,AG-7,Soporte,TP-PAGO,Cobro doble,Resuelto,05/03/2025 09:00,05/03/2025 09:05,"
    "05/03/2025 10:00,2,alta\n"
    "T-2,chat,C-2,,,,Envío,en espera,06/03/2025 12:00,,,,\n"
    "T-3,correo,C-2,,,,Envío,cerrado,06/03/2025 12:00,,05/03/2025 12:00,0,\n"
    "T-4,web,,,,,,,,,,,\n"
)


def test_interactions_with_spanish_values_and_time_rules(runtime: Runtime, catalog: Catalog, tmp_path: Path) -> None:
    path = write_text(tmp_path / "tickets.csv", TICKETS)
    report = service.import_file(runtime, path, options(ImportKind.INTERACTIONS, default_source="zendesk"))
    assert (report.inserted, report.rejected) == (2, 2)
    assert [(e.row, e.field) for e in report.errors] == [
        (4, "contacts_to_resolve"),
        (4, "resolved_at"),
        (5, "opened_at"),
    ]
    with runtime.sessions() as session:
        rows = {i.external_id: i for i in session.scalars(select(Interaction))}
        one = interactions.get_interaction(session, "zendesk", "T-1")
    t1, t2 = rows["T-1"], rows["T-2"]
    assert one is not None
    assert one.id == t1.id
    # Mexico City, UTC-6
    assert (t1.opened_at, t1.first_response_at, t1.resolved_at) == (
        datetime(2025, 3, 5, 15, tzinfo=UTC),
        datetime(2025, 3, 5, 15, 5, tzinfo=UTC),
        datetime(2025, 3, 5, 16, tzinfo=UTC),
    )
    assert (t1.status, t1.channel, t1.category, t1.contacts_to_resolve, t1.source) == (
        "resolved",
        "phone",
        "Cobro doble",
        2,
        "zendesk",
    )
    assert (t1.agent_id, t1.team_id, t1.touchpoint_id) == (catalog.agent_id, catalog.team_id, catalog.touchpoint_id)
    assert t1.extras == {"Prioridad": "alta"}
    assert (t2.status, t2.resolved_at) == ("pending", None)
    again = service.import_file(runtime, path, options(ImportKind.INTERACTIONS, default_source="zendesk"))
    assert (again.inserted, again.unchanged) == (0, 2)


def test_feedback_links_to_interactions_by_source_and_id(runtime: Runtime, catalog: Catalog, tmp_path: Path) -> None:
    service.import_file(runtime, write_text(tmp_path / "t.csv", TICKETS), options(ImportKind.INTERACTIONS))
    answers = write_text(
        tmp_path / "f.csv",
        "fecha,ticket,nps\n2025-03-06,T-1,9\n2025-03-06,T-99,3\n",
    )
    report = service.import_file(runtime, answers, options())
    assert report.inserted == 1
    assert [(e.row, e.field, e.reason) for e in report.errors] == [
        (3, "interaction", "interaction: 'T-99' not found / no existe")
    ]
    other_namespace = service.import_file(runtime, answers, options(interaction_source="zendesk"))
    assert other_namespace.inserted == 0
    with runtime.sessions() as session:
        feedback = session.scalars(select(Feedback)).one()
        ticket = session.scalars(select(Interaction).where(Interaction.external_id == "T-1")).one()
    assert feedback.interaction_id == ticket.id
