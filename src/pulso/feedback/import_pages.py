"""Pages of imports: upload a file, check the detected column mapping, follow the run, read its report.

Who: admins, CX managers and supervisors (the API's writers). Supervisors import rows of any team,
as the API and `pulso import` let them; but they see only the imports they started themselves,
since a report carries the rows' values (customers of every team).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from pulso.feedback import service
from pulso.feedback.enums import ImportKind, ImportStatus
from pulso.feedback.service import MappingCheck, Upload
from pulso.kit.errors import PulsoError
from pulso.kit.pagination import PageParams
from pulso.runtime import Runtime
from pulso.web.deps import WRITERS, DbSession, PageUser, get_runtime, page_router, require_page_roles
from pulso.web.i18n import N_, localized_message
from pulso.web.templating import is_htmx, redirect, render, request_locale

router = page_router()

Importer = Annotated[PageUser, require_page_roles(*WRITERS)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

KIND_LABELS = {
    ImportKind.FEEDBACK: N_("Feedback"),
    ImportKind.INTERACTIONS: N_("Interactions (contacts and tickets)"),
    ImportKind.CUSTOMERS: N_("Customers (import)"),
}

STATUS_LABELS = {
    ImportStatus.RUNNING: (N_("In progress"), "chip-warn"),
    ImportStatus.DONE: (N_("Finished"), "chip-good"),
    ImportStatus.FAILED: (N_("Failed"), "chip-bad"),
    ImportStatus.REJECTED: (N_("Rejected, nothing imported"), "chip-bad"),
}

# What each canonical field is, in words (the name itself is shown next to it).
FIELD_LABELS = {
    "external_id": N_("Your id of the row"),
    "source": N_("Source"),
    "received_at": N_("Date received"),
    "customer": N_("Customer (its id)"),
    "interaction": N_("Interaction or ticket (its id)"),
    "interaction_source": N_("System of the interaction"),
    "touchpoint": N_("Touchpoint (its code)"),
    "agent": N_("Agent (code or e-mail)"),
    "team": N_("Team (name or code)"),
    "product": N_("Product (SKU)"),
    "channel": N_("Channel"),
    "language": N_("Language of the comment"),
    "nps": N_("NPS score (0–10)"),
    "csat": N_("CSAT score (1–5)"),
    "ces": N_("CES score (1–7)"),
    "rating": N_("Star rating (1–5)"),
    "comment": N_("Comment (verbatim)"),
    "extras": N_("Extra data (a JSON object)"),
    "category": N_("Category or reason"),
    "status": N_("Status"),
    "opened_at": N_("Opened at"),
    "first_response_at": N_("First response at"),
    "resolved_at": N_("Resolved at"),
    "contacts_to_resolve": N_("Contacts to resolve"),
    "name": N_("Name"),
    "email": N_("E-mail"),
    "segment": N_("Segment"),
    "region": N_("Region"),
    "is_key_account": N_("Key account (yes/no)"),
    "attributes": N_("Attributes (a JSON object)"),
}

ENCODINGS = (
    ("", N_("Detect (UTF-8, else Windows-1252)")),
    ("utf-8", "UTF-8"),
    ("cp1252", N_("Windows-1252 (Excel in Spanish)")),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
    ("utf-16", "UTF-16"),
)

SEPARATORS = (
    ("", N_("Detect from the header")),
    (",", N_("Comma (,)")),
    (";", N_("Semicolon (;)")),
    ("tab", N_("Tab")),
    ("|", N_("Vertical bar (|)")),
)

ACCEPT = ".csv,.tsv,.tab,.txt,.xlsx,.xlsm,.jsonl,.ndjson,.json,.parquet,.pq"


def _shared(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
        "field_labels": FIELD_LABELS,
        **extra,
    }


# --- the list and the upload form --------------------------------------------------------------


def _list_page(
    request: Request,
    session: DbSession,
    user: PageUser,
    *,
    page: int = 1,
    form: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    runs = service.list_imports(session, user.principal, PageParams(page=page, size=25))
    defaults = {"kind": ImportKind.FEEDBACK.value, "encoding": "", "separator": "", "sheet": "", "dayfirst": True}
    context = _shared(
        {
            "title": N_("Imports"),
            "runs": runs,
            "form": {**defaults, **(form or {})},
            "error": error,
            "encodings": ENCODINGS,
            "separators": SEPARATORS,
            "accept": ACCEPT,
            "max_mb": service.MAX_UPLOAD_BYTES // (1024 * 1024),
        }
    )
    return render(request, "feedback/imports.html", context, user=user, status_code=status_code)


@router.get("/imports")
def imports(request: Request, session: DbSession, user: Importer, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    return _list_page(request, session, user, page=page)


@router.post("/imports")
def upload(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    user: Importer,
    file: Annotated[UploadFile | None, File()] = None,
    kind: Annotated[str, Form()] = ImportKind.FEEDBACK.value,
    encoding: Annotated[str, Form()] = "",
    separator: Annotated[str, Form()] = "",
    sheet: Annotated[str, Form()] = "",
    dayfirst: Annotated[str | None, Form()] = None,
) -> Response:
    """Keep the file (not imported yet) and go to its column mapping."""
    encoding, separator, sheet = encoding.strip(), separator.strip(), sheet.strip()
    form = {
        "kind": kind,
        "encoding": encoding,
        "separator": separator,
        "sheet": sheet,
        "dayfirst": dayfirst is not None,
    }
    try:
        try:
            chosen = ImportKind(kind)
        except ValueError:
            raise service.UnusableFile(
                f"kind: '{kind}' is not feedback, interactions or customers / "
                "tipo: debe ser opiniones, interacciones o clientes"
            ) from None
        stored = service.save_upload(
            runtime,
            file.filename if file is not None else None,
            file.file if file is not None else _EMPTY,
            kind=chosen,
            encoding=encoding or None,
            separator=separator or None,
            dayfirst=dayfirst is not None,
            sheet=sheet or None,
            user_id=user.id,
        )
    except PulsoError as exc:
        return _list_page(request, session, user, form=form, error=exc.message, status_code=exc.status_code)
    return redirect(request, f"/imports/uploads/{stored.token}")


class _Empty:
    def read(self, _size: int = -1) -> bytes:
        return b""


_EMPTY: Any = _Empty()


# --- the column mapping of an upload -----------------------------------------------------------


async def mapping_choices(request: Request) -> dict[str, str]:
    """The posted mapping form: map-<i> per column, and the other fields as they are."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


