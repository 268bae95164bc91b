"""JSON API of the feedback domain: post feedback (one or in bulk), list and read it, read imports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from pulso.accounts.schemas import Principal
from pulso.feedback import service
from pulso.feedback.enums import FeedbackSource, ImportStatus
from pulso.feedback.schemas import (
    MAX_API_ITEMS,
    FeedbackBulkIn,
    FeedbackIn,
    FeedbackOut,
    FeedbackPage,
    ImportResult,
    ImportRunOut,
    ItemError,
    RowErrorOut,
)
from pulso.interactions.enums import Channel
from pulso.kit.errors import PayloadTooLarge, ValidationFailed
from pulso.kit.pagination import MAX_PAGE_SIZE, PageParams
from pulso.runtime import Runtime
from pulso.text import service as text
from pulso.web.deps import READERS, WRITERS, DbSession, get_runtime, require_roles

router = APIRouter(prefix="/api/v1", tags=["feedback"])

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.post("/feedback", response_model=ImportResult)
async def post_feedback(
    body: FeedbackBulkIn | FeedbackIn,
    runtime: RuntimeDep,
    principal: Annotated[Principal, require_roles(*WRITERS)],
    all_or_nothing: Annotated[
        bool,
        Query(description="Store nothing if any item is invalid. / No guardar nada si algún elemento es inválido."),
    ] = False,
) -> ImportResult:
    """Store one piece of feedback, or up to 10,000 as {"items": [...]}; validated like a file import,
    idempotent on (source, external_id). / Guarda una opinión, o hasta 10.000 en {"items": [...]}."""
    items = body.items if isinstance(body, FeedbackBulkIn) else [body]
    if len(items) > MAX_API_ITEMS:
        raise PayloadTooLarge(
            f"{len(items):,} items; at most {MAX_API_ITEMS:,} per request / "
            f"{len(items):,} elementos; como máximo {MAX_API_ITEMS:,} por solicitud"
        )
    if not items:
        raise ValidationFailed("items: empty list / lista vacía")
    # An import opens its own transactions and may take a while: keep it off the event loop.
    report = await run_in_threadpool(
        service.import_items, runtime, items, all_or_nothing=all_or_nothing, user_id=principal.user_id
    )
    result = ImportResult(
        import_id=report.import_id,
        status=report.status,
        received=report.rows_total,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
        errors=[ItemError(index=e.row - 1, field=e.field, reason=e.reason, value=e.value) for e in report.errors],
    )
    if report.inserted or report.updated:
        from pulso.feedback.tasks import feedback_committed

        feedback_committed()  # after the import's commit: the rows are there to read
    if report.status is ImportStatus.REJECTED or report.rejected == report.rows_total:
        raise ValidationFailed(
            "no item was stored: see details.errors / no se guardó ningún elemento: vea details.errors",
            details=result.model_dump(mode="json"),
        )
    return result


@router.get("/feedback", response_model=FeedbackPage)
def list_feedback(
    session: DbSession,
    principal: Annotated[Principal, require_roles(*READERS)],
    received_from: Annotated[datetime | None, Query(alias="from", description="received_at ≥ from (ISO 8601)")] = None,
    received_to: Annotated[datetime | None, Query(alias="to", description="received_at < to (ISO 8601)")] = None,
    source: FeedbackSource | None = None,
    channel: Channel | None = None,
    touchpoint: Annotated[str | None, Query(description="Touchpoint code. / Código del punto de contacto.")] = None,
    has_comment: bool | None = None,
    q: Annotated[
        str | None,
        Query(
            description='Words or "phrases" that must all be in the comment, accents and case ignored. / '
            'Palabras o "frases" que deben estar todas en el comentario, sin importar acentos ni mayúsculas.'
        ),
    ] = None,
    sentiment: Annotated[
        Literal["negative", "neutral", "positive"] | None,
        Query(description="The comment's sentiment, a person's correction first. / Sentimiento del comentario."),
    ] = None,
    topic: Annotated[
        str | None,
        Query(
            description="A topic key; a parent's key matches its subtopics. / Clave de un tema (o de su tema padre)."
        ),
    ] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> FeedbackPage:
    """Feedback the caller may read, newest first, with filters. / Opiniones visibles, las más recientes primero."""
    topics = None
    if topic is not None:
        found = text.leaf_keys(session, topic)
        if found is None:
            raise ValidationFailed(f"topic: no topic {topic!r} / tema: no existe {topic!r}")
        topics = tuple(found)
    filters = service.FeedbackFilters(
        received_from=received_from,
        received_to=received_to,
        source=source,
        channel=channel,
        touchpoint=touchpoint,
        has_comment=has_comment,
        q=q,
        sentiment=sentiment,
        topics=topics,
    )
    result = service.list_feedback(session, principal, filters, PageParams(page=page, size=size))
    return FeedbackPage(
        items=[FeedbackOut.model_validate(f) for f in result.items],
        total=result.total,
        page=result.page,
        size=result.size,
        pages=result.pages,
    )


@router.get("/feedback/{feedback_id}", response_model=FeedbackOut)
def get_feedback(
    feedback_id: int, session: DbSession, principal: Annotated[Principal, require_roles(*READERS)]
) -> FeedbackOut:
    """One piece of feedback. / Una opinión."""
    return FeedbackOut.model_validate(service.get_feedback(session, principal, feedback_id))


@router.get("/imports/{import_id}", response_model=ImportRunOut)
def get_import(
    import_id: int, session: DbSession, _principal: Annotated[Principal, require_roles(*WRITERS)]
) -> ImportRunOut:
    """An import's status, counts and first 100 row errors. / Estado, cifras y primeros errores de una importación."""
    run, errors, errors_total = service.get_import(session, import_id, errors=100)
    return ImportRunOut(
        id=run.id,
        kind=run.kind,
        filename=run.filename,
        status=run.status,
        rows_total=run.rows_total,
        rows_done=run.rows_done,
        inserted=run.rows_inserted,
        updated=run.rows_updated,
        unchanged=run.rows_unchanged,
        rejected=run.rows_rejected,
        message=run.message,
        started_at=run.started_at,
        finished_at=run.finished_at,
        errors_total=errors_total,
        errors=[RowErrorOut(row=e.row, field=e.field, reason=e.reason, value=e.value) for e in errors],
    )
