"""A comment posted through the API is analysed by the queue once the import has committed it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.app import create_app
from pulso.config import Settings
from pulso.runtime import Runtime, set_runtime
from pulso.text.models import FeedbackText
from tests.factories import make_feedback, make_org


@pytest.fixture
def analysing_runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings.model_copy(update={"text_analysis": True}))
    set_runtime(rt)
    rt.migrate()
    yield rt
    rt.close()


def test_posted_comments_are_analysed_after_the_commit(analysing_runtime: Runtime) -> None:
    runtime = analysing_runtime
    with runtime.sessions() as session, session.begin():
        make_org(session)
        token = accounts.create_token(session, name="t", role=Role.CX_MANAGER).token
    body = {
        "items": [
            {"external_id": "A-1", "received_at": "2026-03-01T10:00:00Z", "nps": 2, "comment": "Me cobraron dos veces"},
            {"external_id": "A-2", "received_at": "2026-03-01T11:00:00Z", "nps": 10},
        ]
    }
    with TestClient(create_app(runtime, sync_loop=False, worker=False)) as client:
        response = client.post("/api/v1/feedback", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    with runtime.sessions() as session, session.begin():
        rows = session.scalars(select(FeedbackText)).all()
    assert len(rows) == 1  # the item without a comment has nothing to read
    assert rows[0].sentiment == "negative"
    assert rows[0].topics.startswith("billing")


def test_nothing_is_queued_when_analysis_is_off(runtime: Runtime) -> None:
    assert runtime.settings.text_analysis is False
    from pulso.text import tasks

    with runtime.sessions() as session, session.begin():
        make_feedback(session, comment="El pedido llegó tarde")
    tasks.request_analysis()  # the queue runs jobs inline here: it would have analysed the comment
    with runtime.sessions() as session, session.begin():
        assert session.scalars(select(FeedbackText)).all() == []
