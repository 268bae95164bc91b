"""File and frame imports end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from pulso.customers.models import Customer
from pulso.feedback import service
from pulso.feedback.enums import FeedbackSource, ImportStatus
from pulso.feedback.logic import UnusableFile
from pulso.feedback.models import Feedback, ImportRowError, ImportRun
from pulso.kit.changes import current_version
from pulso.runtime import Runtime
from tests.feedback.conftest import Catalog, count, options, write_text

SPANISH_EXCEL_CSV = (
    "ID;Fecha;Cliente;Canal;Punto de contacto;Agente;Equipo;Producto;NPS;CSAT;Estrellas;Comentario;Sucursal\r\n"
    "R1;05/03/2025 14:30;C-1;Teléfono;TP-PAGO;AG-7;Soporte;SKU-1;9;4;4,0;Muy buena atención;Centro\r\n"
    "R2;06/03/2025;C-2;tienda;tp-pago;ana@example.com;SOP;SKU-1;3;;;Tardaron mucho, pésimo;Norte\r\n"
    "R3;07/03/2025 08:00:05;C-1;correo;;;;;10;5;;;\r\n"
)


def test_spanish_excel_csv_cp1252_semicolons_decimal_commas(runtime: Runtime, catalog: Catalog, tmp_path: Path) -> None:
    path = write_text(tmp_path / "encuesta.csv", SPANISH_EXCEL_CSV, "cp1252")
    report = service.import_file(runtime, path, options())
    assert (report.status, report.rows_total, report.inserted, report.rejected) == (ImportStatus.DONE, 3, 3, 0)
    assert report.customers_created == 2
    with runtime.sessions() as session:
        rows = {f.external_id: f for f in session.scalars(select(Feedback))}
        customers = {c.external_id: c.id for c in session.scalars(select(Customer))}
    r1, r2, r3 = rows["R1"], rows["R2"], rows["R3"]
    # Naive times are Mexico City's (UTC-6), stored in UTC.
    assert r1.received_at == datetime(2025, 3, 5, 20, 30, tzinfo=UTC)
    assert r2.received_at == datetime(2025, 3, 6, 6, 0, tzinfo=UTC)
    assert r3.received_at == datetime(2025, 3, 7, 14, 0, 5, tzinfo=UTC)
    assert (r1.nps, r1.csat, r1.rating, r1.channel) == (9, 4, 4, "phone")
    assert r1.comment == "Muy buena atención"
    assert (r1.touchpoint_id, r1.agent_id, r1.team_id, r1.product_id) == (
        catalog.touchpoint_id,
        catalog.agent_id,
        catalog.team_id,
        catalog.product_id,
    )
    # Codes match case-insensitively; agents by e-mail, teams by code.
    assert (r2.touchpoint_id, r2.agent_id, r2.team_id, r2.channel) == (
        catalog.touchpoint_id,
        catalog.agent_id,
        catalog.team_id,
        "store",
    )
    assert r2.comment == "Tardaron mucho, pésimo"
    assert r1.customer_id == r3.customer_id == customers["C-1"]
    assert r1.source == FeedbackSource.IMPORT
    assert r1.extras == {"Sucursal": "Centro"}
    assert r3.extras == {}
    assert r1.import_id == report.import_id


def test_reimporting_the_same_file_changes_nothing(runtime: Runtime, catalog: Catalog, tmp_path: Path) -> None:
    path = write_text(tmp_path / "encuesta.csv", SPANISH_EXCEL_CSV, "cp1252")
    service.import_file(runtime, path, options())
    with runtime.sessions() as session:
        before = {f.external_id: (f.version, f.updated_at) for f in session.scalars(select(Feedback))}
        version = current_version(session)
    again = service.import_file(runtime, path, options())
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 0)
    assert again.customers_created == 0
    with runtime.sessions() as session:
        after = {f.external_id: (f.version, f.updated_at) for f in session.scalars(select(Feedback))}
        assert count(session, Customer) == 2
        assert current_version(session) > version  # the batch took a version, but wrote no row with it
    assert after == before


def test_a_corrected_score_is_updated_with_a_newer_version(runtime: Runtime, catalog: Catalog, tmp_path: Path) -> None:
    path = write_text(tmp_path / "encuesta.csv", SPANISH_EXCEL_CSV, "cp1252")
    service.import_file(runtime, path, options())
    with runtime.sessions() as session:
        old = {f.external_id: f.version for f in session.scalars(select(Feedback))}
    corrected = write_text(
        tmp_path / "corregido.csv", SPANISH_EXCEL_CSV.replace(";3;;;Tardaron", ";4;;;Tardaron"), "cp1252"
    )
    report = service.import_file(runtime, corrected, options())
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    with runtime.sessions() as session:
        new = {f.external_id: (f.version, f.nps) for f in session.scalars(select(Feedback))}
    assert new["R2"][1] == 4
    assert new["R2"][0] > old["R2"]
    assert new["R1"][0] == old["R1"]
    assert new["R3"][0] == old["R3"]


BAD = (
    "id,fecha,nps,csat,canal,punto de contacto,comentario\n"
    "A1,2025-01-05,9,5,web,TP-PAGO,ok\n"
    'A2,2025-01-05,11,5,web,,"una queja\nen dos líneas"\n'
    "A3,ayer,8,,fax,TP-NADA,\n"
    "A4,2025-01-06,,,,,\n"
    "A1,2025-01-07,7,,,,repetida\n"
)


def test_errors_name_row_field_and_reason(runtime: Runtime, catalog: Catalog, tmp_path: Path) -> None:
    path = write_text(tmp_path / "malo.csv", BAD)
    report = service.import_file(runtime, path, options())
    assert (report.status, report.inserted, report.rejected) == (ImportStatus.DONE, 1, 4)
    found = [(e.row, e.field, e.reason) for e in report.errors]
    assert found == [
        (3, "nps", "nps: 11 is outside 0–10 / fuera de 0–10"),
        (5, "received_at", found[1][2]),
        (5, "channel", found[2][2]),
        (5, "touchpoint", "touchpoint: 'TP-NADA' not found / no existe"),
        (6, "nps/csat/comment", "no score and no comment / sin puntuación ni comentario"),
        (7, "external_id", "external_id: 'A1' repeated; first at row 2 / repetido; primero en la fila 2"),
    ]
    assert found[1][2].startswith("received_at: 'ayer' is not a date")
    assert found[2][2].startswith("channel: 'fax' is not a known channel")
    with runtime.sessions() as session:
        stored = session.scalars(select(ImportRowError).order_by(ImportRowError.id)).all()
        assert [(e.row, e.field) for e in stored] == [(r, f) for r, f, _ in found]
        assert stored[0].value == "11"
        run = session.get(ImportRun, report.import_id)
        assert run is not None
        assert (run.rows_done, run.rows_rejected, run.status) == (5, 4, ImportStatus.DONE)


def test_all_or_nothing_writes_nothing_when_a_row_fails(runtime: Runtime, catalog: Catalog, tmp_path: Path) -> None:
    path = write_text(tmp_path / "malo.csv", BAD)
    report = service.import_file(runtime, path, options(all_or_nothing=True))
    assert (report.status, report.inserted, report.rejected) == (ImportStatus.REJECTED, 0, 4)
    assert len(report.errors) == 6
    with runtime.sessions() as session:
        assert count(session, Feedback) == 0
        assert count(session, Customer) == 0
        run = session.get(ImportRun, report.import_id)
        assert run is not None
        assert run.status is ImportStatus.REJECTED
        assert count(session, ImportRowError) == 6


def test_all_or_nothing_imports_everything_when_all_rows_are_valid(
    runtime: Runtime, catalog: Catalog, tmp_path: Path
) -> None:
    path = write_text(tmp_path / "encuesta.csv", SPANISH_EXCEL_CSV, "cp1252")
    report = service.import_file(runtime, path, options(all_or_nothing=True))
    assert (report.status, report.inserted) == (ImportStatus.DONE, 3)


def test_unknown_customers_are_created_and_known_ones_reused(runtime: Runtime, tmp_path: Path) -> None:
    with runtime.sessions() as session, session.begin():
        session.add(Customer(external_id="C-1", name="Ya existe", segment="VIP"))
    path = write_text(tmp_path / "f.csv", "fecha,cliente,nps\n2025-01-05,C-1,9\n2025-01-05,C-9,7\n2025-01-06,C-9,8\n")
    report = service.import_file(runtime, path, options(batch_size=2))
    assert (report.inserted, report.customers_created) == (3, 1)
    with runtime.sessions() as session:
        customers = {c.external_id: c for c in session.scalars(select(Customer))}
        assert set(customers) == {"C-1", "C-9"}
        assert customers["C-1"].name == "Ya existe"
        assert customers["C-9"].name is None
        assert customers["C-9"].attributes == {}
        ids = {f.customer_id for f in session.scalars(select(Feedback))}
        assert ids == {customers["C-1"].id, customers["C-9"].id}


def test_rows_without_ids_get_stable_hashes(runtime: Runtime, tmp_path: Path) -> None:
    text = "fecha,nps,comentario\n2025-01-05,9,bien\n2025-01-05,9,bien\n2025-01-06,2,mal\n"
    path = write_text(tmp_path / "sin_id.csv", text)
    first = service.import_file(runtime, path, options())
    again = service.import_file(runtime, path, options())
    assert (first.inserted, again.inserted, again.unchanged) == (3, 0, 3)
    with runtime.sessions() as session:
        ids = sorted(session.scalars(select(Feedback.external_id)))
    assert all(i.startswith("h-") for i in ids)
    assert len(set(ids)) == 3


def test_json_lines_excel_and_parquet(runtime: Runtime, catalog: Catalog, tmp_path: Path) -> None:
    jsonl = write_text(
        tmp_path / "f.jsonl",
        '{"id": "J1", "date": "2025-01-05T10:00:00Z", "nps": 9, "comment": "bien", "tags": ["a"]}\n'
        "\n"
        '{"id": "J2", "date": "2025-01-05T10:00:00Z", "nps": "11"}\n',
    )
    report = service.import_file(runtime, jsonl, options())
    assert (report.inserted, report.rejected) == (1, 1)
    assert [(e.row, e.field) for e in report.errors] == [(3, "nps")]

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Respuestas"
    sheet.append(["ID", "Fecha", "NPS", "Comentario", "Cliente"])
    sheet.append(["X1", datetime(2025, 2, 1, 9, 30), 10, "excelente", 12345])
    sheet.append(["X2", "02/02/2025 10:00", 7.0, None, 12345])
    sheet.append([None, None, None, None, None])
    sheet.append(["X3", datetime(2025, 2, 3), 15, None, None])
    xlsx = tmp_path / "f.xlsx"
    workbook.save(xlsx)
    report = service.import_file(runtime, xlsx, options(sheet="Respuestas"))
    assert (report.inserted, report.rejected) == (2, 1)
    assert [(e.row, e.field) for e in report.errors] == [(5, "nps")]

    parquet = tmp_path / "f.parquet"
    pl.DataFrame(
        {
            "external_id": ["P1", "P2"],
            "received_at": [datetime(2025, 3, 1, 12, tzinfo=UTC), datetime(2025, 3, 2, 12, tzinfo=UTC)],
            "csat": [5, 4],
        }
    ).write_parquet(parquet)
    report = service.import_file(runtime, parquet, options())
    assert report.inserted == 2

    with runtime.sessions() as session:
        rows = {f.external_id: f for f in session.scalars(select(Feedback))}
        customer = session.scalars(select(Customer)).one()
    assert rows["J1"].extras == {"tags": '["a"]'} or rows["J1"].extras == {"tags": '["a"]'}
    assert rows["X1"].received_at == datetime(2025, 2, 1, 15, 30, tzinfo=UTC)  # naive Excel time, Mexico City
    assert rows["X2"].nps == 7
    assert customer.external_id == "12345"  # an Excel number, without ".0"
    assert rows["P1"].received_at == datetime(2025, 3, 1, 12, tzinfo=UTC)


def test_unusable_files(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(UnusableFile, match="unknown format"):
        service.import_file(runtime, write_text(tmp_path / "f.pdf", "x"), options())
    with pytest.raises(UnusableFile, match="required column missing: received_at") as err:
        service.import_file(runtime, write_text(tmp_path / "f.csv", "cuando;NPS\n2025-01-01;9\n"), options())
    assert "'cuando', 'NPS'" in err.value.message
    Workbook().save(tmp_path / "f.xlsx")
    with pytest.raises(UnusableFile, match="sheet 'Otra' not found"):
        service.import_file(runtime, tmp_path / "f.xlsx", options(sheet="Otra"))
    with pytest.raises(UnusableFile, match="not valid utf-8"):
        service.import_file(
            runtime, write_text(tmp_path / "g.csv", "fecha;nps\nañ;1\n", "cp1252"), options(encoding="utf-8")
        )


def test_explicit_encoding_separator_and_month_first(runtime: Runtime, tmp_path: Path) -> None:
    path = write_text(tmp_path / "f.txt", "when|score|Nota\n03/05/2025|8|Atención\n", "latin-1")
    report = service.import_file(
        runtime,
        path,
        options(encoding="latin-1", separator="|", dayfirst=False, mapping={"when": "received_at", "score": "nps"}),
    )
    assert report.inserted == 1
    with runtime.sessions() as session:
        row = session.scalars(select(Feedback)).one()
    assert row.received_at == datetime(2025, 3, 5, tzinfo=UTC)
    assert row.extras == {"Nota": "Atención"}


def test_frames_with_typed_canonical_columns(runtime: Runtime) -> None:
    frame = pl.DataFrame(
        {
            "external_id": ["F1", "F2"],
            "received_at": [datetime(2025, 3, 1, 12, tzinfo=UTC), datetime(2025, 3, 2, 12, tzinfo=UTC)],
            "nps": [9, 10],
            "channel": ["app", "web"],
            "source": ["survey", "review"],
        }
    )
    seen: list[tuple[int, int]] = []
    report = service.import_frame(
        runtime, frame, options(), name="frame", progress=lambda done, total: seen.append((done, total))
    )
    assert report.inserted == 2
    assert seen[0] == (0, 2)
    assert seen[-1] == (2, 2)
    with runtime.sessions() as session:
        sources = set(session.scalars(select(Feedback.source)))
    assert sources == {FeedbackSource.SURVEY, FeedbackSource.REVIEW}


def test_batches_commit_their_checkpoint(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    service.synthetic_feedback_csv(path, 2_500, seed=5)
    report = service.import_file(runtime, path, options(batch_size=1_000))
    assert (report.inserted, report.rejected) == (2_500, 0)
    with runtime.sessions() as session:
        run = session.get(ImportRun, report.import_id)
        assert run is not None
        assert (run.rows_done, run.rows_inserted, run.status) == (2_500, 2_500, ImportStatus.DONE)
        versions = set(session.scalars(select(Feedback.version)))
    assert len(versions) == 3  # one change version per batch


def test_an_interrupted_run_is_resumed_from_its_checkpoint(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    service.synthetic_feedback_csv(path, 3_000, seed=9)
    first = service.import_file(runtime, path, options(batch_size=1_000))
    with runtime.sessions() as session, session.begin():
        # As if the process had died after the first batch: the run is still "running" at row 1,000.
        run = session.get(ImportRun, first.import_id)
        assert run is not None
        run.status, run.rows_done, run.rows_inserted = ImportStatus.RUNNING, 1_000, 1_000
        session.execute(Feedback.__table__.delete().where(Feedback.external_id > "R000001000"))
    resumed = service.import_file(runtime, path, options(batch_size=700))
    assert resumed.import_id == first.import_id
    assert (resumed.resumed_from, resumed.inserted, resumed.status) == (1_000, 3_000, ImportStatus.DONE)
    with runtime.sessions() as session:
        assert count(session, Feedback) == 3_000
        assert count(session, ImportRun) == 1


def test_analytic_store_is_synced_after_an_import(runtime: Runtime, tmp_path: Path) -> None:
    from pulso.analytics.service import check

    path = tmp_path / "f.csv"
    service.synthetic_feedback_csv(path, 200, seed=1)
    report = service.import_file(runtime, path, options(sync_analytics=True))
    assert report.synced
    assert runtime.analytics.counts()["feedback_facts"] == report.inserted
    assert check(runtime).consistent


@pytest.mark.parametrize(
    ("content", "encoding", "suffix"),
    [
        ("fecha,nps,comentario\n05/03/2025,9,Atención\n", "utf-8", ".csv"),
        ("\ufefffecha;nps;comentario\n05/03/2025;9;Atención\n", "utf-8", ".csv"),
        ("fecha\tnps\tcomentario\n05/03/2025\t9\tAtención\n", "utf-16", ".txt"),
        ("fecha|nps|comentario\n05/03/2025|9|Atención\n", "cp1252", ".csv"),
        ("fecha\tnps\tcomentario\r\n05/03/2025\t9\tAtención\r\n", "cp1252", ".tsv"),
        ('[{"fecha": "05/03/2025", "nps": 9, "comentario": "Atención"}]', "utf-8", ".json"),
    ],
)
def test_read_table_sniffs_encodings_and_separators(content: str, encoding: str, suffix: str, tmp_path: Path) -> None:
    path = write_text(tmp_path / f"f{suffix}", content, encoding)
    frame = service.read_table(path, options())
    assert frame.columns == ["__row", "fecha", "nps", "comentario"]
    assert frame.row(0)[3] == "Atención"
    assert frame.row(0)[0] == (1 if suffix == ".json" else 2)
