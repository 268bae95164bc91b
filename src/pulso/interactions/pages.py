"""Pages of the interactions domain: one contact or ticket, with the feedback about it."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from pulso.feedback import service as feedback
from pulso.feedback.pages import row_context
from pulso.feedback.repository import FeedbackFilters
from pulso.interactions import service
from pulso.interactions.enums import InteractionStatus
from pulso.kit.pagination import PageParams
from pulso.web.deps import CurrentUser, DbSession, page_router
from pulso.web.i18n import N_
from pulso.web.templating import render, tr

router = page_router()

PAGE_SIZE = 20
STATUS_NAMES = {
    InteractionStatus.OPEN: N_("Open"),
    InteractionStatus.PENDING: N_("Pending"),
    InteractionStatus.RESOLVED: N_("Resolved"),
    InteractionStatus.CLOSED: N_("Closed"),
}


@router.get("/interactions/{interaction_id}")
def interaction_page(request: Request, interaction_id: int, session: DbSession, user: CurrentUser) -> Response:
    row = service.get_readable_interaction(session, user.principal, interaction_id)  # NotFound → 404 page
    value = request.query_params.get("fpage", "1")
    fpage = int(value) if value.isdigit() and int(value) >= 1 else 1
    feedback_page = feedback.list_feedback(
        session, user.principal, FeedbackFilters(interaction_id=row.id), PageParams(page=fpage, size=PAGE_SIZE)
    )
    first_response = (row.first_response_at - row.opened_at).total_seconds() if row.first_response_at else None
    resolution = (row.resolved_at - row.opened_at).total_seconds() if row.resolved_at else None
    context = {
        "title": tr(request, user, "Interaction %(id)s") % {"id": row.id},
        "row": row,
        "labels": feedback.feedback_labels(session, [row]),
        "first_response_seconds": first_response,
        "resolution_seconds": resolution,
        "feedback_page": feedback_page,
        "feedback_labels": feedback.feedback_labels(session, feedback_page.items),
        "params": {"fpage": fpage},
        "status_names": STATUS_NAMES,
        **row_context(),
    }
    return render(request, "interactions/detail.html", context, user=user)