MappingForm = Annotated[dict[str, str], Depends(mapping_choices)]


def _choices(upload: Upload, form: dict[str, str]) -> dict[str, str]:
    return {name: form.get(f"map-{i}", "") for i, name in enumerate(upload.headers)}


def _mapping_page(
    request: Request,
    user: PageUser,
    upload: Upload,
    check: MappingCheck,
    *,
    all_or_nothing: bool = False,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = _shared(
        {
            "title": N_("Check the columns"),
            "upload": upload,
            "check": check,
            "all_or_nothing": all_or_nothing,
            "error": error,
            "encodings": dict(ENCODINGS),
            "separators": dict(SEPARATORS),
        }
    )
    template = "feedback/_import_mapping.html" if is_htmx(request) else "feedback/imports_mapping.html"
    return render(request, template, context, user=user, status_code=status_code)


@router.get("/imports/uploads/{token}")
def upload_mapping(request: Request, runtime: RuntimeDep, user: Importer, token: str) -> Response:
    upload = service.get_upload(runtime, token, user_id=user.id)
    return _mapping_page(request, user, upload, service.check_mapping(upload))


@router.post("/imports/uploads/{token}/check")
def check_upload_mapping(
    request: Request, runtime: RuntimeDep, user: Importer, token: str, form: MappingForm
) -> Response:
    """The mapping as chosen, checked again (the fragment for HTMX, else the whole page)."""
    upload = service.get_upload(runtime, token, user_id=user.id)
    check = service.check_mapping(upload, _choices(upload, form))
    return _mapping_page(request, user, upload, check, all_or_nothing="all_or_nothing" in form)


@router.post("/imports/uploads/{token}/confirm")
def confirm_upload(request: Request, runtime: RuntimeDep, user: Importer, token: str, form: MappingForm) -> Response:
    """Start the import in the background job (as `pulso import --background` does) and follow it."""
    upload = service.get_upload(runtime, token, user_id=user.id)
    check = service.check_mapping(upload, _choices(upload, form))
    all_or_nothing = "all_or_nothing" in form
    if not check.ok:
        return _mapping_page(request, user, upload, check, all_or_nothing=all_or_nothing, status_code=422)
    run_id, path, options = service.queue_upload(runtime, upload, check, all_or_nothing=all_or_nothing, user_id=user.id)
    from pulso.feedback.tasks import import_file_job

    try:
        import_file_job(str(path), options, user.id)
    except Exception as exc:  # the queue itself is down: the run must not wait for ever
        service.fail_queued_run(
            runtime, run_id, f"the job could not be queued: {exc} / no se pudo poner en cola: {exc}"
        )
    return redirect(request, f"/imports/{run_id}")


@router.post("/imports/uploads/{token}/discard")
def discard_upload(request: Request, runtime: RuntimeDep, user: Importer, token: str) -> Response:
    upload = service.get_upload(runtime, token, user_id=user.id)
    service.discard_upload(runtime, upload)
    return redirect(request, "/imports")


# --- one import: progress, report, rejected rows -----------------------------------------------


def _report_context(session: DbSession, item: service.ImportListItem, page: int) -> dict[str, Any]:
    errors = service.import_errors(session, item.run.id, PageParams(page=page, size=50))
    return _shared({"item": item, "run": item.run, "errors": errors, "params": {"page": page}})


@router.get("/imports/{import_id:int}")
def import_detail(
    request: Request, session: DbSession, user: Importer, import_id: int, page: Annotated[int, Query(ge=1)] = 1
) -> Response:
    item = service.get_readable_import(session, user.principal, import_id)
    return render(request, "feedback/imports_detail.html", _report_context(session, item, page), user=user)


@router.get("/imports/{import_id:int}/progress")
def import_progress(request: Request, session: DbSession, user: Importer, import_id: int) -> Response:
    """Polled every second while the run is in progress; once finished it answers with the report,
    which does not poll."""
    item = service.get_readable_import(session, user.principal, import_id)
    return render(request, "feedback/_import_progress.html", _report_context(session, item, 1), user=user)


@router.get("/imports/{import_id:int}/rejected.csv")
def rejected_rows(
    request: Request, session: DbSession, runtime: RuntimeDep, user: Importer, import_id: int
) -> Response:
    item = service.get_readable_import(session, user.principal, import_id)
    locale = request_locale(request, user)
    content = service.rejected_rows_csv(
        runtime, session, item.run, reason_text=lambda reason: localized_message(reason, locale)
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-rejected.csv"'},
    )
