"""Administration pages: users, teams and API tokens — for admins only, through the app, on both engines."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role, TeamKind
from pulso.accounts.logic import hash_token
from pulso.accounts.models import ApiToken, Team, User
from pulso.kit.errors import ValidationFailed
from tests.factories import make_feedback
from tests.web.conftest import PASSWORD, World, csrf_from, sign_in

Browser = Callable[[Role], TestClient]
TOKEN = re.compile(r'id="new-token"[^>]*>(pulso_[A-Za-z0-9_\-]+)<')
SECRET = re.compile(r'id="once-secret"[^>]*>([^<]+)<')


def post(client: TestClient, path: str, data: dict[str, str], *, page: str = "/account") -> Response:
    """POST a form with the session's CSRF token (read from a page anyone signed in can open)."""
    response: Response = client.post(path, data={**data, "csrf_token": csrf_from(client.get(page).text)})
    return response


def count(session: Session, model: type[User] | type[Team] | type[ApiToken]) -> int:
    with session.begin():
        return session.scalar(select(func.count()).select_from(model)) or 0


def reload_user(session: Session, user_id: int) -> User:
    with session.begin():
        user = session.get(User, user_id, populate_existing=True)
        assert user is not None
        session.expunge(user)
        return user


# --- who may open and do what ---


def _routes(world: World) -> tuple[list[str], list[str]]:
    agent = world.user_ids[Role.AGENT]
    pages = [
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{agent}",
        "/admin/teams",
        f"/admin/teams/{world.other_team_id}",
        "/settings/tokens",
    ]
    actions = [
        "/admin/users",
        f"/admin/users/{agent}",
        f"/admin/users/{agent}/password",
        "/admin/teams",
        f"/admin/teams/{world.other_team_id}",
        f"/admin/teams/{world.other_team_id}/delete",
        "/settings/tokens",
        "/settings/tokens/1/revoke",
    ]
    return pages, actions


@pytest.mark.parametrize("role", [Role.CX_MANAGER, Role.SUPERVISOR, Role.AGENT, Role.VIEWER])
def test_only_admins_may_open_or_use_the_pages(browser: Browser, world: World, session: Session, role: Role) -> None:
    client = browser(role)
    pages, actions = _routes(world)
    for path in pages:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "su rol no permite" in response.text
    before = (count(session, User), count(session, Team), count(session, ApiToken))
    for path in actions:
        response = post(client, path, {"name": "Intruso", "email": "x@example.com", "role": "admin", "kind": "other"})
        assert response.status_code == 403, path
    assert (count(session, User), count(session, Team), count(session, ApiToken)) == before
    assert reload_user(session, world.user_ids[Role.AGENT]).password_hash is not None
    assert "/admin/users" not in client.get("/account").text  # not in the navigation either


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient, world: World) -> None:
    pages, actions = _routes(world)
    for path in pages:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")
    token = csrf_from(client.get("/login").text)
    for path in actions:
        response = client.post(path, data={"csrf_token": token, "name": "x"})
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login")


def test_admin_forms_without_csrf_are_refused(browser: Browser, world: World, session: Session) -> None:
    admin = browser(Role.ADMIN)
    _pages, actions = _routes(world)
    before = (count(session, User), count(session, Team), count(session, ApiToken))
    for path in actions:
        response = admin.post(path, data={"name": "Equipo X", "email": "nuevo@example.com", "role": "viewer"})
        assert response.status_code == 403, path
        assert "formulario caducó" in response.text
    assert (count(session, User), count(session, Team), count(session, ApiToken)) == before


def test_admin_sees_every_page_and_the_navigation(browser: Browser, world: World) -> None:
    admin = browser(Role.ADMIN)
    pages, _actions = _routes(world)
    for path in pages:
        response = admin.get(path)
        assert response.status_code == 200, path
        assert 'name="csrf_token"' in response.text or path == "/admin/users"
    nav = admin.get("/admin/users").text
    for label in ("Usuarios", "Equipos", "Tokens de API"):
        assert label in nav


