"""Administration pages (admins only): users, teams and API tokens.

Secrets (a generated password, a new API token) are rendered once in the response to the POST that
made them and kept nowhere else: not in the session, not in a flash, not in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pulso.accounts import service
from pulso.accounts.enums import Role, TeamKind
from pulso.accounts.models import User
from pulso.accounts.schemas import CreatedToken
from pulso.kit.db import utcnow
from pulso.kit.errors import PulsoError, ValidationFailed
from pulso.kit.pagination import PageParams
from pulso.web.deps import DbSession, PageUser, page_router, require_page_roles, start_session
from pulso.web.i18n import LOCALE_NAMES, N_, localized_message
from pulso.web.templating import ROLE_NAMES, flash, redirect, render, tr

router = page_router()

Admin = Annotated[PageUser, require_page_roles(Role.ADMIN)]

USERS_PER_PAGE = 25
TOKENS_PER_PAGE = 50

TEAM_KIND_NAMES = {
    TeamKind.SERVICE: N_("Customer service"),
    TeamKind.SALES: N_("Sales"),
    TeamKind.MARKETING: N_("Marketing"),
    TeamKind.PRODUCT: N_("Product"),
    TeamKind.LOGISTICS: N_("Logistics"),
    TeamKind.BILLING: N_("Billing"),
    TeamKind.OTHER: N_("Other"),
}


# --- form helpers ---


def _field_errors(exc: PulsoError, user: PageUser) -> dict[str, str]:
    """A domain error as {field: message in the user's language}; '_form' when it names no field."""
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    if isinstance(fields, dict):
        return {str(f): localized_message(str(m), user.locale) for f, m in fields.items()}
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    if not isinstance(field, str):
        head = exc.message.split(":", 1)[0]
        field = head if ":" in exc.message and head.isidentifier() else "_form"
    return {field: localized_message(exc.message, user.locale)}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"field": field})


