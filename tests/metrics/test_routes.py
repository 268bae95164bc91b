"""`GET /api/v1/metrics/{kpi}` through the app: auth, roles, team scoping, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.app import create_app
from pulso.runtime import Runtime
from tests.factories import make_agent, make_feedback, make_org, make_team

DAY = datetime(2026, 3, 10, 15, tzinfo=UTC)
RANGE = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, sync_loop=False)) as c:
        yield c


@pytest.fixture
def tokens(session: Session) -> dict[str, str]:
    """Two teams with known NPS, and a token per role (supervisor of team A, agent of team B)."""
    with session.begin():
        make_org(session)
        team_a, team_b = make_team(session, "A"), make_team(session, "B")
        agent_a, agent_b = make_agent(session, team_a), make_agent(session, team_b)
        for i, score in enumerate([10, 10, 9, 3]):  # team A: NPS +50
            make_feedback(session, nps=score, team_id=team_a.id, agent_id=agent_a.id, received_at=DAY + timedelta(i))
        for i, score in enumerate([2, 5, 8, 10]):  # team B: NPS -25
            make_feedback(session, nps=score, team_id=team_b.id, agent_id=agent_b.id, received_at=DAY + timedelta(i))
        supervisor = accounts.create_user(
            session, email="sup@example.com", name="Sup", role=Role.SUPERVISOR, team_id=team_a.id
        )
        out = {
            role.value: accounts.create_token(session, name=role.value, role=role).token
            for role in (Role.ADMIN, Role.CX_MANAGER, Role.VIEWER)
        }
        out["supervisor"] = accounts.create_token(session, name="s", role=Role.SUPERVISOR, user_id=supervisor.id).token
        out["agent"] = accounts.create_token(session, name="a", role=Role.AGENT, user_id=agent_b.id).token
    return out


def _get(client: TestClient, token: str | None, path: str, **params: object) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get(path, params={**RANGE, **params}, headers=headers)
    return {"status": response.status_code, **response.json()}


def test_requires_a_valid_token(client: TestClient, tokens: dict[str, str]) -> None:
    assert _get(client, None, "/api/v1/metrics/nps")["status"] == 401
    assert _get(client, "pulso_not-a-token", "/api/v1/metrics/nps")["status"] == 401


def test_nps_by_team_with_statistics(client: TestClient, tokens: dict[str, str]) -> None:
    body = _get(client, tokens["viewer"], "/api/v1/metrics/nps", by="team")
    assert body["status"] == 200
    total = body["total"]
    assert isinstance(total, dict)
    assert total["n"] == 8
    assert total["value"] == pytest.approx(12.5)
    assert total["low"] < 12.5 < total["high"]
    rows = {r["label"]: r for r in body["rows"]}  # type: ignore[attr-defined]
    assert rows["A"]["value"] == pytest.approx(50.0)
    assert rows["B"]["value"] == pytest.approx(-25.0)
    assert rows["A"]["small_sample"] is True


def test_supervisor_and_agent_see_only_their_scope(client: TestClient, tokens: dict[str, str]) -> None:
    supervisor = _get(client, tokens["supervisor"], "/api/v1/metrics/nps", by="team")
    assert [r["label"] for r in supervisor["rows"]] == ["A"]  # type: ignore[attr-defined]
    assert supervisor["total"]["value"] == pytest.approx(50.0)  # type: ignore[index]
    # Asking for the other team does not widen the scope.
    other = _get(client, tokens["supervisor"], "/api/v1/metrics/nps", team="B")
    assert other["total"]["value"] == pytest.approx(50.0)  # type: ignore[index]
    agent = _get(client, tokens["agent"], "/api/v1/metrics/nps")
    assert agent["total"]["value"] == pytest.approx(-25.0)  # type: ignore[index]


def test_bad_requests_are_clear(client: TestClient, tokens: dict[str, str]) -> None:
    unknown = _get(client, tokens["admin"], "/api/v1/metrics/happiness")
    assert unknown["status"] == 422
    assert "happiness" in str(unknown["message"])
    wrong_dim = _get(client, tokens["admin"], "/api/v1/metrics/nps", by="category")
    assert wrong_dim["status"] == 422
    bad_grain = _get(client, tokens["admin"], "/api/v1/metrics/nps", grain="fortnight")
    assert bad_grain["status"] == 422
    assert bad_grain["details"][0]["field"] == "query.grain"  # type: ignore[index]
    missing_team = _get(client, tokens["admin"], "/api/v1/metrics/nps", team="Nope")
    assert missing_team["status"] == 422


def test_token_administration(client: TestClient, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['cx_manager']}"}
    assert client.get("/api/v1/tokens", headers=headers).status_code == 403
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert len(listed) == 5
    assert all("token_hash" not in t and "token" not in t for t in listed)
    viewer_id = next(t["id"] for t in listed if t["name"] == "viewer")
    assert client.delete(f"/api/v1/tokens/{viewer_id}", headers=admin).status_code == 204
    assert _get(client, tokens["viewer"], "/api/v1/metrics/nps")["status"] == 401


def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/metrics/{kpi}" in spec["paths"]