# --- users ---


def test_users_list_searches_without_accents_filters_and_pages(
    browser: Browser, world: World, session: Session
) -> None:
    with session.begin():
        accounts.create_user(session, email="jnunez@example.com", name="José Núñez", role=Role.VIEWER)
        off = accounts.create_user(
            session, email="old@example.com", name="Óscar Antiguo", role=Role.AGENT, team_id=world.other_team_id
        )
        off.is_active = False
        for i in range(30):
            accounts.create_user(session, email=f"u{i:02d}@example.com", name=f"Zeta {i:02d}", role=Role.VIEWER)
    admin = browser(Role.ADMIN)

    found = admin.get("/admin/users", params={"q": "nunez"}).text
    assert "José Núñez" in found
    assert "Zeta 01" not in found
    assert "José Núñez" in admin.get("/admin/users", params={"q": "JOSÉ"}).text
    assert "Óscar Antiguo" in admin.get("/admin/users", params={"q": "oscar"}).text

    agents = admin.get("/admin/users", params={"role": "agent"}).text
    assert "Agent Pérez" in agents
    assert "Óscar Antiguo" in agents
    assert "Viewer Pérez" not in agents
    team = admin.get("/admin/users", params={"team": str(world.other_team_id)}).text
    assert "Óscar Antiguo" in team
    assert "Agent Pérez" not in team
    inactive = admin.get("/admin/users", params={"active": "no"}).text
    assert "Óscar Antiguo" in inactive
    assert "Agent Pérez" not in inactive
    assert "Ningún usuario" in admin.get("/admin/users", params={"q": "nadie-así"}).text

    first = admin.get("/admin/users").text  # 37 users, 25 a page, active ones first, by name
    assert "Página 1 de 2" in first
    assert 'rel="next"' in first
    assert "Óscar Antiguo" not in first  # inactive: last
    second = admin.get("/admin/users", params={"page": "2"}).text
    assert "Óscar Antiguo" in second
    assert first.index("Admin Pérez") < first.index("José Núñez") < first.index("Zeta 00")
    filtered = admin.get("/admin/users", params={"q": "zeta", "page": "2"}).text
    assert "Página 2 de 2" in filtered
    assert 'href="/admin/users?q=zeta&amp;page=1"' in filtered  # the pager keeps the search


def test_create_user_with_a_chosen_password(browser: Browser, world: World, client: TestClient) -> None:
    admin = browser(Role.ADMIN)
    form = admin.get("/admin/users/new").text
    assert 'id="f-email"' in form
    assert "autofocus" in form
    response = post(
        admin,
        "/admin/users",
        {
            "email": " Lucia.Gomez@Example.com ",
            "name": "Lucía Gómez",
            "role": "supervisor",
            "team_id": str(world.team_id),
            "locale": "en",
            "password": "una-clave-larga",
        },
    )
    assert response.status_code == 303, response.text
    page = admin.get(response.headers["location"]).text
    assert "lucia.gomez@example.com" in page
    assert "Usuario lucia.gomez@example.com creado." in page
    sign_in(client, "lucia.gomez@example.com", "una-clave-larga")
    assert 'lang="en"' in client.get("/account").text


