"""Queries on the accounts tables."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pulso.accounts.models import ApiToken, Organization, Team, User


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.execute(select(ApiToken).where(ApiToken.token_hash == token_hash)).scalar_one_or_none()


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.execute(select(ApiToken).order_by(ApiToken.id)).scalars())


def organization(session: Session) -> Organization | None:
    return session.execute(select(Organization).order_by(Organization.id).limit(1)).scalar_one_or_none()


def user_by_email(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(User.email == email.lower())).scalar_one_or_none()


def team_by_name(session: Session, name: str) -> Team | None:
    return session.execute(select(Team).where(Team.name == name)).scalar_one_or_none()
