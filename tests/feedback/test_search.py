"""Search over comments: accents, case and ñ ignored, every word must match, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.feedback import logic, service
from pulso.feedback.models import Feedback
from pulso.feedback.repository import FeedbackFilters
from pulso.feedback.schemas import FeedbackIn
from pulso.kit.pagination import PageParams
from pulso.runtime import Runtime
from tests.factories import make_agent, make_feedback, make_org, make_team

ADMIN = Principal(role=Role.ADMIN, user_id=None)

COMMENTS = {
    "A": "La ATENCIÓN fue pésima y muy lenta",
    "B": "Excelente atención, resolvieron mi problema",
    "C": "El año pasado la señal era mejor",
    "D": "Great customer service, very fast",
    "E": "Slow delivery and the service was rude",
    "F": "Pedí un reembolso 100% y no llegó",
    "G": "Todo bien",
}


def test_fold_text_and_the_polars_fold_agree() -> None:
    samples = ["Atención", "AÑO", "Pingüino", "Ça va", "ﬁn", "İstanbul", "naïve café", "ÁÉÍÓÚÜÑ"]
    import polars as pl

    folded = pl.Series(samples).to_frame("c").select(logic.fold_expr(pl.col("c")))["c"].to_list()
    assert folded == [logic.fold_text(s) for s in samples]
    assert logic.fold_text("Atención AÑO") == "atencion ano"


def test_search_terms_words_and_phrases() -> None:
    assert logic.search_terms('  Atención "muy   LENTA" ñu ') == ["atencion", "muy lenta", "nu"]
    assert logic.search_terms("") == []
    assert logic.search_terms('"unclosed phrase') == ["unclosed", "phrase"]
    assert logic.search_terms("a a A á") == ["a"]


def test_highlight_marks_the_original_spelling() -> None:
    spans = logic.highlight_spans("La ATENCIÓN fue buena; atencion", ["atencion"])
    assert spans == [("La ", False), ("ATENCIÓN", True), (" fue buena; ", False), ("atencion", True)]
    assert logic.highlight_spans("sin nada", ["x"]) == [("sin nada", False)]


def _seed(session: Session) -> dict[str, int]:
    with session.begin():
        make_org(session, timezone="America/Mexico_City")
        ids = {}
        for n, (key, comment) in enumerate(COMMENTS.items()):
            row = make_feedback(session, nps=5, comment=comment, received_at=datetime(2026, 1, 1 + n, tzinfo=UTC))
            ids[key] = row.id
        return ids


def _search(session: Session, q: str, principal: Principal = ADMIN, **filters: object) -> set[int]:
    page = service.list_feedback(session, principal, FeedbackFilters(q=q, **filters), PageParams(size=100))  # type: ignore[arg-type]
    return {f.id for f in page.items}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("atencion", {"A", "B"}),  # no accent finds the accented word
        ("ATENCIÓN", {"A", "B"}),  # case and accent in the query are folded too
        ("senal", {"C"}),  # ñ → n
        ("ano pasado", {"C"}),  # two words: both must be there
        ("año", {"C"}),
        ("service", {"D", "E"}),  # English
        ("service rude", {"E"}),
        ('"customer service"', {"D"}),  # a phrase
        ('"service customer"', set()),
        ("atencion rude", set()),  # words from two comments: nothing
        ("100%", {"F"}),  # LIKE's wildcards are taken literally
        ("_", set()),
        ("llego", {"F"}),
        ("zzz", set()),
    ],
)
def test_search_is_accent_and_case_insensitive(session: Session, query: str, expected: set[str]) -> None:
    ids = _seed(session)
    assert _search(session, query) == {ids[k] for k in expected}


def test_a_blank_search_filters_nothing(session: Session) -> None:
    ids = _seed(session)
    assert _search(session, "   ") == set(ids.values())


def test_search_keeps_the_access_scope(session: Session) -> None:
    with session.begin():
        make_org(session)
        team, other = make_team(session), make_team(session)
        agent = make_agent(session, team)
        mine = make_feedback(session, comment="Atención rápida", team_id=team.id, agent_id=agent.id).id
        theirs = make_feedback(session, comment="Atención lenta", team_id=other.id).id
    supervisor = Principal(role=Role.SUPERVISOR, user_id=None, team_id=team.id)
    assert _search(session, "atencion") == {mine, theirs}
    assert _search(session, "atencion", supervisor) == {mine}
    assert _search(session, "atencion", Principal(role=Role.AGENT, user_id=agent.id, team_id=team.id)) == {mine}
    assert _search(session, "lenta", supervisor) == set()
    assert _search(session, "atencion", channel="web") == set()


def test_every_write_path_stores_the_folded_comment(runtime: Runtime, session: Session) -> None:
    with session.begin():
        make_org(session)
    report = service.import_items(
        runtime,
        [
            FeedbackIn(external_id="api-1", received_at="2026-01-05T10:00:00", nps=9, comment="Muy buena ATENCIÓN"),
            FeedbackIn(external_id="api-2", received_at="2026-01-05T11:00:00", nps=3),
        ],
    )
    assert report.inserted == 2
    rows = dict(session.execute(select(Feedback.external_id, Feedback.comment_folded)).all())
    assert rows == {"api-1": "muy buena atencion", "api-2": None}
    session.rollback()
    # The same key with a new comment: the folded copy follows.
    service.import_items(
        runtime, [FeedbackIn(external_id="api-1", received_at="2026-01-05T10:00:00", nps=9, comment="Señal débil")]
    )
    folded = session.execute(select(Feedback.comment_folded).where(Feedback.external_id == "api-1")).scalar_one()
    assert folded == "senal debil"
    session.rollback()
    # Through the ORM (factories, future single-row services): on insert and on change.
    with session.begin():
        row = make_feedback(session, comment="Él llamó")
        assert row.comment_folded == "el llamo"
        row.comment = "Otra Opinión"
    assert session.execute(select(Feedback.comment_folded).where(Feedback.id == row.id)).scalar_one() == "otra opinion"


def test_the_trigram_index_exists_on_postgresql(session: Session) -> None:
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    definition = session.execute(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_feedback_comment_folded_trgm'")
    ).scalar_one()
    assert "gin" in definition
    assert "gin_trgm_ops" in definition


def test_the_migration_folds_the_comments_already_stored(tmp_path: Path) -> None:
    from pulso.kit.db import make_engine
    from pulso.migrations import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO feedback (source, external_id, received_at, comment, extras, version, created_at,"
                " updated_at) VALUES ('survey', :key, '2026-01-01 00:00:00', :comment, '{}', 1,"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            [{"key": "old-1", "comment": "Atención PÉSIMA"}, {"key": "old-2", "comment": None}],
        )
    upgrade(engine)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT external_id, comment_folded FROM feedback")).all())
    engine.dispose()
    assert rows == {"old-1": "atencion pesima", "old-2": None}


def test_the_api_searches_the_same_way(runtime: Runtime, session: Session) -> None:
    from fastapi.testclient import TestClient

    from pulso.accounts import service as accounts
    from pulso.app import create_app

    ids = _seed(session)
    with session.begin():
        token = accounts.create_token(session, name="v", role=Role.VIEWER).token
    with TestClient(create_app(runtime, sync_loop=False)) as client:
        response = client.get(
            "/api/v1/feedback", params={"q": "ATENCION pesima"}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [ids["A"]]
