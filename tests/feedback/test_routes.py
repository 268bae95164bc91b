"""`/api/v1/feedback` and `/api/v1/imports` through the app: auth, roles, bulk limits, errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.app import create_app
from pulso.runtime import Runtime
from tests.factories import make_agent, make_org, make_team, make_touchpoint


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, sync_loop=False)) as c:
        yield c


@pytest.fixture
def tokens(session: Session) -> dict[str, str]:
    with session.begin():
        make_org(session)
        team = make_team(session, "A")
        agent = make_agent(session, team)
        make_touchpoint(session, "TP-1")
        out = {role.value: accounts.create_token(session, name=role.value, role=role).token for role in Role}
        out["own-agent"] = accounts.create_token(session, name="a", role=Role.AGENT, user_id=agent.id).token
        out["agent-code"] = agent.code or ""
    return out


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _post(client: TestClient, token: str, body: Any, **params: Any) -> Any:
    return client.post("/api/v1/feedback", json=body, headers=_auth(token), params=params)


ONE = {"external_id": "W-1", "received_at": "2025-03-01T10:00:00Z", "nps": 9, "comment": "Muy bien", "channel": "web"}


def test_authentication_and_roles(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.post("/api/v1/feedback", json=ONE).status_code == 401
    assert _post(client, "pulso_not-a-token", ONE).status_code == 401
    assert _post(client, tokens["viewer"], ONE).status_code == 403
    assert _post(client, tokens["agent"], ONE).status_code == 403
    assert _post(client, tokens["supervisor"], ONE).status_code == 200
    assert client.get("/api/v1/feedback").status_code == 401


def test_one_item_then_the_same_again(client: TestClient, tokens: dict[str, str]) -> None:
    first = _post(client, tokens["cx_manager"], ONE)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["received"], body["inserted"], body["rejected"], body["errors"]) == (1, 1, 0, [])
    again = _post(client, tokens["cx_manager"], ONE).json()
    assert (again["inserted"], again["unchanged"]) == (0, 1)
    changed = _post(client, tokens["cx_manager"], {**ONE, "nps": 10}).json()
    assert changed["updated"] == 1
    listed = client.get("/api/v1/feedback", headers=_auth(tokens["viewer"])).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert (item["source"], item["nps"], item["channel"]) == ("api", 10, "web")
    one = client.get(f"/api/v1/feedback/{item['id']}", headers=_auth(tokens["viewer"]))
    assert one.json()["comment"] == "Muy bien"
    assert client.get("/api/v1/feedback/999999", headers=_auth(tokens["viewer"])).status_code == 404


def test_bulk_errors_carry_the_item_index_and_field(client: TestClient, tokens: dict[str, str]) -> None:
    items = [
        {**ONE, "external_id": "B-0"},
        {**ONE, "external_id": "B-1", "nps": 11},
        {"external_id": "B-2", "nps": 5},
        {**ONE, "external_id": "B-3", "touchpoint": "TP-X"},
        {**ONE, "external_id": "B-4", "touchpoint": "TP-1", "extras": {"campaña": "verano"}},
        {},
    ]
    response = _post(client, tokens["admin"], {"items": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["inserted"], body["rejected"]) == (6, 2, 4)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "nps"),
        (2, "received_at"),
        (3, "touchpoint"),
        (5, "received_at"),
        (5, "nps/comment"),
    ]
    assert body["errors"][0]["reason"] == "nps: 11 is outside 0–10 / fuera de 0–10"
    imported = client.get(f"/api/v1/imports/{body['import_id']}", headers=_auth(tokens["admin"])).json()
    assert (imported["status"], imported["rejected"], imported["errors_total"]) == ("done", 4, 5)
    assert imported["errors"][0]["row"] == 2  # rows are 1-based item numbers
    extras = client.get("/api/v1/feedback", params={"q": "bien", "touchpoint": "TP-1"}, headers=_auth(tokens["admin"]))
    assert [i["extras"] for i in extras.json()["items"]] == [{"campaña": "verano"}]


def test_all_invalid_is_422_and_all_or_nothing_stores_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    bad = _post(client, tokens["admin"], {"items": [{**ONE, "nps": 12}]})
    assert bad.status_code == 422
    assert bad.json()["details"]["errors"][0]["field"] == "nps"
    mixed = {"items": [{**ONE, "external_id": "M-1"}, {**ONE, "external_id": "M-2", "csat": 9}]}
    response = _post(client, tokens["admin"], mixed, all_or_nothing="true")
    assert response.status_code == 422
    assert response.json()["details"]["status"] == "rejected"
    assert client.get("/api/v1/feedback", headers=_auth(tokens["admin"])).json()["total"] == 0


def test_more_than_10000_items_is_413(client: TestClient, tokens: dict[str, str]) -> None:
    items = [{"received_at": "2025-01-01", "nps": 5}] * 10_001
    assert _post(client, tokens["admin"], {"items": items}).status_code == 413


def test_shape_errors_are_422_from_pydantic(client: TestClient, tokens: dict[str, str]) -> None:
    assert _post(client, tokens["admin"], {**ONE, "unknown": 1}).status_code == 422
    assert _post(client, tokens["admin"], {"items": "no"}).status_code == 422


def test_list_filters_and_agent_scope(client: TestClient, tokens: dict[str, str]) -> None:
    items = [
        {**ONE, "external_id": "L-1", "received_at": "2025-01-10T12:00:00Z", "channel": "phone", "comment": None},
        {**ONE, "external_id": "L-2", "received_at": "2025-02-10T12:00:00Z", "agent": tokens["agent-code"]},
        {**ONE, "external_id": "L-3", "received_at": "2025-03-10T12:00:00Z", "source": "review"},
    ]
    assert _post(client, tokens["admin"], {"items": items}).json()["inserted"] == 3

    def ids(token: str, **params: Any) -> list[str]:
        response = client.get("/api/v1/feedback", params=params, headers=_auth(token))
        assert response.status_code == 200, response.text
        return [i["external_id"] for i in response.json()["items"]]

    admin = tokens["admin"]
    assert ids(admin) == ["L-3", "L-2", "L-1"]
    assert ids(admin, **{"from": "2025-02-01", "to": "2025-03-01"}) == ["L-2"]
    assert ids(admin, channel="phone") == ["L-1"]
    assert ids(admin, source="review") == ["L-3"]
    assert ids(admin, has_comment="false") == ["L-1"]
    assert ids(admin, q="MUY") == ["L-3", "L-2"]
    assert ids(admin, size=1, page=2) == ["L-2"]
    assert ids(tokens["own-agent"]) == ["L-2"]
    assert ids(tokens["agent"]) == []  # an agent token with no person behind it sees nothing