def test_create_user_with_a_generated_password_shown_once(
    browser: Browser, world: World, client: TestClient, session: Session
) -> None:
    admin = browser(Role.ADMIN)
    response = post(
        admin,
        "/admin/users",
        {"email": "nuevo@example.com", "name": "Nuevo Agente", "role": "agent", "team_id": str(world.team_id)},
    )
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    match = SECRET.search(response.text)
    assert match, response.text
    password = match.group(1).strip()
    assert "solo esta vez" in response.text
    with session.begin():
        stored = session.execute(select(User).where(User.email == "nuevo@example.com")).scalar_one()
        assert stored.password_hash
        assert password not in stored.password_hash
        assert stored.team_id == world.team_id
    assert password not in admin.get("/admin/users").text
    assert password not in admin.get(f"/admin/users/{stored.id}").text
    sign_in(client, "nuevo@example.com", password)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "admin@example.com", "name": "Otra", "role": "viewer"}, "email", "ya está registrado"),
        ({"email": "no-es-correo", "name": "Otra", "role": "viewer"}, "email", "no es un correo"),
        ({"email": "s@example.com", "name": "Sin Equipo", "role": "supervisor"}, "team_id", "necesita un equipo"),
        ({"email": "a@example.com", "name": "Sin Equipo", "role": "agent"}, "team_id", "necesita un equipo"),
        ({"email": "n@example.com", "name": "  ", "role": "viewer"}, "name", "nombre es obligatorio"),
        ({"email": "r@example.com", "name": "Rol", "role": "jefe"}, "role", "elija un rol"),
        ({"email": "p@example.com", "name": "Corta", "role": "viewer", "password": "corta"}, "password", "al menos 8"),
        ({"email": "t@example.com", "name": "Equipo", "role": "agent", "team_id": "9999"}, "team_id", "no existe"),
    ],
)
def test_create_user_errors_sit_next_to_their_field(
    browser: Browser, world: World, session: Session, data: dict[str, str], field: str, message: str
) -> None:
    admin = browser(Role.ADMIN)
    before = count(session, User)
    response = post(admin, "/admin/users", data)
    assert response.status_code == 422
    assert f'aria-describedby="e-{field}"' in response.text
    error = re.search(rf'<small id="e-{field}" class="error-text">([^<]*)</small>', response.text)
    assert error, response.text
    assert message in error.group(1)
    assert f'value="{data["name"]}"' in response.text  # the form keeps what was typed
    assert count(session, User) == before


def test_every_wrong_field_is_marked_at_once(browser: Browser, world: World) -> None:
    admin = browser(Role.ADMIN)
    response = post(admin, "/admin/users", {"email": "admin@example.com", "name": "", "role": "agent"})
    assert response.status_code == 422
    for field in ("email", "name", "team_id"):
        assert f'<small id="e-{field}" class="error-text">' in response.text
        assert f'href="#f-{field}"' in response.text  # the summary links to it
    assert "Revise los campos marcados" in response.text


def test_errors_come_in_the_admins_language(browser: Browser, world: World) -> None:
    admin = browser(Role.ADMIN)
    post(admin, "/language", {"locale": "en", "next": "/admin/users"})
    response = post(admin, "/admin/users", {"email": "admin@example.com", "name": "Otra", "role": "viewer"})
    assert "admin@example.com is already in use" in response.text
    assert "New user" in response.text


def test_edit_a_user(browser: Browser, world: World, session: Session) -> None:
    admin = browser(Role.ADMIN)
    agent_id = world.user_ids[Role.AGENT]
    form = admin.get(f"/admin/users/{agent_id}").text
    assert re.search(r'name="is_active" value="1" checked[ >]', form)
    response = post(
        admin,
        f"/admin/users/{agent_id}",
        {
            "name": "Agente Renombrado",
            "role": "supervisor",
            "team_id": str(world.other_team_id),
            "locale": "en",
            "is_active": "1",
        },
    )
    assert response.status_code == 303
    assert "Cambios guardados." in admin.get(response.headers["location"]).text
    changed = reload_user(session, agent_id)
    assert (changed.name, changed.role, changed.team_id, changed.locale, changed.is_active) == (
        "Agente Renombrado",
        Role.SUPERVISOR,
        world.other_team_id,
        "en",
        True,
    )
    missing = post(admin, f"/admin/users/{agent_id}", {"name": "X", "role": "agent", "team_id": "", "is_active": "1"})
    assert missing.status_code == 422
    assert "necesita un equipo" in missing.text
    assert reload_user(session, agent_id).role is Role.SUPERVISOR  # nothing half-written
    assert admin.get("/admin/users/99999").status_code == 404


