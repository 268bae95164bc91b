"""Request dependencies: the runtime, a database session per request, the calling principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
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


DbSession = Annotated[Session, Depends(db_session)]


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
