"""Sign-in, sign-out, sessions, CSRF, language and password change, through the app."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from pulso.accounts.enums import Role
from tests.web.conftest import PASSWORD, World, app_routes, csrf_from, post_form, sign_in


def test_pages_need_a_session(client: TestClient, world: World) -> None:
    response = client.get("/account?tab=x")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount%3Ftab%3Dx"
    htmx = client.get("/account", headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"].startswith("/login")


def test_sign_in_and_out(client: TestClient, world: World) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": "CX_MANAGER@example.com ", "password": PASSWORD, "csrf_token": token, "next": "/account"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    assert "Cx_Manager Pérez" in page.text
    assert 'lang="es"' in page.text
    assert "Cerrar sesión" in page.text
    logout = post_form(client, "/logout", {})
    assert logout.status_code == 303  # type: ignore[attr-defined]
    assert client.get("/account").status_code == 303


def test_wrong_password_is_refused_and_throttled(client: TestClient, world: World) -> None:
    token = csrf_from(client.get("/login").text)
    for _ in range(5):
        response = client.post("/login", data={"email": world.emails[Role.ADMIN], "password": "x", "csrf_token": token})
        assert response.status_code == 401
        assert "Correo o contraseña incorrectos." in response.text
    response = client.post(
        "/login", data={"email": world.emails[Role.ADMIN], "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Demasiados intentos" in response.text


def test_next_never_leaves_the_site(client: TestClient, world: World) -> None:
    token = csrf_from(client.get("/login").text)
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            "/login",
            data={"email": world.emails[Role.VIEWER], "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert response.headers["location"] == "/"
        token = csrf_from(client.get("/account").text)


def test_forms_without_the_csrf_token_are_refused(client: TestClient, world: World) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": world.emails[Role.ADMIN], "password": PASSWORD})
    assert response.status_code == 403
    assert "formulario caducó" in response.text
    sign_in(client, world.emails[Role.ADMIN])
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.post("/logout", headers={"X-CSRF-Token": "forged"}).status_code == 403
    token = csrf_from(client.get("/account").text)
    assert client.post("/logout", headers={"X-CSRF-Token": token}).status_code == 303


def test_every_page_form_route_checks_csrf(client: TestClient) -> None:
    """No state-changing page route may skip the CSRF dependency."""
    from pulso.web.deps import csrf_protect

    checked = 0
    for route in app_routes(client.app):
        if route.path.startswith("/api/"):
            continue
        if route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            calls = [d.call for d in route.dependant.dependencies]
            assert csrf_protect in calls, f"{route.path} has no CSRF check"
            checked += 1
    assert checked >= 4  # /login, /logout, /language, /account/password at least


def test_language_switch_is_kept_on_the_user(browser: Callable[[Role], TestClient]) -> None:
    client = browser(Role.SUPERVISOR)
    assert "Su cuenta" in client.get("/account").text
    response = post_form(client, "/language", {"locale": "en", "next": "/account"})
    assert response.headers["location"] == "/account"  # type: ignore[attr-defined]
    page = client.get("/account").text
    assert "Your account" in page
    assert 'lang="en"' in page


def test_language_before_sign_in(client: TestClient, world: World) -> None:
    token = csrf_from(client.get("/login").text)
    client.post("/language", data={"locale": "en", "next": "/login", "csrf_token": token})
    assert "Sign in to Pulso" in client.get("/login").text


def test_password_change_signs_out_other_sessions(browser: Callable[[Role], TestClient], world: World) -> None:
    here, elsewhere = browser(Role.AGENT), browser(Role.AGENT)
    mismatch = post_form(here, "/account/password", {"current": PASSWORD, "new": "otra-clave-2", "confirm": "x"})
    assert mismatch.status_code == 422  # type: ignore[attr-defined]
    assert "no coinciden" in mismatch.text  # type: ignore[attr-defined]
    wrong = post_form(here, "/account/password", {"current": "nope", "new": "otra-clave-2", "confirm": "otra-clave-2"})
    assert wrong.status_code == 401  # type: ignore[attr-defined]
    assert "contraseña actual no es correcta" in wrong.text  # type: ignore[attr-defined]
    done = post_form(here, "/account/password", {"current": PASSWORD, "new": "otra-clave-2", "confirm": "otra-clave-2"})
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert "Su contraseña se cambió." in here.get("/account").text
    assert elsewhere.get("/account").status_code == 303  # signed out by the change


def test_inactive_user_loses_the_session(browser: Callable[[Role], TestClient], session: object, world: World) -> None:
    from sqlalchemy.orm import Session

    from pulso.accounts.models import User

    client = browser(Role.VIEWER)
    assert client.get("/account").status_code == 200
    assert isinstance(session, Session)
    with session.begin():
        user = session.get(User, world.user_ids[Role.VIEWER])
        assert user is not None
        user.is_active = False
    assert client.get("/account").status_code == 303


def test_pages_send_security_headers(client: TestClient, world: World) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()


def test_unknown_page_is_a_page(client: TestClient, world: World) -> None:
    sign_in(client, world.emails[Role.ADMIN])
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "No encontrado" in response.text
    assert "no hay ninguna página en esta dirección" in response.text
    assert "Not Found" not in response.text
    assert client.get("/api/v1/no-such").json()["error"] == "http_error"


def test_a_write_is_committed_before_its_response_leaves(
    app: object, world: World, session: object, runtime: object
) -> None:
    """The page a redirect leads to must see the write: the commit precedes the response (not after it)."""
    from sqlalchemy import select
    from starlette.types import Message, Receive, Scope, Send

    from pulso.accounts.models import User
    from pulso.runtime import Runtime

    assert isinstance(runtime, Runtime)
    seen: list[str] = []

    class PeekAtResponseStart:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def peek(message: Message) -> None:
                if message["type"] == "http.response.start" and scope.get("path") == "/language":
                    with runtime.sessions() as s:
                        locale = s.scalar(select(User.locale).where(User.id == world.user_ids[Role.AGENT]))
                        seen.append(str(locale))
                await send(message)

            await self.inner(scope, receive, peek)  # type: ignore[operator]

    with TestClient(PeekAtResponseStart(app), follow_redirects=False) as c:  # type: ignore[arg-type]
        sign_in(c, world.emails[Role.AGENT])
        response = post_form(c, "/language", {"locale": "en", "next": "/account"})
        assert response.status_code == 303  # type: ignore[attr-defined]
    assert seen == ["en"]
