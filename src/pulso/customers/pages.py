"""Pages of the customers domain: one customer, with their recent feedback and interactions."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from pulso.customers import service
from pulso.feedback import service as feedback
from pulso.feedback.pages import CHANNEL_NAMES, row_context
from pulso.feedback.repository import FeedbackFilters
from pulso.interactions import service as interactions
from pulso.interactions.pages import STATUS_NAMES
from pulso.kit.pagination import PageParams
from pulso.web.deps import CurrentUser, DbSession, page_router
from pulso.web.templating import render, tr

router = page_router()

PAGE_SIZE = 20


def _page_number(request: Request, name: str) -> int:
    value = request.query_params.get(name, "1")
    return int(value) if value.isdigit() and int(value) >= 1 else 1


@router.get("/customers/{customer_id}")
def customer_page(request: Request, customer_id: int, session: DbSession, user: CurrentUser) -> Response:
    """A customer as this user may see them: a supervisor or agent only reaches a customer through
    feedback or interactions they may read, and sees only those."""
    customer = service.get_readable_customer(session, user.principal, customer_id)  # NotFound → 404 page
    fpage = _page_number(request, "fpage")
    ipage = _page_number(request, "ipage")
    feedback_page = feedback.list_feedback(
        session, user.principal, FeedbackFilters(customer_id=customer.id), PageParams(page=fpage, size=PAGE_SIZE)
    )
    interaction_page = interactions.list_interactions(
        session, user.principal, PageParams(page=ipage, size=PAGE_SIZE), customer_id=customer.id
    )
    context = {
        "title": tr(request, user, "Customer %(name)s") % {"name": customer.name or customer.external_id},
        "customer": customer,
        "feedback_page": feedback_page,
        "labels": feedback.feedback_labels(session, feedback_page.items),
        "interaction_page": interaction_page,
        "interaction_labels": feedback.feedback_labels(session, interaction_page.items),
        "params": {"fpage": fpage, "ipage": ipage},
        "status_names": STATUS_NAMES,
        **row_context(),
        "channel_names": CHANNEL_NAMES,
    }
    return render(request, "customers/detail.html", context, user=user)