def _optional_id(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise _invalid(field, f"{value!r} is not a valid choice / {value!r} no es una opción válida")
    return int(value)


def _role(value: str, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError:
        raise _invalid(field, "choose a role / elija un rol") from None


def _team_kind(value: str) -> TeamKind:
    try:
        return TeamKind(value)
    except ValueError:
        raise _invalid("kind", "choose a kind of team / elija el tipo de equipo") from None


def _role_options(request: Request, user: PageUser) -> list[tuple[str, str]]:
    return [(r.value, tr(request, user, ROLE_NAMES[r])) for r in Role]


def _kind_options(request: Request, user: PageUser) -> list[tuple[str, str]]:
    return [(k.value, tr(request, user, TEAM_KIND_NAMES[k])) for k in TeamKind]


def _team_options(session: Session, *, leave_out: int | None = None) -> list[tuple[str, str]]:
    return [(str(t.id), t.name) for t in service.all_teams(session) if t.id != leave_out]


def _locale_options() -> list[tuple[str, str]]:
    return list(LOCALE_NAMES.items())


# --- users ---


def _filter_bool(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@router.get("/admin/users")
def users(
    request: Request,
    session: DbSession,
    user: Admin,
    q: str = "",
    role: str = "",
    team: str = "",
    active: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    role_filter = Role(role) if role in {r.value for r in Role} else None
    team_filter = int(team) if team.isdigit() else None
    active_filter = _filter_bool(active)
    found = service.user_page(
        session,
        text=q.strip() or None,
        role=role_filter,
        team_id=team_filter,
        active=active_filter,
        params=PageParams(page=page, size=USERS_PER_PAGE),
    )
    params = {
        "q": q.strip(),
        "role": role_filter.value if role_filter else "",
        "team": str(team_filter) if team_filter is not None else "",
        "active": active if active_filter is not None else "",
    }
    context = {
        "title": tr(request, user, "Users"),
        "found": found,
        "params": params,
        "team_names": {t.id: t.name for t in service.all_teams(session)},
        "role_options": _role_options(request, user),
        "team_options": _team_options(session),
        "active_options": [("yes", tr(request, user, "Active")), ("no", tr(request, user, "Inactive"))],
    }
    return render(request, "accounts/users.html", context, user=user)


def _user_form(
    request: Request,
    session: Session,
    user: PageUser,
    *,
    form: Mapping[str, Any],
    target: User | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "title": tr(request, user, "Edit user") if target else tr(request, user, "New user"),
        "target": target,
        "form": form,
        "errors": errors or {},
        "role_options": _role_options(request, user),
        "team_options": _team_options(session),
        "locale_options": _locale_options(),
    }
    return render(request, "accounts/user_form.html", context, user=user, status_code=status)


@router.get("/admin/users/new")
def new_user(request: Request, session: DbSession, user: Admin) -> Response:
    form = {"email": "", "name": "", "role": Role.AGENT.value, "team_id": "", "locale": user.locale}
    return _user_form(request, session, user, form=form)


@router.post("/admin/users")
def create_user(
    request: Request,
    session: DbSession,
    user: Admin,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    team_id: Annotated[str, Form()] = "",
    locale: Annotated[str, Form()] = "es",
    password: Annotated[str, Form()] = "",
) -> Response:
    form = {"email": email, "name": name, "role": role, "team_id": team_id, "locale": locale}
    try:
        with session.begin_nested():
            created, generated = service.add_user(
                session,
                email=email,
                name=name,
                role=_role(role),
                team_id=_optional_id(team_id, "team_id"),
                locale=locale,
                password=password or None,
            )
    except PulsoError as exc:
        return _user_form(request, session, user, form=form, errors=_field_errors(exc, user), status=exc.status_code)
    if generated is None:
        flash(request, tr(request, user, "User %(email)s created.") % {"email": created.email})
        return redirect(request, f"/admin/users/{created.id}")
    return _secret(request, user, target=created, password=generated, created=True)


def _secret(request: Request, user: PageUser, *, target: User, password: str, created: bool) -> Response:
    """The one page that ever shows a generated password."""
    context = {"title": tr(request, user, "Password"), "target": target, "password": password, "created": created}
    return render(
        request,
        "accounts/password_once.html",
        context,
        user=user,
        status_code=201 if created else 200,
        headers={"Cache-Control": "no-store"},
    )


def _edit_form_values(target: User) -> dict[str, Any]:
    return {
        "name": target.name,
        "role": target.role.value,
        "team_id": str(target.team_id or ""),
        "locale": target.locale,
        "is_active": target.is_active,
    }


@router.get("/admin/users/{user_id}")
def edit_user(request: Request, session: DbSession, user: Admin, user_id: int) -> Response:
    target = service.get_user(session, user_id)
    return _user_form(request, session, user, form=_edit_form_values(target), target=target)


@router.post("/admin/users/{user_id}")
def update_user(
    request: Request,
    session: DbSession,
    user: Admin,
    user_id: int,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    team_id: Annotated[str, Form()] = "",
    locale: Annotated[str, Form()] = "es",
    is_active: Annotated[str, Form()] = "",
) -> Response:
    target = service.get_user(session, user_id)
    form = {"name": name, "role": role, "team_id": team_id, "locale": locale, "is_active": bool(is_active)}
    try:
        with session.begin_nested():
            service.update_user(
                session,
                user_id,
                actor_id=user.id,
                name=name,
                role=_role(role),
                team_id=_optional_id(team_id, "team_id"),
                locale=locale,
                is_active=bool(is_active),
            )
    except PulsoError as exc:
        session.refresh(target)
        return _user_form(
            request, session, user, form=form, target=target, errors=_field_errors(exc, user), status=exc.status_code
        )
    flash(request, tr(request, user, "Changes saved."))
    return redirect(request, f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/password")
def reset_password(request: Request, session: DbSession, user: Admin, user_id: int) -> Response:
    target = service.get_user(session, user_id)
    password = service.reset_password(session, user_id)
    session.flush()
    if target.id == user.id:
        # The new hash signs out every session of the user; the admin who asked stays signed in here.
        start_session(request, user.id, target.password_hash)
    return _secret(request, user, target=target, password=password, created=False)


# --- teams ---


def _teams_page(
    request: Request,
    session: Session,
    user: PageUser,
    *,
    form: Mapping[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "title": tr(request, user, "Teams"),
        "teams": service.team_rows(session),
        "form": form or {"name": "", "kind": TeamKind.SERVICE.value, "parent_id": ""},
        "errors": errors or {},
        "kind_names": TEAM_KIND_NAMES,
        "kind_options": _kind_options(request, user),
        "team_options": _team_options(session),
    }
    return render(request, "accounts/teams.html", context, user=user, status_code=status)


@router.get("/admin/teams")
def teams(request: Request, session: DbSession, user: Admin) -> Response:
    return _teams_page(request, session, user)


@router.post("/admin/teams")
def create_team(
    request: Request,
    session: DbSession,
    user: Admin,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    parent_id: Annotated[str, Form()] = "",
) -> Response:
    form = {"name": name, "kind": kind, "parent_id": parent_id}
    try:
        with session.begin_nested():
            team = service.add_team(
                session, name=name, kind=_team_kind(kind), parent_id=_optional_id(parent_id, "parent_id")
            )
    except PulsoError as exc:
        return _teams_page(request, session, user, form=form, errors=_field_errors(exc, user), status=exc.status_code)
    flash(request, tr(request, user, "Team %(name)s created.") % {"name": team.name})
    return redirect(request, "/admin/teams")


def _team_form(
    request: Request,
    session: Session,
    user: PageUser,
    team_id: int,
    *,
    form: Mapping[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    team = service.get_team(session, team_id)
    context = {
        "title": tr(request, user, "Edit team"),
        "team": team,
        "form": form or {"name": team.name, "kind": team.kind.value, "parent_id": str(team.parent_id or "")},
        "errors": errors or {},
        "kind_options": _kind_options(request, user),
        "team_options": _team_options(session, leave_out=team.id),
    }
    return render(request, "accounts/team_form.html", context, user=user, status_code=status)


@router.get("/admin/teams/{team_id}")
def edit_team(request: Request, session: DbSession, user: Admin, team_id: int) -> Response:
    return _team_form(request, session, user, team_id)


@router.post("/admin/teams/{team_id}")
def update_team(
    request: Request,
    session: DbSession,
    user: Admin,
    team_id: int,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    parent_id: Annotated[str, Form()] = "",
) -> Response:
    service.get_team(session, team_id)
    form = {"name": name, "kind": kind, "parent_id": parent_id}
    try:
        with session.begin_nested():
            service.update_team(
                session, team_id, name=name, kind=_team_kind(kind), parent_id=_optional_id(parent_id, "parent_id")
            )
    except PulsoError as exc:
        return _team_form(
            request, session, user, team_id, form=form, errors=_field_errors(exc, user), status=exc.status_code
        )
    flash(request, tr(request, user, "Changes saved."))
    return redirect(request, "/admin/teams")


@router.post("/admin/teams/{team_id}/delete")
def delete_team(request: Request, session: DbSession, user: Admin, team_id: int) -> Response:
    try:
        with session.begin_nested():
            name = service.delete_team(session, team_id)
    except PulsoError as exc:
        if exc.status_code == 404:
            raise
        errors = {"_delete": localized_message(exc.message, user.locale)}
        return _teams_page(request, session, user, errors=errors, status=exc.status_code)
    flash(request, tr(request, user, "Team %(name)s deleted.") % {"name": name})
    return redirect(request, "/admin/teams")


# --- API tokens ---


def _tokens_page(
    request: Request,
    session: Session,
    user: PageUser,
    *,
    page: int = 1,
    form: Mapping[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    created: CreatedToken | None = None,
    status: int = 200,
) -> Response:
    context = {
        "title": tr(request, user, "API tokens"),
        "found": service.token_page(session, params=PageParams(page=page, size=TOKENS_PER_PAGE)),
        "form": form or {"name": "", "role": "", "owner": ""},
        "errors": errors or {},
        "created": created,
        "role_options": _role_options(request, user),
        "params": {},
    }
    headers = {"Cache-Control": "no-store"} if created else None
    return render(request, "accounts/tokens.html", context, user=user, status_code=status, headers=headers)


@router.get("/settings/tokens")
def tokens(request: Request, session: DbSession, user: Admin, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    return _tokens_page(request, session, user, page=page)


@router.post("/settings/tokens")
def create_token(
    request: Request,
    session: DbSession,
    user: Admin,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
) -> Response:
    form = {"name": name, "role": role, "owner": owner}
    try:
        with session.begin_nested():
            created = service.create_user_token(
                session, name=name, role=_role(role) if role else None, owner_email=owner or None
            )
    except PulsoError as exc:
        return _tokens_page(request, session, user, form=form, errors=_field_errors(exc, user), status=exc.status_code)
    return _tokens_page(request, session, user, created=created, status=201)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(request: Request, session: DbSession, user: Admin, token_id: int) -> Response:
    service.revoke_token(session, token_id, now=utcnow())
    flash(request, tr(request, user, "The token was revoked; it no longer opens the API."))
    return redirect(request, "/settings/tokens")
