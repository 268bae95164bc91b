"""The text-analytics pages through the app, on SQLite and PostgreSQL: Topics numbers worked out by hand,
filters, the explorer's sentiment and topic filters and corrections, the taxonomy editor, themes."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.interactions.enums import Channel
from pulso.metrics import logic as stats
from pulso.text.models import DiscoveredTheme, FeedbackText, FeedbackTopic, TaxonomyTopic
from tests.factories import make_feedback
from tests.web import conftest as web
from tests.web.conftest import World, csrf_from

# The page fixtures of tests/web (an app, a user per role, browsers signed in as each).
app, browser, world = web.app, web.browser, web.world

PERIOD = "period=custom&from=2026-11-01&to=2026-11-30"  # the previous period: 2026-10-02 to 2026-10-31
NOW = datetime(2026, 11, 10, 18, tzinfo=UTC)
BEFORE = datetime(2026, 10, 10, 18, tzinfo=UTC)
A, T, B = "delivery.delay", "delivery.tracking", "staff.attitude"


@dataclass(frozen=True)
class Data:
    ids: list[int]  # the current period's rows, in the order of CURRENT
    before_a: int  # the previous period's comment about A


# (nps, topics as stored: "key:clause sentiment|key:", comment score, channel)
CURRENT: list[tuple[int | None, str, float, Channel]] = [
    (0, f"{A}:-0.800", -0.8, Channel.PHONE),
    (2, f"{A}:-0.800", -0.8, Channel.PHONE),
    (3, f"{A}:-0.800", -0.8, Channel.PHONE),
    (9, f"{A}:-0.800", 0.1, Channel.PHONE),
    (1, f"{A}:|{T}:-0.200", -0.4, Channel.PHONE),  # A has no clause sentiment: the comment's score counts
    (10, f"{B}:0.900", 0.9, Channel.WEB),
    (10, f"{B}:0.900", 0.9, Channel.WEB),
    (9, f"{B}:0.700", 0.7, Channel.WEB),
    (7, f"{B}:0.500", 0.5, Channel.WEB),
    (8, "", 0.0, Channel.WEB),  # analysed, no topic
    (None, f"{A}:", -0.5, Channel.PHONE),  # a review without NPS
]


def approx(value: float | None) -> object:
    """The CSV keeps six decimals."""
    return pytest.approx(value, abs=1e-5)


def _label(score: float) -> str:
    return "negative" if score < -0.05 else "positive" if score > 0.05 else "neutral"


def _add(session: Session, when: datetime, nps: int | None, topics: str, score: float, channel: Channel) -> int:
    row = make_feedback(session, received_at=when, nps=nps, channel=channel, comment=f"comentario {topics or 'nada'}")
    session.add(
        FeedbackText(
            feedback_id=row.id,
            language="es",
            sentiment=_label(score),
            sentiment_score=score,
            key_phrases=[],
            topics=topics,
            model_version="test",
            topics_corrected=False,
        )
    )
    for part in filter(None, topics.split("|")):
        key, _, clause = part.partition(":")
        terms = ["comentario"] if key == A else []
        session.add(
            FeedbackTopic(
                feedback_id=row.id, topic_key=key, score=1.0, sentiment=float(clause) if clause else None, terms=terms
            )
        )
    session.flush()
    return row.id


@pytest.fixture
def data(session: Session, world: World) -> Data:
    with session.begin():
        ids = [_add(session, NOW, *values) for values in CURRENT]
        make_feedback(session, received_at=NOW, nps=10, comment=None)  # not analysed: outside every number
        # The previous period: ten analysed comments, one of them about A.
        before_a = _add(session, BEFORE, 2, f"{A}:-0.5", -0.5, Channel.PHONE)
        for _ in range(9):
            _add(session, BEFORE, 8, "", 0.0, Channel.WEB)
    return Data(ids, before_a)


def _csv(client: TestClient, query: str) -> dict[tuple[str, str], dict[str, str]]:
    response = client.get(f"/topics/topics.csv?{query}")
    assert response.status_code == 200, response.text
    return {(r["level"], r["key"]): r for r in csv.DictReader(io.StringIO(response.text))}


def test_topic_numbers_match_the_hand_computation(browser: Callable[[Role], TestClient], data: Data) -> None:
    rows = _csv(browser(Role.CX_MANAGER), PERIOD)
    # Analysed now: 11 comments, 10 with NPS: promoters 4, passives 2, detractors 4 → NPS 0.
    a = rows[("topic", A)]
    assert int(a["mentions"]) == 6
    assert float(a["share"]) == approx(6 / 11)
    # Those who mention A: scores 0, 2, 3, 9, 1 → 1 promoter, 4 detractors → −60.
    assert float(a["nps_with"]) == approx(-60.0)
    assert int(a["nps_with_n"]) == 5
    # Those who do not: 10, 10, 9, 7, 8 → 3 promoters, 2 passives → +60; impact 0 − 60 = −60 points.
    assert float(a["nps_without"]) == approx(60.0)
    assert float(a["nps_impact"]) == approx(-60.0)
    assert float(a["sentiment"]) == approx((4 * -0.8 - 0.4 - 0.5) / 6)
    assert a["small_sample"] == "true"
    expected = stats.nps_z_test((1, 0, 4), (3, 2, 0))
    assert float(a["p_value"]) == approx(expected.p_value)
    assert expected.significant
    assert a["significant"] == "false"  # significant, but on five answers: not marked
    # Share 6/11 now against 1/10 before.
    rise = stats.newcombe_difference(6, 11, 1, 10)
    assert float(a["share_change"]) == approx(6 / 11 - 1 / 10)
    assert a["rising"] == ("true" if rise.significant else "false")
    assert int(a["previous_mentions"]) == 1

    b = rows[("topic", B)]
    # B: 10, 10, 9, 7 → +75; without it 0, 2, 3, 9, 1, 8 → 1 promoter, 1 passive, 4 detractors → −50; impact +50.
    assert float(b["nps_with"]) == approx(75.0)
    assert float(b["nps_without"]) == approx(-50.0)
    assert float(b["nps_impact"]) == approx(50.0)
    t = rows[("topic", T)]
    # T: one detractor (−100); without it 4 promoters, 2 passives, 3 detractors → 100/9; impact −100/9.
    assert float(t["nps_impact"]) == approx(0.0 - 100 / 9)
    # The parent counts row 5 (A and T) once: 6 comments, not 7.
    delivery = rows[("parent", "delivery")]
    assert int(delivery["mentions"]) == 6
    assert float(delivery["nps_impact"]) == approx(-60.0)
    assert delivery["parent"] == ""
    assert a["parent"] == "delivery"


def test_filters_narrow_the_numbers(browser: Callable[[Role], TestClient], data: Data) -> None:
    client = browser(Role.ADMIN)
    rows = _csv(client, PERIOD + "&channel=web")
    assert ("topic", A) not in rows
    b = rows[("topic", B)]
    assert int(b["mentions"]) == 4
    assert float(b["share"]) == approx(4 / 5)  # five analysed web comments
    assert float(b["nps_impact"]) == approx(100 * 3 / 5 - 0.0)  # +60 overall, 8 (passive) alone → 0
    bad = client.get("/topics?period=custom&from=2026-11-30&to=2026-11-01")
    assert bad.status_code == 422
    assert client.get("/topics?sort=nonsense").status_code == 422


def test_the_page_shows_topics_sentiment_and_drill_down(browser: Callable[[Role], TestClient], data: Data) -> None:
    client = browser(Role.VIEWER)
    page = client.get(f"/topics?{PERIOD}&sort=impact")
    assert page.status_code == 200
    html = page.text
    assert "Retrasos en la entrega" in html
    assert 'data-sentiment="negative"' in html
    assert 'id="topics-chart-data"' in html
    assert f"/feedback?topic={A}&amp;received_from=2026-11-01&amp;received_to=2026-11-30" in html
    # Sorted by impact, the costliest topic first.
    order = re.findall(r'<tr class="tp-(?:parent|leaf)" data-topic="([^"]+)"', html)
    assert order.index(A) < order.index(B)
    fragment = client.get(f"/topics?{PERIOD}", headers={"HX-Request": "true", "HX-Target": "topics-results"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text


def _listed(client: TestClient, query: str) -> set[int]:
    response = client.get(f"/feedback?{query}")
    assert response.status_code == 200, response.text
    return {int(i) for i in re.findall(r'href="/feedback/(\d+)[?"]', response.text)}


def test_explorer_filters_by_sentiment_and_topic_and_takes_corrections(
    browser: Callable[[Role], TestClient], data: Data
) -> None:
    ids = data.ids
    client = browser(Role.SUPERVISOR)
    admin = browser(Role.CX_MANAGER)
    assert _listed(admin, "topic=delivery") == {ids[i] for i in (0, 1, 2, 3, 4, 10)} | {data.before_a}
    assert _listed(admin, f"topic={T}") == {ids[4]}
    assert _listed(admin, "sentiment=positive&received_from=2026-11-01") == {ids[i] for i in (3, 5, 6, 7, 8)}
    assert admin.get("/feedback?topic=nope").status_code == 422
    assert admin.get("/feedback?sentiment=angry").status_code == 422
    # The comment's matching words are marked; the chips show on the row.
    listed = admin.get(f"/feedback?topic={A}").text
    assert '<mark class="topic-term">comentario</mark>' in listed
    assert 'class="chip topic-chip"' in listed

    target = ids[0]
    detail = admin.get(f"/feedback/{target}")
    assert 'data-set-sentiment="positive"' in detail.text
    token = csrf_from(detail.text)
    done = admin.post(f"/feedback/{target}/sentiment", data={"sentiment": "positive", "csrf_token": token})
    assert done.status_code == 303
    assert done.headers["location"] == f"/feedback/{target}"
    assert "Sentimiento corregido." in admin.get(f"/feedback/{target}").text
    done = admin.post(f"/feedback/{target}/topics", data={"topic": [B], "csrf_token": token})
    assert done.status_code == 303
    page = admin.get(f"/feedback/{target}").text
    assert "Temas corregidos." in page
    assert target in _listed(admin, "sentiment=positive")
    assert target not in _listed(admin, "sentiment=negative")
    assert target in _listed(admin, f"topic={B}")
    assert target not in _listed(admin, f"topic={A}")
    # A viewer may not correct; a supervisor only inside their team (these rows have no team: 404).
    viewer = browser(Role.VIEWER)
    token = csrf_from(viewer.get("/account").text)
    assert (
        viewer.post(f"/feedback/{target}/sentiment", data={"sentiment": "neutral", "csrf_token": token}).status_code
        == 403
    )
    token = csrf_from(client.get("/account").text)
    response = client.post(f"/feedback/{target}/sentiment", data={"sentiment": "neutral", "csrf_token": token})
    assert response.status_code == 404


def _post(client: TestClient, path: str, form: dict[str, str]) -> object:
    token = csrf_from(client.get("/account").text)
    return client.post(path, data={**form, "csrf_token": token})


def _topic(key: str, **values: str) -> dict[str, str]:
    return {"key": key, "parent": "", "name_es": "Nombre", "name_en": "Name", "examples": "un ejemplo", **values}


def test_the_taxonomy_editor_checks_each_field(
    browser: Callable[[Role], TestClient], session: Session, world: World
) -> None:
    assert browser(Role.SUPERVISOR).get("/topics/taxonomy").status_code == 403
    client = browser(Role.CX_MANAGER)
    listing = client.get("/topics/taxonomy")
    assert listing.status_code == 200
    assert "delivery.delay" in listing.text
    cases = [
        (_topic("Mal Clave"), "e-key", "minúsculas"),
        (_topic("nuevo.tema", name_es=""), "e-name_es", "Obligatorio."),
        (_topic("nuevo.tema", parent="delivery.delay"), "e-parent", "Un subtema no puede tener subtemas"),
        (_topic("nuevo.tema", examples="", keywords=""), "e-examples", "Un tema necesita ejemplos o palabras clave."),
        (_topic("delivery.delay"), "e-key", "Ya hay un tema con esta clave."),
    ]
    for form, error_id, text in cases:
        response = _post(client, "/topics/taxonomy", form)
        assert response.status_code == 422, form  # type: ignore[attr-defined]
        body = response.text  # type: ignore[attr-defined]
        assert f'id="{error_id}"' in body, (form, body[-3000:])
        assert text in body, form
    with session.begin():
        assert session.scalar(select(TaxonomyTopic).limit(1)) is None  # a refused form copies nothing
    created = _post(client, "/topics/taxonomy", _topic("delivery.drone", parent="delivery", keywords="dron, drone"))
    assert created.status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    with session.begin():
        row = session.get(TaxonomyTopic, "delivery.drone")
        assert row is not None
        assert (row.parent_key, row.keywords, row.origin) == ("delivery", ["dron", "drone"], "custom")
        assert session.get(TaxonomyTopic, "staff.attitude") is not None  # the shipped taxonomy was copied first
    edited = _post(
        client, "/topics/taxonomy", {**_topic("x", parent="delivery", name_en="By drone"), "editing": "delivery.drone"}
    )
    assert edited.status_code == 303  # type: ignore[attr-defined]
    refused = _post(client, "/topics/taxonomy/delivery/delete", {})
    assert refused.status_code == 303  # type: ignore[attr-defined]
    assert "tiene subtemas" in client.get("/topics/taxonomy").text
    assert _post(client, "/topics/taxonomy/delivery.drone/delete", {}).status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    with session.begin():
        assert session.get(TaxonomyTopic, "delivery") is not None
        assert session.get(TaxonomyTopic, "delivery.drone") is None


def test_accepting_a_theme_creates_a_topic(
    browser: Callable[[Role], TestClient], session: Session, world: World
) -> None:
    with session.begin():
        theme = DiscoveredTheme(
            key_words=["parking", "aparcamiento", "plazas"],
            examples=["No había aparcamiento libre", "Parking always full"],
            size=42,
        )
        other = DiscoveredTheme(key_words=["ruido"], examples=["Mucho ruido"], size=12)
        session.add_all([theme, other])
        session.flush()
        theme_id, other_id = theme.id, other.id
    client = browser(Role.ADMIN)
    page = client.get("/topics/taxonomy").text
    assert 'value="parking_aparcamiento"' in page  # the key proposed from the key words
    missing = _post(client, f"/topics/themes/{theme_id}/accept", {"key": "", "name_es": "x", "name_en": "y"})
    assert missing.status_code == 422  # type: ignore[attr-defined]
    form = {"key": "facilities.parking", "parent": "facilities", "name_es": "Aparcamiento", "name_en": "Parking"}
    assert _post(client, f"/topics/themes/{theme_id}/accept", form).status_code == 303  # type: ignore[attr-defined]
    assert _post(client, f"/topics/themes/{other_id}/reject", {}).status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    with session.begin():
        topic = session.get(TaxonomyTopic, "facilities.parking")
        assert topic is not None
        assert (topic.origin, topic.parent_key, topic.keywords[:2]) == (
            "discovered",
            "facilities",
            ["parking", "aparcamiento"],
        )
        assert session.get(DiscoveredTheme, theme_id).status == "accepted"  # type: ignore[union-attr]
        assert session.get(DiscoveredTheme, other_id).status == "rejected"  # type: ignore[union-attr]
    # Too few comments without a topic: the search ends at once and says how long it took.
    assert _post(client, "/topics/themes/discover", {}).status_code == 303  # type: ignore[attr-defined]
    assert "temas propuestos" in client.get("/topics/taxonomy").text


def test_the_explorer_csv_carries_sentiment_and_topics(browser: Callable[[Role], TestClient], data: Data) -> None:
    import csv
    import io

    body = browser(Role.ADMIN).get("/feedback.csv", params={"topic": A}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows
    assert all(A in r["topics"].split("|") for r in rows)
    assert {r["sentiment"] for r in rows} <= {"negative", "neutral", "positive"}
    assert all(-1 <= float(r["sentiment_score"]) <= 1 for r in rows)
    everything = list(csv.DictReader(io.StringIO(browser(Role.ADMIN).get("/feedback.csv").content.decode("utf-8-sig"))))
    assert any(r["sentiment"] == "" and r["topics"] == "" for r in everything)  # the comment never analysed
