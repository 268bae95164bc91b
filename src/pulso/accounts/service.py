"""Public entry points of the accounts domain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy.orm import Session

from pulso.accounts import logic, repository
from pulso.accounts.enums import Role, TeamKind
from pulso.accounts.models import ApiToken, Organization, Team, User
from pulso.accounts.schemas import CreatedToken, Principal, TeamRow
from pulso.kit.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from pulso.kit.pagination import Page, PageParams

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
    if row.revoked_at is None:
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


# --- Administration from the interface: users, teams, tokens (admin pages) ---
#
# Each function checks everything before it writes, and its errors name the form field they belong to
# (`details={"field": ...}`), so a page can show the message next to it.

NAME_MAX = 200
TEAM_NAME_MAX = 120
TOKEN_NAME_MAX = 120
TEAM_ROLES = (Role.SUPERVISOR, Role.AGENT)  # roles whose data scope is a team, so they need one


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"field": field})


def _refuse(problems: dict[str, str]) -> None:
    """Raise one error naming every field in trouble (the first one's message), if there is any."""
    if problems:
        field, message = next(iter(problems.items()))
        raise ValidationFailed(message, details={"field": field, "fields": problems})


def _email_problem(session: Session, email: str) -> str | None:
    if not email:
        return "an e-mail address is required / el correo electrónico es obligatorio"
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        return f"{email!r} is not an e-mail address / {email!r} no es un correo electrónico"
    if repository.user_by_email(session, email) is not None:
        return f"{email} is already in use / {email} ya está registrado"
    return None


def _person_problems(session: Session, *, name: str, role: Role, team_id: int | None, locale: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not name:
        problems["name"] = "a name is required / el nombre es obligatorio"
    elif len(name) > NAME_MAX:
        problems["name"] = f"at most {NAME_MAX} characters / como máximo {NAME_MAX} caracteres"
    if team_id is None and role in TEAM_ROLES:
        problems["team_id"] = "a supervisor or an agent needs a team / un supervisor o un agente necesita un equipo"
    elif team_id is not None and session.get(Team, team_id) is None:
        problems["team_id"] = f"team {team_id} does not exist / el equipo {team_id} no existe"
    if locale not in ("es", "en"):
        problems["locale"] = f"{locale!r} is not es or en / idioma no disponible"
    return problems


def add_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    team_id: int | None = None,
    locale: str = "es",
    password: str | None = None,
) -> tuple[User, str | None]:
    """A new user; without a password one is generated and returned (to show once), else None."""
    email, name = email.strip().lower(), name.strip()
    problems: dict[str, str] = {}
    if (problem := _email_problem(session, email)) is not None:
        problems["email"] = problem
    problems |= _person_problems(session, name=name, role=role, team_id=team_id, locale=locale)
    if password and len(password) < 8:
        problems["password"] = "at least 8 characters / al menos 8 caracteres"  # noqa: S105 - a message
    _refuse(problems)
    generated = None if password else logic.new_password()
    user = create_user(
        session, email=email, name=name, role=role, team_id=team_id, locale=locale, password=password or generated
    )
    return user, generated


def update_user(
    session: Session,
    user_id: int,
    *,
    actor_id: int,
    name: str,
    role: Role,
    team_id: int | None,
    locale: str,
    is_active: bool,
) -> User:
    """Change a user; an admin cannot demote or deactivate themselves, nor remove the last active admin."""
    user = get_user(session, user_id)
    name = name.strip()
    problems = _person_problems(session, name=name, role=role, team_id=team_id, locale=locale)
    if user.id == actor_id and role is not Role.ADMIN:
        problems["role"] = (
            "you cannot remove your own administrator role / no puede quitarse su propio rol de administrador"
        )
    if user.id == actor_id and not is_active:
        problems["is_active"] = "you cannot deactivate your own account / no puede desactivar su propia cuenta"
    losing_admin = user.role is Role.ADMIN and user.is_active and (role is not Role.ADMIN or not is_active)
    # The admin rows are locked (PostgreSQL), so two admins demoting each other at once cannot both succeed.
    if losing_admin and user.id != actor_id and repository.active_admin_ids(session, lock=True) == [user.id]:
        problems["role" if role is not Role.ADMIN else "is_active"] = (
            "this is the last active administrator: make another administrator first / "
            "es el último administrador activo: nombre primero a otro administrador"
        )
    _refuse(problems)
    if role is not user.role:
        # A user's tokens act with the user's role (see create_user_token), so they follow a change.
        for token in repository.tokens_of_user(session, user.id):
            token.role = role
    user.name, user.role, user.team_id, user.locale, user.is_active = name, role, team_id, locale, is_active
    session.flush()
    return user


def user_page(
    session: Session,
    *,
    text: str | None = None,
    role: Role | None = None,
    team_id: int | None = None,
    active: bool | None = None,
    params: PageParams | None = None,
) -> Page[User]:
    params = params or PageParams()
    rows, total = repository.search_users(
        session, text=text, role=role, team_id=team_id, active=active, offset=params.offset, limit=params.size
    )
    return Page(rows, total, params.page, params.size)


def all_teams(session: Session) -> list[Team]:
    return repository.all_teams(session)


def team_rows(session: Session) -> list[TeamRow]:
    """Every team with its parent's name and member counts, by name."""
    teams = repository.all_teams(session)
    names = {t.id: t.name for t in teams}
    counts = repository.team_member_counts(session)
    return [
        TeamRow(
            id=t.id,
            name=t.name,
            kind=t.kind,
            parent_id=t.parent_id,
            parent_name=names.get(t.parent_id) if t.parent_id is not None else None,
            active_members=counts.get(t.id, (0, 0))[0],
            members=counts.get(t.id, (0, 0))[1],
        )
        for t in teams
    ]


def get_team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"team {team_id} not found / equipo no encontrado")
    return team


