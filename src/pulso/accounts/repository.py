"""Queries on the accounts tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pulso.accounts.models import ApiToken, LoginAttempt, Organization, Team, User


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


def failure_times(
    session: Session, *, since: datetime, email: str | None = None, ip: str | None = None
) -> list[datetime]:
    """When sign-in failed since `since`, for one e-mail or one address."""
    query = select(LoginAttempt.at).where(LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    if ip is not None:
        query = query.where(LoginAttempt.ip == ip)
    return list(session.execute(query).scalars())


def add_attempt(session: Session, *, email: str, ip: str, succeeded: bool, at: datetime) -> None:
    session.add(LoginAttempt(email=email[:254], ip=ip[:64], succeeded=succeeded, at=at))
