"""Public entry points of the accounts domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy.orm import Session

from pulso.accounts import logic, repository
from pulso.accounts.enums import Role, TeamKind
from pulso.accounts.models import ApiToken, Organization, Team, User
from pulso.accounts.schemas import CreatedToken, Principal
from pulso.kit.errors import NotFound, Unauthorized, ValidationFailed

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValidationFailed("password: at least 8 characters / contraseña: al menos 8 caracteres")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except VerificationError:
        return False


def ensure_organization(session: Session, *, name: str, timezone: str, locale: str = "es") -> Organization:
    """The installation's organisation, created on first call."""
    org = repository.organization(session)
    if org is None:
        org = Organization(name=name, timezone=timezone, locale=locale)
        session.add(org)
        session.flush()
    return org


def organization_timezone(session: Session, default: str = "UTC") -> str:
    org = repository.organization(session)
    return org.timezone if org else default


def create_team(
    session: Session,
    *,
    name: str,
    kind: TeamKind = TeamKind.SERVICE,
    code: str | None = None,
    parent_id: int | None = None,
) -> Team:
    team = Team(name=name, kind=kind, code=code, parent_id=parent_id)
    session.add(team)
    session.flush()
    return team


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    team_id: int | None = None,
    code: str | None = None,
    locale: str = "es",
) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationFailed(f"email: {email!r} is not an e-mail address / no es un correo electrónico")
    if repository.user_by_email(session, email) is not None:
        raise ValidationFailed(f"email: {email} already exists / ya existe")
    user = User(
        email=email,
        name=name,
        role=role,
        team_id=team_id,
        code=code,
        locale=locale,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def create_token(
    session: Session, *, name: str, role: Role = Role.CX_MANAGER, user_id: int | None = None
) -> CreatedToken:
    """A new API token; the clear token is returned once and only its hash is kept."""
    if not name.strip():
        raise ValidationFailed("name: a token needs a name / el token necesita un nombre")
    token = logic.new_token()
    row = ApiToken(
        name=name.strip(),
        prefix=logic.display_prefix(token),
        token_hash=logic.hash_token(token),
        role=role,
        user_id=user_id,
    )
    session.add(row)
    session.flush()
    return CreatedToken(id=row.id, name=row.name, token=token)


def revoke_token(session: Session, token_id: int, *, now: datetime) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"token {token_id} not found / no existe")
    row.revoked_at = now


def list_tokens(session: Session) -> list[ApiToken]:
    return repository.list_tokens(session)


def authenticate_token(session: Session, token: str, *, now: datetime) -> Principal:
    """The principal behind an API token, or Unauthorized."""
    row = repository.token_by_hash(session, logic.hash_token(token))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid or revoked API token / token de API inválido o revocado")
    row.last_used_at = now
    team_id = None
    if row.user_id is not None:
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            raise Unauthorized("the token's user is inactive / el usuario del token está inactivo")
        team_id = user.team_id
    return Principal(role=row.role, user_id=row.user_id, team_id=team_id, token_id=row.id)


def find_user(session: Session, email: str) -> User:
    user = repository.user_by_email(session, email.strip())
    if user is None:
        raise NotFound(f"user {email} not found / usuario no encontrado")
    return user


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of a sign-in attempt; the attempt is recorded either way, so commit it."""

    user: User | None
    retry_after_seconds: int | None = None

    @property
    def message(self) -> str:
        if self.retry_after_seconds is not None:
            return (
                f"too many attempts: try again in {self.retry_after_seconds} s / "
                f"demasiados intentos: vuelva a intentarlo en {self.retry_after_seconds} s"
            )
        return "wrong e-mail or password / correo o contraseña incorrectos"


# Verified when the e-mail is unknown, so an unknown account costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("pulso-timing-equaliser")


def sign_in(session: Session, *, email: str, password: str, ip: str, now: datetime) -> SignIn:
    """Check e-mail and password, throttling repeated failures per account and per address."""
    email = email.strip().lower()
    since = now - logic.WINDOW
    locks = [
        logic.locked_until(
            repository.failure_times(session, since=since, email=email), logic.FAILURES_PER_ACCOUNT, now=now
        ),
        logic.locked_until(repository.failure_times(session, since=since, ip=ip), logic.FAILURES_PER_ADDRESS, now=now),
    ]
    until = max((t for t in locks if t is not None), default=None)
    if until is not None:
        return SignIn(None, retry_after_seconds=max(1, int((until - now).total_seconds())))
    user = repository.user_by_email(session, email)
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    ok = verify_password(stored, password) and user is not None and user.is_active and stored != _DUMMY_HASH
    repository.add_attempt(session, email=email, ip=ip, succeeded=ok, at=now)
    if not ok or user is None:
        return SignIn(None)
    if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return SignIn(user)


def change_password(session: Session, user_id: int, *, current: str, new: str) -> None:
    """Replace a user's password after checking the current one."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found / usuario no encontrado")
    if not verify_password(user.password_hash, current):
        raise Unauthorized("current password is wrong / la contraseña actual no es correcta")
    if new == current:
        raise ValidationFailed("new password: must differ from the current one / debe ser distinta de la actual")
    user.password_hash = hash_password(new)


def set_locale(session: Session, user_id: int, locale: str) -> None:
    """The user's interface language (es or en)."""
    if locale not in ("es", "en"):
        raise ValidationFailed(f"locale: {locale!r} is not es or en / idioma no disponible")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found / usuario no encontrado")
    user.locale = locale


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found / usuario no encontrado")
    return user
