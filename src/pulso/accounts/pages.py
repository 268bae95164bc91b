"""Pages of the accounts domain: sign-in, sign-out, the user's own account (language, password)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request
from fastapi.responses import Response

from pulso.accounts import service
from pulso.kit.db import utcnow
from pulso.kit.errors import PulsoError
from pulso.web.deps import (
    SESSION_LOCALE,
    CurrentUser,
    DbSession,
    OptionalUser,
    PageUser,
    page_router,
    start_session,
)
from pulso.web.i18n import localized_message, normalise_locale
from pulso.web.templating import flash, redirect, render, request_locale, tr

router = page_router()


def safe_next(target: str | None) -> str:
    """Only a path on this site, never another origin (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    if user is not None:
        return redirect(request, safe_next(next))
    return render(request, "accounts/login.html", {"next": safe_next(next), "email": ""}, user=None)


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    outcome = service.sign_in(session, email=email, password=password, ip=_client_ip(request), now=utcnow())
    if outcome.user is None:
        # The failed attempt must be kept (it feeds the throttle), so commit before answering.
        session.commit()
        locale = request_locale(request, None)
        if outcome.retry_after_seconds is not None:
            message = tr(request, None, "Too many attempts. Try again in %(seconds)s seconds.") % {
                "seconds": outcome.retry_after_seconds
            }
            status = 429
        else:
            message = tr(request, None, "Wrong e-mail or password.")
            status = 401
        context = {"next": safe_next(next), "email": email, "error": message, "locale": locale}
        return render(request, "accounts/login.html", context, user=None, status_code=status)
    start_session(request, outcome.user.id, outcome.user.password_hash)
    request.session[SESSION_LOCALE] = outcome.user.locale
    return redirect(request, safe_next(next))


@router.post("/logout")
def logout(request: Request) -> Response:
    locale = request.session.get(SESSION_LOCALE)
    request.session.clear()
    if locale:
        request.session[SESSION_LOCALE] = locale
    return redirect(request, "/login")


@router.post("/language")
def choose_language(
    request: Request,
    session: DbSession,
    user: OptionalUser,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Switch the interface language: kept on the user when signed in, in the session otherwise."""
    chosen = normalise_locale(locale)
    request.session[SESSION_LOCALE] = chosen
    if user is not None:
        service.set_locale(session, user.id, chosen)
    return redirect(request, safe_next(next))


def _account(request: Request, user: PageUser, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    return render(
        request, "accounts/account.html", {"errors": errors or {}, "title": "Account"}, user=user, status_code=status
    )


@router.get("/account")
def account(request: Request, user: CurrentUser) -> Response:
    return _account(request, user)


@router.post("/account/password")
def change_password(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    if new != confirm:
        return _account(
            request, user, errors={"confirm": tr(request, user, "The two new passwords differ.")}, status=422
        )
    try:
        service.change_password(session, user.id, current=current, new=new)
    except PulsoError as exc:
        field = "current" if exc.status_code == 401 else "new"
        return _account(
            request, user, errors={field: localized_message(exc.message, user.locale)}, status=exc.status_code
        )
    session.flush()
    # Other sessions carry the old fingerprint and are signed out; this one continues.
    start_session(request, user.id, service.get_user(session, user.id).password_hash)
    flash(request, tr(request, user, "Your password was changed."))
    return redirect(request, "/account")
