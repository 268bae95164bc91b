"""Imports from the pages: upload, column mapping, progress, report, rejected rows, who may do what."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.feedback import service
from pulso.feedback.enums import ImportKind, ImportStatus
from pulso.feedback.models import Feedback, ImportRun
from pulso.kit.errors import NotFound
from pulso.runtime import Runtime
from tests.web.conftest import World, csrf_from

Browser = Callable[[Role], TestClient]

GOOD_CSV = (
    "id;fecha;nps;comentario;canal\n"
    "r1;05/03/2026 10:00;9;Muy buena atención;teléfono\n"
    "r2;06/03/2026 11:30;3;Tardaron mucho;web\n"
    "r3;07/03/2026 09:15;10;Excelente;app\n"
).encode()

BAD_CSV = (
    b"id;fecha;nps;comentario\n"
    b"b1;05/03/2026;9;bien\n"
    b"b2;no es fecha;7;regular\n"
    b"b3;07/03/2026;15;fuera de rango\n"
    b"b4;08/03/2026;8;ok\n"
)


def upload(client: TestClient, name: str, content: bytes, **fields: str) -> Response:
    token = csrf_from(client.get("/imports").text)
    data = {"csrf_token": token, "kind": "feedback", "dayfirst": "1", **fields}
    return client.post("/imports", data=data, files={"file": (name, content, "application/octet-stream")})


def token_of(response: Response) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/imports/uploads/([\w-]+)", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def selected(html: str) -> dict[str, str]:
    """Column name → the value selected in its mapping select."""
    out: dict[str, str] = {}
    for row in re.findall(r"<tr[^>]*>\s*<th scope=\"row\">(.*?)</tr>", html, flags=re.S):
        name = re.search(r"<label for=\"map-\d+\">(.*?)</label>", row, flags=re.S)
        choice = re.search(r"<option value=\"([^\"]*)\" selected>", row)
        assert name, row
        assert choice, row
        out[name.group(1)] = choice.group(1)
    return out


def map_form(html: str) -> dict[str, str]:
    """The mapping form as posted: csrf token and the selected value of every map-<i>."""
    data = {"csrf_token": csrf_from(html)}
    for index, value in re.findall(r"name=\"map-(\d+)\".*?<option value=\"([^\"]*)\" selected>", html, flags=re.S):
        data[f"map-{index}"] = value
    return data


def confirm(client: TestClient, token: str, data: dict[str, str]) -> Response:
    return client.post(f"/imports/uploads/{token}/confirm", data=data)


def run_id_of(response: Response) -> int:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/imports/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def feedback_count(session: Session) -> int:
    with session.begin():
        return int(session.execute(select(func.count()).select_from(Feedback)).scalar_one())


def test_csv_upload_mapping_import_and_report(browser: Browser, world: World, session: Session) -> None:
    admin = browser(Role.ADMIN)
    token = token_of(upload(admin, "encuesta marzo.csv", GOOD_CSV))
    page = admin.get(f"/imports/uploads/{token}")
    assert page.status_code == 200
    assert selected(page.text) == {
        "id": "external_id",
        "fecha": "received_at",
        "nps": "nps",
        "comentario": "comment",
        "canal": "channel",
    }
    assert "Muy buena atención" in page.text  # sample values
    assert 'hx-trigger="every 1s"' not in page.text
    assert feedback_count(session) == 0  # nothing imported before confirming
    run_id = run_id_of(confirm(admin, token, map_form(page.text)))
    detail = admin.get(f"/imports/{run_id}")
    assert detail.status_code == 200
    assert "Terminada" in detail.text
    assert 'hx-trigger="every 1s"' not in detail.text
    assert feedback_count(session) == 3
    with session.begin():
        run = session.get(ImportRun, run_id)
        assert run is not None
        assert (run.status, run.rows_total, run.rows_done, run.rows_inserted) == (ImportStatus.DONE, 3, 3, 3)
        assert run.filename == "encuesta marzo.csv"
        assert run.created_by == world.user_ids[Role.ADMIN]
    listing = admin.get("/imports")
    assert f'href="/imports/{run_id}"' in listing.text
    assert "Admin Pérez" in listing.text
    # The upload is used: it cannot be confirmed twice.
    assert admin.get(f"/imports/uploads/{token}").status_code == 404


def test_unknown_header_mapped_by_hand(browser: Browser, world: World, session: Session) -> None:
    content = "folio,Momento de la visita,nps,Lo que dijo\nv1,2026-03-05 10:00,8,bien\nv2,2026-03-06 12:00,6,meh\n"
    cx = browser(Role.CX_MANAGER)
    token = token_of(upload(cx, "visitas.csv", content.encode()))
    page = cx.get(f"/imports/uploads/{token}").text
    assert selected(page)["Momento de la visita"] == ""  # unknown to the aliases: kept as extra data
    assert "received_at" in page
    assert "falta" in page
    assert re.search(r"<button type=\"submit\" disabled", page)
    # Confirming as it is imports nothing and names the field.
    refused = confirm(cx, token, map_form(page))
    assert refused.status_code == 422
    assert "el campo obligatorio received_at no tiene columna" in refused.text
    # The user chooses the date column by hand; the HTMX re-check answers with the fragment only.
    data = map_form(page) | {"map-1": "received_at", "map-3": "comment"}
    checked = cx.post(f"/imports/uploads/{token}/check", data=data, headers={"HX-Request": "true"})
    assert checked.status_code == 200
    assert "<html" not in checked.text
    assert 'id="mapping-form"' in checked.text
    assert selected(checked.text)["Momento de la visita"] == "received_at"
    assert "El mapeo está completo" in checked.text
    run_id = run_id_of(confirm(cx, token, data))
    assert feedback_count(session) == 2
    with session.begin():
        run = session.get(ImportRun, run_id)
        assert run is not None
        assert run.mapping["Momento de la visita"] == "received_at"
        comments = set(session.execute(select(Feedback.comment)).scalars())
    assert comments == {"bien", "meh"}


def test_field_mapped_twice_is_refused(browser: Browser, world: World, session: Session) -> None:
    admin = browser(Role.ADMIN)
    token = token_of(upload(admin, "a.csv", GOOD_CSV))
    page = admin.get(f"/imports/uploads/{token}").text
    data = map_form(page) | {"map-3": "nps"}  # comentario → nps too
    checked = admin.post(f"/imports/uploads/{token}/check", data=data)
    assert checked.status_code == 200  # without HTMX: the whole page
    assert "<html" in checked.text
    assert "el campo nps está elegido para las columnas &#39;nps&#39;, &#39;comentario&#39;" in checked.text
    assert checked.text.count('class="import-clash"') == 2
    refused = confirm(admin, token, data)
    assert refused.status_code == 422
    assert feedback_count(session) == 0


def test_xlsx_upload(browser: Browser, world: World, session: Session, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Respuestas"
    sheet.append(["ID Respuesta", "Fecha de respuesta", "Satisfacción", "Comentarios"])
    sheet.append(["x1", "05/03/2026", 5, "Rápido"])
    sheet.append(["x2", "06/03/2026", 2, "Lento"])
    path = tmp_path / "csat.xlsx"
    workbook.save(path)
    supervisor = browser(Role.SUPERVISOR)
    token = token_of(upload(supervisor, "csat.xlsx", path.read_bytes(), sheet="Respuestas"))
    page = supervisor.get(f"/imports/uploads/{token}").text
    assert selected(page) == {
        "ID Respuesta": "external_id",
        "Fecha de respuesta": "received_at",
        "Satisfacción": "csat",
        "Comentarios": "comment",
    }
    run_id = run_id_of(confirm(supervisor, token, map_form(page)))
    assert feedback_count(session) == 2
    assert "Terminada" in supervisor.get(f"/imports/{run_id}").text
    # A missing sheet is named.
    bad = upload(supervisor, "csat.xlsx", path.read_bytes(), sheet="Hoja9")
    assert bad.status_code == 422
    assert "Hoja9" in bad.text
    assert "Respuestas" in bad.text


def test_jsonl_upload_of_customers(browser: Browser, world: World, session: Session) -> None:
    lines = [
        {"id_cliente": "C-1", "nombre": "Ana Ruiz", "segmento": "Premium", "nivel": "oro"},
        {"id_cliente": "C-2", "nombre": "Luis Paz", "segmento": "Básico"},
    ]
    content = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    admin = browser(Role.ADMIN)
    token = token_of(upload(admin, "clientes.jsonl", content, kind="customers"))
    page = admin.get(f"/imports/uploads/{token}").text
    assert selected(page) == {"id_cliente": "external_id", "nombre": "name", "segmento": "segment", "nivel": ""}
    run_id = run_id_of(confirm(admin, token, map_form(page)))
    with session.begin():
        run = session.get(ImportRun, run_id)
        assert run is not None
        assert (run.kind, run.status, run.rows_inserted) == (ImportKind.CUSTOMERS, ImportStatus.DONE, 2)


def test_report_errors_and_rejected_rows_csv(browser: Browser, world: World, session: Session) -> None:
    admin = browser(Role.ADMIN)
    token = token_of(upload(admin, "malo.csv", BAD_CSV))
    page = admin.get(f"/imports/uploads/{token}").text
    run_id = run_id_of(confirm(admin, token, map_form(page)))
    assert feedback_count(session) == 2
    report = admin.get(f"/imports/{run_id}").text
    assert re.search(r">\s*2\s*</span> rechazadas", report)
    assert '<td class="num">3</td>' in report
    assert '<td class="num">4</td>' in report
    assert "<code>15</code>" in report
    assert "<code>no es fecha</code>" in report
    english = admin.post("/language", data={"locale": "en", "next": "/", "csrf_token": csrf_from(report)})
    assert english.status_code == 303
    assert "rejected" in admin.get(f"/imports/{run_id}").text
    download = admin.get(f"/imports/{run_id}/rejected.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [r["error_row"] for r in rows] == ["3", "4"]
    assert [r["id"] for r in rows] == ["b2", "b3"]
    assert rows[1]["nps"] == "15"
    assert rows[1]["comentario"] == "fuera de rango"
    assert rows[0]["error_reason"].startswith("received_at:")
    assert " / " not in rows[1]["error_reason"]  # one language: the user's (English now)
    assert list(rows[0]) == ["error_row", "error_reason", "id", "fecha", "nps", "comentario"]
    # Re-uploading the rejected-rows file: the two report columns are ignored by default.
    token = token_of(upload(admin, "fixed.csv", download.content))
    choices = selected(admin.get(f"/imports/uploads/{token}").text)
    assert choices["error_row"] == "ignore"
    assert choices["error_reason"] == "ignore"


def test_errors_are_paginated(browser: Browser, world: World, session: Session) -> None:
    lines = ["id,fecha,nps"] + [f"p{i},2026-03-05,{11 + i % 5}" for i in range(60)]
    admin = browser(Role.ADMIN)
    token = token_of(upload(admin, "rango.csv", "\n".join(lines).encode()))
    run_id = run_id_of(confirm(admin, token, map_form(admin.get(f"/imports/uploads/{token}").text)))
    first = admin.get(f"/imports/{run_id}").text
    assert "Página 1 de 2" in first
    assert first.count('<td class="num">') == 50
    second = admin.get(f"/imports/{run_id}?page=2").text
    assert second.count('<td class="num">') == 10
    assert '<td class="num">61</td>' in second


def test_all_or_nothing_imports_nothing(browser: Browser, world: World, session: Session) -> None:
    admin = browser(Role.ADMIN)
    token = token_of(upload(admin, "malo.csv", BAD_CSV))
    data = map_form(admin.get(f"/imports/uploads/{token}").text) | {"all_or_nothing": "1"}
    run_id = run_id_of(confirm(admin, token, data))
    assert feedback_count(session) == 0
    report = admin.get(f"/imports/{run_id}").text
    assert "No se importó nada" in report
    with session.begin():
        run = session.get(ImportRun, run_id)
        assert run is not None
        assert (run.status, run.rows_rejected) == (ImportStatus.REJECTED, 2)
    rows = list(csv.DictReader(io.StringIO(admin.get(f"/imports/{run_id}/rejected.csv").content.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == ["b2", "b3"]


def test_progress_fragment_polls_until_the_run_ends(
    browser: Browser, world: World, session: Session, runtime: Runtime
) -> None:
    with session.begin():
        run = ImportRun(
            kind=ImportKind.FEEDBACK,
            filename="grande.csv",
            file_sha256="0" * 64,
            options_fingerprint="0" * 64,
            status=ImportStatus.RUNNING,
            rows_total=200_000,
            rows_done=50_000,
            created_by=world.user_ids[Role.ADMIN],
        )
        session.add(run)
        session.flush()
        run_id = run.id
    admin = browser(Role.ADMIN)
    page = admin.get(f"/imports/{run_id}").text
    assert f'hx-get="/imports/{run_id}/progress" hx-trigger="every 1s"' in page
    fragment = admin.get(f"/imports/{run_id}/progress", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment
    assert '<progress id="import-bar" max="200000" value="50000">' in fragment
    assert "50.000 de 200.000 filas" in fragment
    assert "25 %" in fragment
    assert 'hx-trigger="every 1s"' in fragment
    with session.begin():
        finished = session.get(ImportRun, run_id)
        assert finished is not None
        finished.status, finished.rows_done, finished.rows_inserted = ImportStatus.DONE, 200_000, 200_000
        finished.finished_at = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)
    done = admin.get(f"/imports/{run_id}/progress", headers={"HX-Request": "true"}).text
    assert '<dd id="import-ended" hx-swap-oob="true">4 dic 2026, 12:30:00</dd>' in done  # the page's end time too
    assert "hx-trigger" not in done
    assert "<progress" not in done
    assert "Informe de validación" in done
    assert "200.000" in done


def test_a_queued_run_waits_then_fails_when_its_job_cannot_check_the_file(
    browser: Browser, world: World, session: Session, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = browser(Role.ADMIN)
    token = token_of(upload(admin, "a.csv", GOOD_CSV))
    up = service.get_upload(runtime, token, user_id=world.user_ids[Role.ADMIN])
    run_id, path, options = service.queue_upload(
        runtime, up, service.check_mapping(up), all_or_nothing=False, user_id=world.user_ids[Role.ADMIN]
    )
    waiting = admin.get(f"/imports/{run_id}/progress", headers={"HX-Request": "true"}).text
    assert "Preparando" in waiting
    assert 'hx-trigger="every 1s"' in waiting

    def broken(*_args: object) -> None:
        raise service.UnusableFile("team: lookup failed / falló la búsqueda de equipos")

    monkeypatch.setattr(service, "_validate", broken)
    with pytest.raises(service.UnusableFile):
        service.import_file(runtime, path, options)
    with session.begin():
        run = session.get(ImportRun, run_id)
        assert run is not None
        assert run.status is ImportStatus.FAILED
    report = admin.get(f"/imports/{run_id}/progress", headers={"HX-Request": "true"}).text
    assert "hx-trigger" not in report
    assert "falló la búsqueda de equipos" in report


def test_bad_files_are_refused_with_a_clear_message(browser: Browser, world: World, session: Session) -> None:
    admin = browser(Role.ADMIN)
    cases = [
        ("vacio.csv", b"", "el archivo está vacío"),
        ("solo-cabecera.csv", b"id;fecha;nps\n", "no tiene filas de datos"),
        ("datos.pdf", b"%PDF-1.4", "formato desconocido"),
        ("viejo.xls", b"\xd0\xcf\x11\xe0", "no se admiten"),
        ("roto.xlsx", b"esto no es un libro", "no es un libro de Excel"),
        ("roto.jsonl", b'{"a": 1}\n{no json', "no es JSON Lines"),
    ]
    for name, content, message in cases:
        response = upload(admin, name, content)
        assert response.status_code == 422, (name, response.status_code)
        assert message in response.text, (name, response.text[-2000:])
    wrong_encoding = upload(
        admin, "latin.csv", "id;fecha;nps;comentario\nr1;05/03/2026;9;atención\n".encode("cp1252"), encoding="utf-8"
    )
    assert wrong_encoding.status_code == 422
    assert "no es utf-8 válido" in wrong_encoding.text
    no_file = admin.post("/imports", data={"csrf_token": csrf_from(admin.get("/imports").text), "kind": "feedback"})
    assert no_file.status_code == 422
    assert "elija un archivo" in no_file.text
    assert feedback_count(session) == 0
    with session.begin():
        assert session.execute(select(func.count()).select_from(ImportRun)).scalar_one() == 0


def test_sniffed_cp1252_is_read(browser: Browser, world: World, session: Session) -> None:
    content = "id;fecha;nps;comentario\nr1;05/03/2026;9;atención rápida\n".encode("cp1252")
    admin = browser(Role.ADMIN)
    token = token_of(upload(admin, "excel.csv", content))
    assert "atención rápida" in admin.get(f"/imports/uploads/{token}").text


def test_upload_size_limit(browser: Browser, world: World, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "MAX_UPLOAD_BYTES", 1024 * 1024)
    admin = browser(Role.ADMIN)
    big = b"id;fecha;nps\n" + b"x;05/03/2026;9\n" * 80_000
    response = upload(admin, "grande.csv", big)
    assert response.status_code == 413
    assert "supera 1 MB" in response.text
    assert "pulso import" in response.text


def test_role_matrix(browser: Browser, world: World, session: Session) -> None:
    for role in (Role.AGENT, Role.VIEWER):
        c = browser(role)
        assert c.get("/imports").status_code == 403
        assert c.get("/imports/1").status_code == 403
        token = csrf_from(c.get("/account").text)
        post = c.post("/imports", data={"csrf_token": token}, files={"file": ("a.csv", GOOD_CSV, "text/csv")})
        assert post.status_code == 403
    admin = browser(Role.ADMIN)
    assert "Importaciones" in admin.get("/imports").text
    # CSRF: an upload without the token is refused and nothing is kept.
    refused = admin.post("/imports", data={"kind": "feedback"}, files={"file": ("a.csv", GOOD_CSV, "text/csv")})
    assert refused.status_code == 403
    token = token_of(upload(admin, "a.csv", GOOD_CSV))
    page = admin.get(f"/imports/uploads/{token}").text
    no_csrf = {k: v for k, v in map_form(page).items() if k != "csrf_token"}
    assert confirm(admin, token, no_csrf).status_code == 403
    assert feedback_count(session) == 0
    # Another importer cannot take over someone else's upload.
    cx = browser(Role.CX_MANAGER)
    assert cx.get(f"/imports/uploads/{token}").status_code == 404
    assert confirm(cx, token, map_form(cx.get("/imports").text) | no_csrf).status_code == 404
    admin_run = run_id_of(confirm(admin, token, map_form(page)))
    # Supervisors import, and see only their own imports; admins and CX managers see them all.
    supervisor = browser(Role.SUPERVISOR)
    sup_token = token_of(upload(supervisor, "equipo.csv", BAD_CSV))
    sup_run = run_id_of(confirm(supervisor, sup_token, map_form(supervisor.get(f"/imports/uploads/{sup_token}").text)))
    assert supervisor.get(f"/imports/{admin_run}").status_code == 404
    assert supervisor.get(f"/imports/{admin_run}/rejected.csv").status_code == 404
    assert supervisor.get(f"/imports/{admin_run}/progress").status_code == 404
    listing = supervisor.get("/imports").text
    assert f'href="/imports/{sup_run}"' in listing
    assert f'href="/imports/{admin_run}"' not in listing
    for c in (admin, cx):
        listing = c.get("/imports").text
        assert f'href="/imports/{sup_run}"' in listing
        assert f'href="/imports/{admin_run}"' in listing
        assert c.get(f"/imports/{sup_run}").status_code == 200


def test_list_is_paginated_newest_first(browser: Browser, world: World, session: Session) -> None:
    with session.begin():
        for i in range(30):
            session.add(
                ImportRun(
                    kind=ImportKind.FEEDBACK,
                    filename=f"lote-{i:02d}.csv",
                    file_sha256=f"{i:064d}",
                    options_fingerprint="0" * 64,
                    status=ImportStatus.DONE,
                    rows_total=10,
                    rows_inserted=8,
                    rows_rejected=2,
                )
            )
    admin = browser(Role.ADMIN)
    first = admin.get("/imports").text
    assert first.index("lote-29.csv") < first.index("lote-28.csv")
    assert "lote-04.csv" not in first
    assert "Página 1 de 2" in first
    second = admin.get("/imports?page=2").text
    assert "lote-04.csv" in second
    assert "lote-29.csv" not in second


def test_detection_agrees_with_the_import(runtime: Runtime, world: World) -> None:
    """The mapping the page pre-selects is the plan the import makes from the same headers."""
    from pulso.feedback import logic

    up = service.save_upload(runtime, "a.csv", io.BytesIO(GOOD_CSV), kind=ImportKind.FEEDBACK)
    check = service.check_mapping(up)
    assert check.ok
    plan = logic.plan_columns(list(up.headers), ImportKind.FEEDBACK)
    assert {c.name: c.choice for c in check.columns if c.choice} == {v: k for k, v in plan.fields.items()}
    assert logic.plan_columns(list(up.headers), ImportKind.FEEDBACK, check.mapping).fields == plan.fields


def test_csv_upload_of_interactions(browser: Browser, world: World, session: Session) -> None:
    content = "ticket;canal;fecha_apertura;fecha_resolucion\nT-1;teléfono;05/03/2026 10:00;05/03/2026 12:00\n"
    cx = browser(Role.CX_MANAGER)
    token = token_of(upload(cx, "tickets.csv", content.encode(), kind="interactions"))
    page = cx.get(f"/imports/uploads/{token}").text
    assert selected(page) == {
        "ticket": "external_id",
        "canal": "channel",
        "fecha_apertura": "opened_at",
        "fecha_resolucion": "resolved_at",
    }
    run_id = run_id_of(confirm(cx, token, map_form(page)))
    with session.begin():
        run = session.get(ImportRun, run_id)
        assert run is not None
        assert (run.kind, run.status, run.rows_inserted) == (ImportKind.INTERACTIONS, ImportStatus.DONE, 1)
    assert "Interacciones (contactos y tickets)" in cx.get("/imports").text


def test_unconfirmed_uploads_are_forgotten_after_a_day(runtime: Runtime, world: World) -> None:
    import os
    import time

    old = service.save_upload(runtime, "a.csv", io.BytesIO(GOOD_CSV), kind=ImportKind.FEEDBACK)
    stale = time.time() - service.PENDING_SECONDS - 60
    os.utime(old.path.parent, (stale, stale))
    fresh = service.save_upload(runtime, "b.csv", io.BytesIO(GOOD_CSV), kind=ImportKind.FEEDBACK)
    assert not old.path.exists()
    assert fresh.path.exists()
    with pytest.raises(NotFound):
        service.get_upload(runtime, old.token, user_id=None)
    with pytest.raises(NotFound):
        service.get_upload(runtime, "../../etc", user_id=None)