def test_an_admin_cannot_demote_or_deactivate_themselves(browser: Browser, world: World, session: Session) -> None:
    admin = browser(Role.ADMIN)
    me = world.user_ids[Role.ADMIN]
    demote = post(admin, f"/admin/users/{me}", {"name": "Admin", "role": "viewer", "is_active": "1", "locale": "es"})
    assert demote.status_code == 422
    assert 'aria-describedby="e-role"' in demote.text
    assert "no puede quitarse su propio rol de administrador" in demote.text
    deactivate = post(admin, f"/admin/users/{me}", {"name": "Admin", "role": "admin", "locale": "es"})
    assert deactivate.status_code == 422
    assert "no puede desactivar su propia cuenta" in deactivate.text
    kept = reload_user(session, me)
    assert kept.role is Role.ADMIN
    assert kept.is_active
    assert kept.name == "Admin Pérez"
    assert admin.get("/admin/users").status_code == 200


def test_the_last_active_admin_stays(browser: Browser, world: World, session: Session, client: TestClient) -> None:
    """A second admin may demote the first; then the one left cannot go (not even by the other's hand)."""
    with session.begin():
        accounts.create_user(session, email="jefa@example.com", name="Jefa", role=Role.ADMIN, password=PASSWORD)
    first = browser(Role.ADMIN)
    sign_in(client, "jefa@example.com")
    second_id = reload_user_id(session, "jefa@example.com")
    done = post(
        client, f"/admin/users/{world.user_ids[Role.ADMIN]}", {"name": "Ex", "role": "cx_manager", "is_active": "1"}
    )
    assert done.status_code == 303
    assert first.get("/admin/users").status_code == 403  # the demoted admin's next request
    with session.begin():
        accounts.update_user(
            session,
            world.user_ids[Role.ADMIN],
            actor_id=second_id,
            name="Ex",
            role=Role.CX_MANAGER,
            team_id=None,
            locale="es",
            is_active=False,
        )
    assert first.get("/account").status_code == 303  # deactivated: signed out
    with session.begin(), pytest.raises(ValidationFailed, match="último administrador"):
        accounts.update_user(
            session, second_id, actor_id=0, name="Jefa", role=Role.VIEWER, team_id=None, locale="es", is_active=True
        )


def reload_user_id(session: Session, email: str) -> int:
    with session.begin():
        return session.execute(select(User.id).where(User.email == email)).scalar_one()


def test_deactivating_a_user_ends_their_session_and_keeps_their_history(
    browser: Browser, world: World, session: Session
) -> None:
    agent = browser(Role.AGENT)
    assert agent.get("/account").status_code == 200
    with session.begin():
        make_feedback(session, agent_id=world.user_ids[Role.AGENT], team_id=world.team_id, nps=9)
    admin = browser(Role.ADMIN)
    response = post(
        admin,
        f"/admin/users/{world.user_ids[Role.AGENT]}",
        {"name": "Agent Pérez", "role": "agent", "team_id": str(world.team_id), "locale": "es"},
    )
    assert response.status_code == 303
    assert agent.get("/account").status_code == 303
    assert reload_user(session, world.user_ids[Role.AGENT]).is_active is False
    assert "Inactivo" in admin.get("/admin/users", params={"q": "agent"}).text
    with session.begin():
        from pulso.feedback.models import Feedback

        assert session.scalar(select(func.count()).where(Feedback.agent_id == world.user_ids[Role.AGENT])) == 1