def _checked_team(session: Session, *, team_id: int | None, name: str, parent_id: int | None) -> str:
    name = name.strip()
    if not name:
        raise _invalid("name", "a name is required / el nombre es obligatorio")
    if len(name) > TEAM_NAME_MAX:
        raise _invalid("name", f"at most {TEAM_NAME_MAX} characters / como máximo {TEAM_NAME_MAX} caracteres")
    same = repository.team_by_name(session, name)
    if same is not None and same.id != team_id:
        raise _invalid("name", f"a team named {name!r} exists / ya existe un equipo llamado {name!r}")
    if parent_id is not None:
        if session.get(Team, parent_id) is None:
            raise _invalid("parent_id", f"team {parent_id} does not exist / el equipo {parent_id} no existe")
        ancestors = [parent_id, *repository.team_parent_chain(session, parent_id)]
        if team_id is not None and team_id in ancestors:
            raise _invalid(
                "parent_id",
                "a team cannot sit under itself or one of its sub-teams / "
                "un equipo no puede depender de sí mismo ni de uno de sus subequipos",
            )
    return name


def add_team(session: Session, *, name: str, kind: TeamKind, parent_id: int | None = None) -> Team:
    """A new team, with a unique name and an existing parent."""
    name = _checked_team(session, team_id=None, name=name, parent_id=parent_id)
    return create_team(session, name=name, kind=kind, parent_id=parent_id)


def update_team(session: Session, team_id: int, *, name: str, kind: TeamKind, parent_id: int | None) -> Team:
    """Rename a team, change its kind or move it under another team (never under itself)."""
    team = get_team(session, team_id)
    team.name = _checked_team(session, team_id=team_id, name=name, parent_id=parent_id)
    team.kind, team.parent_id = kind, parent_id
    session.flush()
    return team


def delete_team(session: Session, team_id: int) -> str:
    """Delete a team nothing points at (no members, sub-teams or history); returns its name."""
    team = get_team(session, team_id)
    refs = repository.team_references(session, team_id)
    members, subteams = refs.pop("users", 0), refs.pop("teams", 0)
    others = sum(refs.values())
    if members or subteams or others:
        raise Conflict(
            f"the team {team.name} is not empty: {members} member(s), {subteams} sub-team(s) and {others} "
            "other record(s) (feedback, interactions, touchpoints) point at it; move them or rename the team / "
            f"el equipo {team.name} no está vacío: lo usan {members} miembro(s), {subteams} subequipo(s) y "
            f"{others} registro(s) más (comentarios, interacciones, puntos de contacto); muévalos o cambie "
            "el nombre del equipo"
        )
    name = team.name
    session.delete(team)
    session.flush()
    return name


