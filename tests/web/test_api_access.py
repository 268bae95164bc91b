"""Who may call which API route: every route checks a bearer token and its role (a matrix)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.web.deps import current_principal
from tests.web.conftest import World, app_routes

EVERYONE = frozenset(Role)
WRITERS = frozenset({Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR})
MANAGERS = frozenset({Role.ADMIN, Role.CX_MANAGER})
ADMINS = frozenset({Role.ADMIN})

# (method, path as routed, path to call, who may call it)
MATRIX = [
    ("GET", "/api/v1/me", "/api/v1/me", EVERYONE),
    ("GET", "/api/v1/tokens", "/api/v1/tokens", ADMINS),
    ("DELETE", "/api/v1/tokens/{token_id}", "/api/v1/tokens/999999", ADMINS),
    ("POST", "/api/v1/analytics/sync", "/api/v1/analytics/sync", MANAGERS),
    ("GET", "/api/v1/analytics/check", "/api/v1/analytics/check", MANAGERS),
    ("POST", "/api/v1/feedback", "/api/v1/feedback", WRITERS),
    ("GET", "/api/v1/feedback", "/api/v1/feedback", EVERYONE),
    ("GET", "/api/v1/feedback/{feedback_id}", "/api/v1/feedback/999999", EVERYONE),
    ("GET", "/api/v1/imports/{import_id}", "/api/v1/imports/999999", WRITERS),
    ("GET", "/api/v1/metrics", "/api/v1/metrics", EVERYONE),
    ("GET", "/api/v1/metrics/{kpi}", "/api/v1/metrics/volume", EVERYONE),
]
OPEN = {"/api/v1/health", "/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/oauth2-redirect"}


def _depends_on(dependant: object, target: object) -> bool:
    stack = list(getattr(dependant, "dependencies", []))
    while stack:
        dep = stack.pop()
        if dep.call is target:
            return True
        stack.extend(dep.dependencies)
    return False


def test_every_api_route_is_in_the_matrix_and_checks_a_token(client: TestClient) -> None:
    routed = set()
    for route in app_routes(client.app):
        if not route.path.startswith("/api/") or route.path in OPEN:
            continue
        assert _depends_on(route.dependant, current_principal), f"{route.path} checks no token"
        for method in route.methods:
            routed.add((method, route.path))
    assert routed == {(m, p) for m, p, _, _ in MATRIX}


@pytest.fixture
def tokens(session: Session, world: World) -> dict[Role, str]:
    with session.begin():
        return {
            role: accounts.create_token(session, name=role.value, role=role, user_id=world.user_ids[role]).token
            for role in Role
        }


def test_the_api_role_matrix(client: TestClient, tokens: dict[Role, str]) -> None:
    for method, _, path, allowed in MATRIX:
        body = {"items": []} if method == "POST" and path.endswith("/feedback") else None
        assert client.request(method, path, json=body).status_code == 401, path
        for role in Role:
            response = client.request(method, path, json=body, headers={"Authorization": f"Bearer {tokens[role]}"})
            if role in allowed:
                assert response.status_code not in (401, 403), (method, path, role, response.text)
            else:
                assert response.status_code == 403, (method, path, role, response.text)
