"""Queries on the accounts tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from pulso.accounts.enums import Role
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


# --- Administration lists (users, teams, tokens) ---

# Spanish accents folded away in SQL, so a search for "nunez" finds "Núñez" on every engine
# (SQLite's lower() only folds ASCII, hence both cases are listed).
_ACCENTS = {"á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ü": "u", "ñ": "n"}
_FOLD_PAIRS = [*_ACCENTS.items(), *((k.upper(), v) for k, v in _ACCENTS.items())]


def fold_text(value: str) -> str:
    """Lower case without the accents _fold_sql removes (the Python side of a search)."""
    text = value.lower()
    for accented, plain in _ACCENTS.items():
        text = text.replace(accented, plain)
    return text


def _fold_sql(column: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[str]:
    expr: ColumnElement[str] = column.expression if isinstance(column, InstrumentedAttribute) else column
    for accented, plain in _FOLD_PAIRS:
        expr = func.replace(expr, accented, plain)
    return func.lower(expr)


def search_users(
    session: Session,
    *,
    text: str | None = None,
    role: Role | None = None,
    team_id: int | None = None,
    active: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[User], int]:
    """One page of users matching a name/e-mail search and filters, active first, then by name."""
    query = select(User)
    if text:
        needle = fold_text(text.strip())
        query = query.where(
            or_(
                _fold_sql(User.name).contains(needle, autoescape=True),
                _fold_sql(User.email).contains(needle, autoescape=True),
            )
        )
    if role is not None:
        query = query.where(User.role == role)
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(User.is_active.desc(), func.lower(User.name), User.id).offset(offset).limit(limit)
    ).scalars()
    return list(rows), total


def all_teams(session: Session) -> list[Team]:
    return list(session.execute(select(Team).order_by(func.lower(Team.name), Team.id)).scalars())


def team_member_counts(session: Session) -> dict[int, tuple[int, int]]:
    """team id → (active members, all members)."""
    rows = session.execute(
        select(
            User.team_id,
            func.count().filter(User.is_active.is_(True)),
            func.count(),
        )
        .where(User.team_id.is_not(None))
        .group_by(User.team_id)
    ).all()
    return {int(team_id): (int(active), int(total)) for team_id, active, total in rows if team_id is not None}


def team_references(session: Session, team_id: int) -> dict[str, int]:
    """Rows of every table that points at a team (members, sub-teams, feedback, touchpoints...), by table.

    Read from the foreign keys of the loaded models, so the accounts domain needs to know no other
    domain's tables.
    """
    teams = Team.__table__
    counts: dict[str, int] = {}
    for table in Team.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is not teams:
                continue
            n = session.scalar(select(func.count()).select_from(table).where(fk.parent == team_id)) or 0
            if n:
                counts[table.name] = counts.get(table.name, 0) + n
    return counts


def team_parent_chain(session: Session, team_id: int) -> list[int]:
    """The ids of a team's ancestors, nearest first (stops at a loop)."""
    parents: dict[int, int | None] = {row.id: row.parent_id for row in session.execute(select(Team.id, Team.parent_id))}
    chain: list[int] = []
    current = parents.get(team_id)
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def active_admin_ids(session: Session, *, lock: bool = False) -> list[int]:
    """Active administrators; `lock` holds their rows (PostgreSQL) so two demotions cannot race."""
    query = select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True)).order_by(User.id)
    if lock:
        query = query.with_for_update()
    return list(session.execute(query).scalars())


def tokens_with_owners(
    session: Session, *, offset: int = 0, limit: int = 50
) -> tuple[list[tuple[ApiToken, User | None]], int]:
    """One page of API tokens with their owner, live ones first, newest first."""
    total = session.scalar(select(func.count()).select_from(ApiToken)) or 0
    rows = session.execute(
        select(ApiToken, User)
        .outerjoin(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [(token, owner) for token, owner in rows], total


def tokens_of_user(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.execute(select(ApiToken).where(ApiToken.user_id == user_id)).scalars())


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


def active_admin_count(session: Session) -> int:
    return (
        session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active.is_(True)))
        or 0
    )


def active_users(session: Session, *, team_ids: Sequence[int] | None = None, roles: Sequence[Role] = ()) -> list[User]:
    """Active users, optionally of some teams and roles, in id order."""
    query = select(User).where(User.is_active.is_(True)).order_by(User.id)
    if team_ids is not None:
        query = query.where(User.team_id.in_(list(team_ids)))
    if roles:
        query = query.where(User.role.in_(list(roles)))
    return list(session.execute(query).scalars())


def users_by_ids(session: Session, ids: Sequence[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in session.execute(select(User).where(User.id.in_(list(set(ids))))).scalars()}