def test_reset_password_is_shown_once_and_ends_the_users_sessions(
    browser: Browser, world: World, client: TestClient
) -> None:
    agent = browser(Role.AGENT)
    admin = browser(Role.ADMIN)
    response = post(admin, f"/admin/users/{world.user_ids[Role.AGENT]}/password", {})
    assert response.status_code == 200
    match = SECRET.search(response.text)
    assert match
    password = match.group(1).strip()
    assert agent.get("/account").status_code == 303  # the old session carried the old fingerprint
    assert password not in admin.get(f"/admin/users/{world.user_ids[Role.AGENT]}").text
    sign_in(client, world.emails[Role.AGENT], password)
    # An admin resetting their own password stays signed in on this browser.
    mine = post(admin, f"/admin/users/{world.user_ids[Role.ADMIN]}/password", {})
    assert SECRET.search(mine.text)
    assert admin.get("/admin/users").status_code == 200


# --- teams ---


def test_teams_list_create_rename_move_and_delete(browser: Browser, world: World, session: Session) -> None:
    admin = browser(Role.ADMIN)
    page = admin.get("/admin/teams").text
    assert "Atención Norte" in page
    assert "Atención Sur" in page
    assert re.search(rf'href="/admin/users\?team={world.team_id}"[^>]*>2<', page)  # supervisor and agent
    created = post(admin, "/admin/teams", {"name": "Ventas Online", "kind": "sales", "parent_id": ""})
    assert created.status_code == 303
    assert "Equipo Ventas Online creado." in admin.get("/admin/teams").text
    with session.begin():
        team = session.execute(select(Team).where(Team.name == "Ventas Online")).scalar_one()
        team_id = team.id
        assert team.kind is TeamKind.SALES

    moved = post(
        admin,
        f"/admin/teams/{team_id}",
        {"name": "Ventas Digitales", "kind": "marketing", "parent_id": str(world.other_team_id)},
    )
    assert moved.status_code == 303
    with session.begin():
        moved_team = session.get(Team, team_id, populate_existing=True)
        assert moved_team is not None
        assert (moved_team.name, moved_team.kind, moved_team.parent_id) == (
            "Ventas Digitales",
            TeamKind.MARKETING,
            world.other_team_id,
        )
    assert "Ventas Digitales" in admin.get("/admin/teams").text

    gone = post(admin, f"/admin/teams/{team_id}/delete", {})
    assert gone.status_code == 303
    assert "Equipo Ventas Digitales eliminado." in admin.get("/admin/teams").text
    assert count(session, Team) == 2


def test_team_errors(browser: Browser, world: World, session: Session) -> None:
    admin = browser(Role.ADMIN)
    duplicate = post(admin, "/admin/teams", {"name": "Atención Sur", "kind": "service"})
    assert duplicate.status_code == 422
    assert 'aria-describedby="e-name"' in duplicate.text
    assert "ya existe un equipo" in duplicate.text
    empty = post(admin, "/admin/teams", {"name": " ", "kind": "service"})
    assert "nombre es obligatorio" in empty.text
    kind = post(admin, "/admin/teams", {"name": "Nuevo", "kind": "secta"})
    assert 'aria-describedby="e-kind"' in kind.text
    assert count(session, Team) == 2

    # Sur under Norte, then Norte under Sur would be a loop.
    south = {"name": "Atención Sur", "kind": "service", "parent_id": str(world.team_id)}
    assert post(admin, f"/admin/teams/{world.other_team_id}", south).status_code == 303
    loop = post(
        admin,
        f"/admin/teams/{world.team_id}",
        {"name": "Atención Norte", "kind": "service", "parent_id": str(world.other_team_id)},
    )
    assert loop.status_code == 422
    assert 'aria-describedby="e-parent_id"' in loop.text
    assert "subequipos" in loop.text
    rename_clash = post(admin, f"/admin/teams/{world.team_id}", {"name": "Atención Sur", "kind": "service"})
    assert rename_clash.status_code == 422

    busy = post(admin, f"/admin/teams/{world.team_id}/delete", {})
    assert busy.status_code == 409
    assert "no está vacío" in busy.text
    assert "2 miembro(s)" in busy.text
    with session.begin():
        make_feedback(session, team_id=world.other_team_id, nps=3)
    history = post(admin, f"/admin/teams/{world.other_team_id}/delete", {})
    assert history.status_code == 409
    assert "1 registro(s) más" in history.text
    assert count(session, Team) == 2
    assert post(admin, "/admin/teams/99999/delete", {}).status_code == 404


