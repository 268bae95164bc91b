"""Page-test fixtures: an app, one user per role (two teams), and browsers signed in as each of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.models import User
from pulso.app import create_app
from pulso.runtime import Runtime
from tests.factories import make_org, make_team

PASSWORD = "clave-segura-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@cache
def password_hash() -> str:
    """Hashed once per process: argon2 is slow on purpose."""
    return accounts.hash_password(PASSWORD)


@dataclass(frozen=True, slots=True)
class World:
    team_id: int
    other_team_id: int
    emails: dict[Role, str]
    user_ids: dict[Role, int]


@pytest.fixture
def world(session: Session) -> World:
    with session.begin():
        make_org(session, timezone="America/Mexico_City")
        team = make_team(session, "Atención Norte")
        other = make_team(session, "Atención Sur")
        emails: dict[Role, str] = {}
        ids: dict[Role, int] = {}
        for role in Role:
            email = f"{role.value}@example.com"
            user = User(
                email=email,
                name=f"{role.value.title()} Pérez",
                role=role,
                team_id=team.id if role in (Role.SUPERVISOR, Role.AGENT) else None,
                code=f"U-{role.value}",
                password_hash=password_hash(),
                locale="es",
            )
            session.add(user)
            session.flush()
            emails[role], ids[role] = email, user.id
    return World(team.id, other.id, emails, ids)


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime, sync_loop=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text


def post_form(client: TestClient, path: str, data: dict[str, str], *, page: str = "/account") -> object:
    """POST a form with the CSRF token taken from a page of the signed-in session."""
    token = csrf_from(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": token})


@pytest.fixture
def browser(app: FastAPI, world: World) -> Iterator[Callable[[Role], TestClient]]:
    """browser(role): a client signed in as the user of that role."""
    opened: list[TestClient] = []

    def open_as(role: Role) -> TestClient:
        c = TestClient(app, follow_redirects=False)
        c.__enter__()
        opened.append(c)
        sign_in(c, world.emails[role])
        return c

    yield open_as
    for c in opened:
        c.__exit__(None, None, None)


def app_routes(app: object) -> list[APIRoute]:
    """Every APIRoute of the app, including those of included routers (FastAPI keeps them nested)."""
    found: list[APIRoute] = []
    stack = list(getattr(app, "routes", []))
    while stack:
        route = stack.pop()
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            stack.extend(route.original_router.routes)
    return found
