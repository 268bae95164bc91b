"""The text domain through the database: analysis stored and synced, corrections kept, learning, taxonomy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.analytics import service as analytics
from pulso.feedback.models import Feedback
from pulso.kit.errors import Forbidden, NotFound, ValidationFailed
from pulso.runtime import Runtime
from pulso.text import service
from pulso.text.analysis.taxonomy import Topic
from pulso.text.models import FeedbackText, FeedbackTopic, TextModel
from tests.factories import make_agent, make_feedback, make_org, make_team

MANAGER = Principal(role=Role.CX_MANAGER, user_id=None)

COMMENTS = [
    ("El pedido llegó tarde y nadie me avisó del retraso", 2),
    ("Me cobraron dos veces el mismo cargo en la factura", 1),
    ("La atención del agente fue excelente, muy amable", 10),
    ("The delivery was late again and nobody called", 3),
    ("Great staff, very friendly and helpful", 9),
    ("El producto llegó roto y no funciona", 0),
]


def _populate(session: Session) -> list[int]:
    make_org(session)
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    ids = []
    for i, (comment, nps) in enumerate(COMMENTS):
        row = make_feedback(session, received_at=start + timedelta(days=i), comment=comment, nps=nps)
        ids.append(row.id)
    make_feedback(session, received_at=start, comment=None, nps=5)  # no text: nothing to analyse
    return ids


def test_backfill_stores_every_comment_once_and_reaches_the_analytic_store(runtime: Runtime) -> None:
    with runtime.sessions() as session, session.begin():
        ids = _populate(session)
    seen: list[tuple[int, int]] = []
    first = service.analyze_pending(runtime.sessions, progress=lambda done, total: seen.append((done, total)))
    assert first.analysed == len(COMMENTS)
    assert first.remaining == 0
    assert seen[-1] == (len(COMMENTS), len(COMMENTS))
    again = service.analyze_pending(runtime.sessions)
    assert again.analysed == 0  # idempotent: the same models never read a comment twice
    with runtime.sessions() as session, session.begin():
        rows = {r.feedback_id: r for r in session.scalars(select(FeedbackText))}
        assert set(rows) == set(ids)
        assert all(r.model_version == first.version for r in rows.values())
        late = rows[ids[0]]
        assert late.language == "es"
        assert late.sentiment == "negative"
        assert late.sentiment_score < 0
        assert rows[ids[4]].language == "en"
        assert rows[ids[4]].sentiment == "positive"
        keys = set(session.scalars(select(FeedbackTopic.topic_key).where(FeedbackTopic.feedback_id == ids[0])))
        assert any(k.startswith("delivery") for k in keys)
        assert late.topics.split("|")[0].split(":")[0] in keys
        # The language a comment was imported without is filled in.
        assert session.get(Feedback, ids[3]).language == "en"  # type: ignore[union-attr]
    analytics.sync(runtime)
    with runtime.analytics.engine.connect() as conn:
        copied = conn.exec_driver_sql(
            "SELECT id, sentiment, sentiment_score, topics FROM feedback_facts WHERE sentiment IS NOT NULL ORDER BY id"
        ).all()
    assert [r[0] for r in copied] == ids
    assert copied[0][1] == "negative"
    assert copied[0][3].startswith("delivery")


def test_corrections_survive_a_new_model_and_reach_the_analytic_store(runtime: Runtime) -> None:
    with runtime.sessions() as session, session.begin():
        ids = _populate(session)
    service.analyze_pending(runtime.sessions)
    with runtime.sessions() as session, session.begin():
        service.correct_sentiment(session, MANAGER, ids[0], "neutral")
        service.correct_topics(session, MANAGER, ids[0], ["billing.wrong_charge"])
        with pytest.raises(ValidationFailed, match="topic"):
            service.correct_topics(session, MANAGER, ids[0], ["no.such.topic"])
        with pytest.raises(ValidationFailed, match="sentiment"):
            service.correct_sentiment(session, MANAGER, ids[0], "furious")
        # Read again as if by a newer model: the person's choices stay.
        session.get(FeedbackText, ids[0]).model_version = "older"  # type: ignore[union-attr]
    assert service.analyze_pending(runtime.sessions).analysed == 1
    with runtime.sessions() as session, session.begin():
        row = session.get(FeedbackText, ids[0])
        assert row is not None
        assert row.corrected_sentiment == "neutral"
        assert row.topics_corrected
        assert row.topics == "billing.wrong_charge:" or row.topics.startswith("billing.wrong_charge:")
        keys = list(session.scalars(select(FeedbackTopic.topic_key).where(FeedbackTopic.feedback_id == ids[0])))
        assert keys == ["billing.wrong_charge"]
        shown = service.analyses_of(session, [ids[0]], "en")[ids[0]]
        assert shown.sentiment == "neutral"
        assert shown.corrected
        assert shown.topics[0].key == "billing.wrong_charge"
    analytics.sync(runtime)
    with runtime.analytics.engine.connect() as conn:
        sentiment = conn.exec_driver_sql(f"SELECT sentiment FROM feedback_facts WHERE id = {ids[0]}").scalar_one()
    assert sentiment == "neutral"


def test_corrections_respect_roles_and_scope(runtime: Runtime) -> None:
    with runtime.sessions() as session, session.begin():
        ids = _populate(session)
        team = make_team(session)
        other = make_team(session)
        agent = make_agent(session, team)
        session.get(Feedback, ids[0]).team_id = team.id  # type: ignore[union-attr]
        team_id, other_id, agent_id = team.id, other.id, agent.id
    service.analyze_pending(runtime.sessions)
    with runtime.sessions() as session, session.begin():
        with pytest.raises(Forbidden):
            service.correct_sentiment(session, Principal(role=Role.AGENT, user_id=agent_id), ids[0], "neutral")
        with pytest.raises(Forbidden):
            service.correct_sentiment(session, Principal(role=Role.VIEWER), ids[0], "neutral")
        with pytest.raises(NotFound):
            service.correct_sentiment(session, Principal(role=Role.SUPERVISOR, team_id=other_id), ids[0], "neutral")
        row = service.correct_sentiment(session, Principal(role=Role.SUPERVISOR, team_id=team_id), ids[0], "neutral")
        assert row.corrected_sentiment == "neutral"


def test_learning_promotes_only_a_better_model(runtime: Runtime) -> None:
    with runtime.sessions() as session, session.begin():
        _populate(session)
        report = service.retrain_sentiment(session, min_examples=200)
        assert not report.promoted
        assert "200" in report.reason
        assert session.scalar(select(func.count()).select_from(TextModel)) == 0
        # Enough labels: a candidate is trained, measured on held-out comments, and stored either way.
        start = datetime(2026, 4, 1, tzinfo=UTC)
        for i in range(120):
            good = i % 2 == 0
            make_feedback(
                session,
                received_at=start + timedelta(hours=i),
                comment=("Todo perfecto, gracias por la rapidez" if good else "Pésimo servicio, nunca más") + f" #{i}",
                nps=10 if good else 1,
            )
        report = service.retrain_sentiment(session, min_examples=50)
        assert report.examples + report.held_out >= 120
        assert report.held_out > 0
        assert set(report.candidate) >= {"accuracy", "macro_f1", "auc"}
        stored = session.scalars(select(TextModel)).all()
        assert len(stored) == 1
        assert stored[0].is_live is report.promoted
        assert stored[0].report["candidate_version"] == report.candidate_version


def test_taxonomy_edits_are_validated_and_change_the_model(runtime: Runtime) -> None:
    with runtime.sessions() as session, session.begin():
        make_org(session)
        before = service.analyzer(session).version
        parent = service.taxonomy(session).parents()[0].key
        topic = Topic("loyalty.points", parent, "Puntos de fidelidad", "Loyalty points", ("No me sumaron los puntos",))
        service.save_topic(session, MANAGER, topic)
        assert service.taxonomy(session).get("loyalty.points").name_en == "Loyalty points"
        assert service.analyzer(session).version != before
        with pytest.raises(ValidationFailed):
            service.save_topic(session, MANAGER, Topic("bad", "no.parent", "x", "x", ("x",)))
        with pytest.raises(Forbidden):
            service.save_topic(session, Principal(role=Role.SUPERVISOR, team_id=1), topic)
        with pytest.raises(ValidationFailed, match="subtopics"):
            service.delete_topic(session, MANAGER, parent)
        service.delete_topic(session, MANAGER, "loyalty.points")
        with pytest.raises(NotFound):
            service.delete_topic(session, MANAGER, "loyalty.points")


def test_distinctive_terms_per_segment(runtime: Runtime) -> None:
    from pulso.text.models import FeedbackText as Analysed
    from tests.factories import make_customer

    with runtime.sessions() as session, session.begin():
        make_org(session)
        premium = make_customer(session, segment="Premium")
        pyme = make_customer(session, segment="Pyme")
        for i in range(40):
            make_feedback(session, customer_id=premium.id, comment=f"La sala vip del aeropuerto estaba llena {i}")
            make_feedback(session, customer_id=pyme.id, comment=f"La factura mensual llegó con recargo {i}")
        rows = session.scalars(select(Feedback)).all()
        for row in rows:
            session.add(
                Analysed(
                    feedback_id=row.id,
                    language="es",
                    sentiment="negative",
                    sentiment_score=-0.5,
                    model_version="test",
                    topics="",
                )
            )
    with runtime.sessions() as session, session.begin():
        groups = {g.group: g for g in service.distinctive_terms_by(session, "segment", language="es")}
        assert set(groups) == {"Premium", "Pyme"}
        assert groups["Premium"].comments == 40
        premium_terms = [t for t, _ in groups["Premium"].terms]
        assert any(t.startswith("vip") or t.startswith("aeropuert") for t in premium_terms), premium_terms
        assert not any(t.startswith("factur") for t in premium_terms)
        with pytest.raises(ValidationFailed, match="by"):
            service.distinctive_terms_by(session, "shoe_size")
