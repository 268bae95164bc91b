"""JSON API of the accounts domain: who am I, and API-token administration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from pulso.accounts import service
from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.kit.db import utcnow
from pulso.web.deps import READERS, DbSession, require_roles

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class PrincipalOut(BaseModel):
    role: Role
    user_id: int | None
    team_id: int | None
    token_id: int | None


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@router.get("/me", response_model=PrincipalOut)
def me(principal: Annotated[Principal, require_roles(*READERS)]) -> PrincipalOut:
    """The caller's role and scope."""
    return PrincipalOut(
        role=principal.role, user_id=principal.user_id, team_id=principal.team_id, token_id=principal.token_id
    )


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(session: DbSession, _admin: Annotated[Principal, require_roles(Role.ADMIN)]) -> list[TokenOut]:
    """Every API token (never the secret). Admins only."""
    return [TokenOut.model_validate(t, from_attributes=True) for t in service.list_tokens(session)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, session: DbSession, _admin: Annotated[Principal, require_roles(Role.ADMIN)]) -> None:
    """Revoke a token at once. Admins only."""
    service.revoke_token(session, token_id, now=utcnow())
