"""A rule's SQL (repository.condition_sql) and its Python reading (logic.matches) agree, on both engines."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from pulso.cases import logic, repository
from pulso.feedback.enums import FeedbackSource
from pulso.interactions.enums import Channel
from pulso.text.models import FeedbackText, FeedbackTopic
from tests.cases.conftest import tx
from tests.factories import make_customer, make_feedback

TOPICS = ("delivery_delay", "staff_attitude", "billing_error")
SEGMENTS = ("Premium", "Ocasional")
CHANNELS = (Channel.WEB, Channel.PHONE, Channel.EMAIL)


def _maybe(rng: random.Random, value: Any, p: float = 0.25) -> Any:
    return None if rng.random() < p else value


def _world(session: Session) -> list[int]:
    rng = random.Random(11)
    customers = [make_customer(session, segment=s) for s in SEGMENTS]
    customers[0].is_key_account = True
    ids = []
    for i in range(60):
        customer = _maybe(rng, rng.choice(customers))
        fb = make_feedback(
            session,
            received_at=datetime(2026, 2, 1, tzinfo=UTC),
            source=rng.choice([FeedbackSource.SURVEY, FeedbackSource.REVIEW]),
            nps=_maybe(rng, rng.randint(0, 10)),
            csat=_maybe(rng, rng.randint(1, 5)),
            ces=_maybe(rng, rng.randint(1, 7)),
            channel=_maybe(rng, rng.choice(CHANNELS)),
            customer_id=customer.id if customer else None,
            comment=f"c{i}",
        )
        if rng.random() < 0.7:
            sentiment = rng.choice(logic.SENTIMENTS)
            session.add(
                FeedbackText(
                    feedback_id=fb.id,
                    language=rng.choice(["es", "en"]),
                    sentiment=sentiment,
                    sentiment_score=round(rng.uniform(-1, 1), 2),
                    key_phrases=[],
                    topics="",
                    model_version="t",
                    corrected_sentiment=_maybe(rng, "positive", 0.9),
                )
            )
            for key in rng.sample(TOPICS, rng.randint(0, 2)):
                session.add(FeedbackTopic(feedback_id=fb.id, topic_key=key, score=0.9, sentiment=None, terms=[]))
        ids.append(fb.id)
    return ids


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    def ordered(name: str, low: int, high: int) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {"field": st.just(name), "op": st.sampled_from(logic.ORDER_OPS), "value": st.integers(low, high)}
        )

    def one_of_set(name: str, values: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
        return st.one_of(
            st.fixed_dictionaries(
                {"field": st.just(name), "op": st.sampled_from(["eq", "ne"]), "value": st.sampled_from(values)}
            ),
            st.fixed_dictionaries(
                {
                    "field": st.just(name),
                    "op": st.just("in"),
                    "value": st.lists(st.sampled_from(values), min_size=1, max_size=2),
                }
            ),
        )

    return st.one_of(
        ordered("nps", 0, 10),
        ordered("csat", 1, 5),
        ordered("ces", 1, 7),
        st.fixed_dictionaries(
            {
                "field": st.just("sentiment_score"),
                "op": st.sampled_from(["lt", "lte", "gt", "gte"]),
                "value": st.floats(-1, 1, allow_nan=False),
            }
        ),
        one_of_set("sentiment", logic.SENTIMENTS),
        one_of_set("channel", tuple(c.value for c in CHANNELS)),
        one_of_set("source", ("survey", "review")),
        one_of_set("segment", SEGMENTS),
        one_of_set("language", ("es", "en")),
        st.fixed_dictionaries({"field": st.just("key_account"), "op": st.just("is"), "value": st.booleans()}),
        st.fixed_dictionaries(
            {
                "field": st.just("topic"),
                "op": st.just("has"),
                "value": st.lists(st.sampled_from(TOPICS), min_size=1, max_size=2),
            }
        ),
    )


CONDITIONS = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=3)}),
    ),
    max_leaves=6,
)


def test_sql_and_python_agree_on_random_conditions(session: Session) -> None:
    with tx(session):
        ids = _world(session)
    with tx(session):
        values = repository.rule_values(session, ids)
    since = datetime(2026, 1, 1, tzinfo=UTC)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(CONDITIONS)
    def agree(data: dict[str, Any]) -> None:
        try:
            condition = logic.parse_condition(data)
        except logic.ConditionError:
            return  # deeper than a rule may be
        with tx(session):
            in_sql = repository.matching_ids(session, ids, repository.condition_sql(condition), since)
        in_python = {i for i in ids if logic.matches(condition, values[i])}
        assert in_sql == in_python, logic.condition_to_data(condition)

    agree()
