"""Request dependencies: the runtime, a database session per request, the calling principal."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.kit.db import READ_ONLY, utcnow
from pulso.kit.errors import Forbidden, Unauthorized
from pulso.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def db_session(request: Request, runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    """The request owns the transaction: committed when the route returns, rolled back on error.

    GET and HEAD only read: on SQLite their transaction begins deferred, so it never waits for (or
    holds up) an import that is writing.
    """
    bind = runtime.engine.execution_options(**READ_ONLY) if request.method in ("GET", "HEAD") else runtime.engine
    with runtime.sessions(bind=bind) as session, session.begin():
        yield session


# scope="function": the commit happens before the response leaves, so the page a redirect leads to (or
# a client's next call) always sees what this request wrote.
DbSession = Annotated[Session, Depends(db_session, scope="function")]


def current_principal(request: Request, runtime: Annotated[Runtime, Depends(get_runtime)]) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>' / envíe un token de API")
    # Authentication commits on its own so last_used_at is kept even if the route fails.
    with runtime.sessions() as session, session.begin():
        return accounts.authenticate_token(session, token.strip(), now=utcnow())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> object:
    """A dependency that lets through only the given roles."""

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role} may not do this / su rol no lo permite")
        return principal

    return Depends(check)


WRITERS = (Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR)
READERS = (Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR, Role.AGENT, Role.VIEWER)


# --- People in the browser: a signed session cookie, checked on every page. ---


class SignInRequired(Exception):
    """No valid session: pages answer with a redirect to the sign-in page."""


class CsrfFailed(Forbidden):
    code = "csrf_failed"


@dataclass(frozen=True, slots=True)
class PageUser:
    """The signed-in person, as a page sees them."""

    id: int
    email: str
    name: str
    role: Role
    team_id: int | None
    locale: str
    timezone: str

    @property
    def principal(self) -> Principal:
        return Principal(role=self.role, user_id=self.id, team_id=self.team_id)

    @property
    def can_write(self) -> bool:
        return self.role is not Role.VIEWER

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def today(self) -> date:
        """Today in the organisation's time zone (where a page's default period ends)."""
        return utcnow().astimezone(ZoneInfo(self.timezone)).date()


SESSION_USER = "uid"
SESSION_FINGERPRINT = "pfp"
SESSION_CSRF = "csrf"
SESSION_LOCALE = "locale"


def password_fingerprint(password_hash: str | None) -> str:
    """Changes whenever the password does, so a password change signs out every other session."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def start_session(request: Request, user_id: int, password_hash: str | None) -> None:
    """A fresh session for a user who just signed in (a new CSRF token too: no session fixation)."""
    locale = request.session.get(SESSION_LOCALE)
    request.session.clear()
    request.session[SESSION_USER] = user_id
    request.session[SESSION_FINGERPRINT] = password_fingerprint(password_hash)
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    if locale:
        request.session[SESSION_LOCALE] = locale


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def optional_user(request: Request, runtime: Annotated[Runtime, Depends(get_runtime)]) -> PageUser | None:
    """The signed-in user, or None; a stale session (user gone, inactive, new password) is cleared."""
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    with runtime.sessions(bind=runtime.engine.execution_options(**READ_ONLY)) as session, session.begin():
        user = accounts.find_user_by_id(session, user_id)
        valid = (
            user is not None
            and user.is_active
            and secrets.compare_digest(
                str(request.session.get(SESSION_FINGERPRINT, "")), password_fingerprint(user.password_hash)
            )
        )
        if not valid or user is None:
            request.session.clear()
            return None
        timezone = accounts.organization_timezone(session, default=runtime.settings.timezone)
        page_user = PageUser(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            team_id=user.team_id,
            locale=user.locale,
            timezone=timezone,
        )
    request.scope["pulso_user"] = page_user  # so an error page can still show the shell
    return page_user


OptionalUser = Annotated[PageUser | None, Depends(optional_user)]


def current_user(user: OptionalUser) -> PageUser:
    if user is None:
        raise SignInRequired
    return user


CurrentUser = Annotated[PageUser, Depends(current_user)]


def require_page_roles(*roles: Role) -> object:
    """A page dependency that lets through only the given roles (others get a 403 page)."""

    def check(user: CurrentUser) -> PageUser:
        if user.role not in roles:
            raise Forbidden(f"role {user.role} may not open this page / su rol no permite abrir esta página")
        return user

    return Depends(check)


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def csrf_protect(request: Request) -> None:
    """Every state-changing page request carries the session's token (form field or X-CSRF-Token)."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get(SESSION_CSRF)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get("csrf_token")
            sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or sent is None or not secrets.compare_digest(expected, sent):
        raise CsrfFailed(
            "the form expired or did not come from Pulso; reload the page and try again / "
            "el formulario caducó o no viene de Pulso; recargue la página e inténtelo de nuevo"
        )


def page_router(**kwargs: Any) -> APIRouter:
    """The router of a domain's pages: CSRF-checked, left out of the API schema."""
    return APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False, **kwargs)