def create_user_token(session: Session, *, name: str, role: Role | None, owner_email: str | None) -> CreatedToken:
    """A token from the settings page: one owned by a user acts with that user's role and scope.

    Supervisor and agent tokens must have an owner, since their scope (team, own work) comes from it.
    """
    name = name.strip()
    if not name:
        raise _invalid("name", "a token needs a name / el token necesita un nombre")
    if len(name) > TOKEN_NAME_MAX:
        raise _invalid("name", f"at most {TOKEN_NAME_MAX} characters / como máximo {TOKEN_NAME_MAX} caracteres")
    owner = None
    if owner_email and owner_email.strip():
        owner = repository.user_by_email(session, owner_email.strip())
        if owner is None:
            raise _invalid("owner", f"no user has the e-mail {owner_email.strip()} / ningún usuario tiene ese correo")
        if not owner.is_active:
            raise _invalid("owner", f"{owner.email} is inactive / {owner.email} está inactivo")
        if role is None:
            role = owner.role
        elif role is not owner.role:
            raise _invalid(
                "role",
                f"a user's token acts with that user's role ({owner.role.value}) / "
                f"el token de un usuario actúa con el rol de ese usuario ({owner.role.value})",
            )
    elif role is None:
        raise _invalid("role", "choose a role or an owner / elija un rol o un propietario")
    elif role in TEAM_ROLES:
        raise _invalid(
            "owner",
            "a supervisor or agent token needs an owner, whose scope it takes / "
            "un token de supervisor o agente necesita un propietario, cuyo alcance adopta",
        )
    return create_token(session, name=name, role=role, user_id=owner.id if owner else None)


def token_page(session: Session, *, params: PageParams | None = None) -> Page[tuple[ApiToken, User | None]]:
    """API tokens with their owners (never the secret), live ones first."""
    params = params or PageParams()
    rows, total = repository.tokens_with_owners(session, offset=params.offset, limit=params.size)
    return Page(rows, total, params.page, params.size)


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


def find_user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found / usuario no encontrado")
    return user


def reset_password(session: Session, user_id: int) -> str:
    """Give a user a new generated password (returned once); their open sessions end with the old one."""
    user = get_user(session, user_id)
    password = logic.new_password()
    user.password_hash = hash_password(password)
    return password


def ensure_first_admin(session: Session, *, email: str, name: str) -> str | None:
    """Create the first admin with a generated password (returned once); None when an active admin exists."""
    if repository.active_admin_count(session) > 0:
        return None
    password = logic.new_password()
    create_user(session, email=email, name=name, role=Role.ADMIN, password=password)
    return password


def find_team(session: Session, name: str) -> Team:
    team = repository.team_by_name(session, name.strip())
    if team is None:
        raise NotFound(f"team {name!r} not found / equipo no encontrado")
    return team


def team_agents(session: Session, team_id: int) -> list[User]:
    """The active agents of a team, in id order (a round robin's turn)."""
    return repository.active_users(session, team_ids=[team_id], roles=[Role.AGENT])


def supervisors_of(session: Session, team_id: int | None) -> list[User]:
    """Who supervises a team: its own supervisors, else the nearest parent team's."""
    if team_id is None:
        return []
    for candidate in [team_id, *repository.team_parent_chain(session, team_id)]:
        found = repository.active_users(session, team_ids=[candidate], roles=[Role.SUPERVISOR])
        if found:
            return found
    return []


def managers_of(session: Session, team_id: int | None) -> list[User]:
    """The rung above a team's supervisor: the supervisors of its parent teams, else the CX managers."""
    if team_id is not None:
        for parent in repository.team_parent_chain(session, team_id):
            found = repository.active_users(session, team_ids=[parent], roles=[Role.SUPERVISOR])
            if found:
                return found
    return repository.active_users(session, roles=[Role.CX_MANAGER])


def users_by_ids(session: Session, ids: Sequence[int]) -> dict[int, User]:
    return repository.users_by_ids(session, ids)


def active_users(session: Session, *, team_ids: Sequence[int] | None = None, roles: Sequence[Role] = ()) -> list[User]:
    return repository.active_users(session, team_ids=team_ids, roles=roles)
