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
CASE_ROLES = frozenset({Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR, Role.AGENT})

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
    ("GET", "/api/v1/cases", "/api/v1/cases", CASE_ROLES),
    ("POST", "/api/v1/cases", "/api/v1/cases", WRITERS),
    ("GET", "/api/v1/cases/{case_id}", "/api/v1/cases/999999", CASE_ROLES),
    ("POST", "/api/v1/cases/assign", "/api/v1/cases/assign", WRITERS),
    ("POST", "/api/v1/cases/{case_id}/assign", "/api/v1/cases/999999/assign", WRITERS),
    ("POST", "/api/v1/cases/{case_id}/status", "/api/v1/cases/999999/status", CASE_ROLES),
    ("POST", "/api/v1/cases/{case_id}/priority", "/api/v1/cases/999999/priority", WRITERS),
    ("POST", "/api/v1/cases/{case_id}/notes", "/api/v1/cases/999999/notes", CASE_ROLES),
    ("POST", "/api/v1/cases/{case_id}/root-cause", "/api/v1/cases/999999/root-cause", CASE_ROLES),
    ("POST", "/api/v1/cases/{case_id}/contacted", "/api/v1/cases/999999/contacted", CASE_ROLES),
    ("POST", "/api/v1/cases/{case_id}/compensations", "/api/v1/cases/999999/compensations", CASE_ROLES),
    ("POST", "/api/v1/cases/{case_id}/escalate", "/api/v1/cases/999999/escalate", CASE_ROLES),
    ("GET", "/api/v1/cases-dashboard", "/api/v1/cases-dashboard", CASE_ROLES),
    ("GET", "/api/v1/case-rules", "/api/v1/case-rules", WRITERS),
    ("POST", "/api/v1/case-rules", "/api/v1/case-rules", MANAGERS),
    ("GET", "/api/v1/case-rules/{rule_id}", "/api/v1/case-rules/999999", WRITERS),
    ("PUT", "/api/v1/case-rules/{rule_id}", "/api/v1/case-rules/999999", MANAGERS),
    ("DELETE", "/api/v1/case-rules/{rule_id}", "/api/v1/case-rules/999999", MANAGERS),
    ("POST", "/api/v1/case-rules/backtest", "/api/v1/case-rules/backtest", MANAGERS),
    ("GET", "/api/v1/case-calendars", "/api/v1/case-calendars", WRITERS),
    ("GET", "/api/v1/case-calendars/presets", "/api/v1/case-calendars/presets", WRITERS),
    ("POST", "/api/v1/case-calendars", "/api/v1/case-calendars", MANAGERS),
    ("PUT", "/api/v1/case-calendars/{calendar_id}", "/api/v1/case-calendars/999999", MANAGERS),
    ("GET", "/api/v1/sla-policies", "/api/v1/sla-policies", WRITERS),
    ("POST", "/api/v1/sla-policies", "/api/v1/sla-policies", MANAGERS),
    ("PUT", "/api/v1/sla-policies/{policy_id}", "/api/v1/sla-policies/999999", MANAGERS),
    ("GET", "/api/v1/compensation-limits", "/api/v1/compensation-limits", WRITERS),
    ("PUT", "/api/v1/compensation-limits", "/api/v1/compensation-limits", MANAGERS),
    ("GET", "/api/v1/notifications", "/api/v1/notifications", ADMINS),
    ("POST", "/api/v1/notifications/replay", "/api/v1/notifications/replay", ADMINS),
    ("GET", "/api/v1/webhooks", "/api/v1/webhooks", ADMINS),
    ("POST", "/api/v1/webhooks", "/api/v1/webhooks", ADMINS),
    ("PATCH", "/api/v1/webhooks/{endpoint_id}", "/api/v1/webhooks/999999", ADMINS),
    ("DELETE", "/api/v1/webhooks/{endpoint_id}", "/api/v1/webhooks/999999", ADMINS),
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