# --- API tokens ---


def test_token_is_shown_once_then_revoked_at_once(
    browser: Browser, world: World, session: Session, client: TestClient
) -> None:
    admin = browser(Role.ADMIN)
    page = admin.get("/settings/tokens").text
    assert "autofocus" in page
    assert "Aún no hay tokens de API." in page
    response = post(admin, "/settings/tokens", {"name": "Sincronización Zendesk", "role": "cx_manager"})
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    match = TOKEN.search(response.text)
    assert match, response.text
    token = match.group(1)
    assert "data-copy" in response.text
    assert "solo esta vez" in response.text
    with session.begin():
        row = session.execute(select(ApiToken)).scalar_one()
        assert row.token_hash == hash_token(token)
        assert token not in (row.token_hash, row.prefix)
        token_id = row.id

    again = admin.get("/settings/tokens").text
    assert token not in again
    assert "Sincronización Zendesk" in again
    assert f"{token[:12]}…" in again

    bearer = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["role"] == "cx_manager"
    assert "Nunca" not in admin.get("/settings/tokens").text  # last used is now set

    revoked = post(admin, f"/settings/tokens/{token_id}/revoke", {})
    assert revoked.status_code == 303
    listing = admin.get("/settings/tokens").text
    assert "Revocado" in listing
    assert "token se revocó" in listing
    assert "data-confirm" not in listing.split("Sincronización Zendesk", 1)[1].split("</tr>", 1)[0]
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert post(admin, "/settings/tokens/99999/revoke", {}).status_code == 404


def test_a_users_token_is_scoped_like_the_user(
    browser: Browser, world: World, session: Session, client: TestClient
) -> None:
    admin = browser(Role.ADMIN)
    data = {"name": "Bot del agente", "role": "", "owner": world.emails[Role.AGENT]}
    response = post(admin, "/settings/tokens", data)
    assert response.status_code == 201
    match = TOKEN.search(response.text)
    assert match
    bearer = {"Authorization": f"Bearer {match.group(1)}"}
    me = client.get("/api/v1/me", headers=bearer).json()
    assert me == {"role": "agent", "user_id": world.user_ids[Role.AGENT], "team_id": world.team_id, "token_id": 1}
    assert "Agent Pérez" in admin.get("/settings/tokens").text
    # Deactivating the owner closes the token too.
    post(
        admin,
        f"/admin/users/{world.user_ids[Role.AGENT]}",
        {"name": "Agent Pérez", "role": "agent", "team_id": str(world.team_id), "locale": "es"},
    )
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "role": "viewer"}, "name", "necesita un nombre"),
        ({"name": "Sin dueño", "role": "supervisor"}, "owner", "necesita un propietario"),
        ({"name": "Sin rol", "role": ""}, "role", "elija un rol o un propietario"),
        ({"name": "Nadie", "role": "", "owner": "nadie@example.com"}, "owner", "ningún usuario"),
        ({"name": "Más rol", "role": "admin", "owner": "agent@example.com"}, "role", "rol de ese usuario"),
    ],
)
def test_token_errors(
    browser: Browser, world: World, session: Session, data: dict[str, str], field: str, message: str
) -> None:
    admin = browser(Role.ADMIN)
    response = post(admin, "/settings/tokens", data)
    assert response.status_code == 422
    error = re.search(rf'<small id="e-{field}" class="error-text">([^<]*)</small>', response.text)
    assert error, response.text
    assert message in error.group(1)
    assert not TOKEN.search(response.text)
    assert count(session, ApiToken) == 0
