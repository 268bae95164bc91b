"""The feedback explorer, the feedback page, and the customer and interaction pages, for every role."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.catalog.models import Product
from pulso.interactions.enums import Channel
from tests.factories import make_customer, make_feedback, make_interaction, make_touchpoint
from tests.web.conftest import World

Browser = Callable[[Role], TestClient]


@dataclass(frozen=True)
class Data:
    mine: int  # the agent's, in the supervisor's team: "Atención pésima"
    team: int  # the supervisor's team, another agent: promoter
    other: int  # another team's: "atención ... señal"
    old: int  # early January, no comment
    customer: int  # customer of `mine` and `other`
    other_customer: int  # only another team's feedback and interactions
    interaction: int  # of `mine`, the agent's
    other_interaction: int  # of `other`


@pytest.fixture
def data(session: Session, world: World) -> Data:
    agent = world.user_ids[Role.AGENT]
    with session.begin():
        tp = make_touchpoint(session, "TP-PAGO")
        product = Product(sku="SKU-1", name="Licuadora")
        session.add(product)
        session.flush()
        customer = make_customer(session, segment="Premium", region="CDMX")
        customer.name = "Lucía Gómez"
        lonely = make_customer(session, segment="Básico", region="Norte")
        opened = datetime(2026, 3, 10, 15, tzinfo=UTC)
        interaction = make_interaction(
            session,
            opened_at=opened,
            channel=Channel.CHAT,
            agent_id=agent,
            team_id=world.team_id,
            customer_id=customer.id,
        )
        other_interaction = make_interaction(
            session, opened_at=opened, channel=Channel.PHONE, team_id=world.other_team_id, customer_id=lonely.id
        )
        mine = make_feedback(
            session,
            received_at=datetime(2026, 3, 10, 18, tzinfo=UTC),
            nps=2,
            csat=1,
            ces=6,
            comment="La ATENCIÓN fue pésima <script>alert(1)</script>",
            channel=Channel.CHAT,
            touchpoint_id=tp.id,
            team_id=world.team_id,
            agent_id=agent,
            customer_id=customer.id,
            interaction_id=interaction.id,
            product_id=product.id,
            language="es",
        )
        team_row = make_feedback(
            session,
            received_at=datetime(2026, 3, 9, 12, tzinfo=UTC),
            nps=10,
            csat=5,
            comment="Great service",
            channel=Channel.WEB,
            team_id=world.team_id,
            language="en",
        )
        other = make_feedback(
            session,
            received_at=datetime(2026, 3, 11, 5, 30, tzinfo=UTC),  # 10 March, 23:30 in Mexico City
            nps=8,
            comment="Buena atención pero mala señal",
            channel=Channel.PHONE,
            team_id=world.other_team_id,
            customer_id=customer.id,
            interaction_id=other_interaction.id,
        )
        session.add(other)
        make_feedback(
            session,
            received_at=datetime(2026, 3, 8, tzinfo=UTC),
            nps=9,
            team_id=world.other_team_id,
            customer_id=lonely.id,
        )
        old = make_feedback(session, received_at=datetime(2026, 1, 2, tzinfo=UTC), nps=7, team_id=world.team_id)
        return Data(
            mine.id, team_row.id, other.id, old.id, customer.id, lonely.id, interaction.id, other_interaction.id
        )


def _rows(html: str) -> set[int]:
    """The ids of the feedback rows a list page shows."""
    return {int(m) for m in re.findall(r'href="/feedback/(\d+)', html)}


def test_the_explorer_requires_sign_in(client: TestClient) -> None:
    response = client.get("/feedback?q=x")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.ADMIN, "all"),
        (Role.CX_MANAGER, "all"),
        (Role.VIEWER, "all"),
        (Role.SUPERVISOR, "team"),
        (Role.AGENT, "own"),
    ],
)
def test_who_sees_which_rows(browser: Browser, data: Data, role: Role, sees: str) -> None:
    client = browser(role)
    response = client.get("/feedback")
    assert response.status_code == 200
    rows = _rows(response.text)
    if sees == "all":
        assert {data.mine, data.team, data.other, data.old} <= rows
        assert len(rows) == 5
    elif sees == "team":
        assert rows == {data.mine, data.team, data.old}
    else:
        assert rows == {data.mine}
    # Another team's feedback, its customer and interaction: 404 for those who may not read them.
    hidden = 404 if sees != "all" else 200
    assert client.get(f"/feedback/{data.other}").status_code == hidden
    assert client.get(f"/interactions/{data.other_interaction}").status_code == hidden
    assert client.get(f"/customers/{data.other_customer}").status_code == hidden
    assert client.get(f"/feedback/{data.mine}").status_code == 200
    assert client.get(f"/customers/{data.customer}").status_code == 200
    assert client.get(f"/interactions/{data.interaction}").status_code == 200
    assert client.get("/feedback/999999").status_code == 404


def test_newest_first_with_dates_in_the_organisation_zone(browser: Browser, data: Data) -> None:
    html = browser(Role.ADMIN).get("/feedback").text
    order = list(dict.fromkeys(int(m) for m in re.findall(r'href="/feedback/(\d+)[?"]', html)))
    assert order[:2] == [data.other, data.mine]
    assert "10/3/26, 23:30" in html, html  # 05:30 UTC on the 11th is the 10th in Mexico City


def test_search_is_accent_insensitive_and_marks_the_terms(browser: Browser, data: Data) -> None:
    client = browser(Role.ADMIN)
    html = client.get("/feedback", params={"q": "atencion"}).text
    assert _rows(html) == {data.mine, data.other}
    assert "<mark>ATENCIÓN</mark>" in html
    assert "<mark>atención</mark>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert _rows(client.get("/feedback", params={"q": "atencion senal"}).text) == {data.other}
    assert _rows(client.get("/feedback", params={"q": "PÉSIMA"}).text) == {data.mine}
    assert _rows(client.get("/feedback", params={"q": '"great service"'}).text) == {data.team}
    empty = client.get("/feedback", params={"q": "inexistente"}).text
    assert _rows(empty) == set()
    assert "Ninguna opinión coincide" in empty
    # The supervisor's search never reaches another team.
    assert _rows(browser(Role.SUPERVISOR).get("/feedback", params={"q": "senal"}).text) == set()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"received_from": "2026-03-10", "received_to": "2026-03-10"}, {"mine", "other"}),  # inclusive, local days
        ({"received_to": "2026-01-31"}, {"old"}),
        ({"channel": "chat"}, {"mine"}),
        ({"touchpoint": "TP-PAGO"}, {"mine"}),
        ({"product": "SKU-1"}, {"mine"}),
        ({"segment": "Premium"}, {"mine", "other"}),
        ({"region": "CDMX"}, {"mine", "other"}),
        ({"language": "en"}, {"team"}),
        ({"has_comment": "1"}, {"mine", "team", "other"}),
        ({"nps_group": "detractor"}, {"mine"}),
        ({"nps_group": "promoter", "has_comment": "1"}, {"team"}),
        ({"csat_low": "1"}, {"mine"}),
        ({"csat_min": "4", "csat_max": "5"}, {"team"}),
        ({"ces_min": "5"}, {"mine"}),
        ({"source": "survey", "nps_max": "2"}, {"mine"}),
    ],
)
def test_each_filter(browser: Browser, data: Data, params: dict[str, str], expected: set[str]) -> None:
    response = browser(Role.ADMIN).get("/feedback", params=params)
    assert response.status_code == 200
    assert _rows(response.text) == {getattr(data, k) for k in expected}


def test_team_and_agent_filters_take_ids_codes_or_names(browser: Browser, data: Data, world: World) -> None:
    client = browser(Role.ADMIN)
    assert _rows(client.get("/feedback", params={"team": str(world.team_id)}).text) == {data.mine, data.team, data.old}
    assert _rows(client.get("/feedback", params={"team": "Atención Sur"}).text) == {data.other} | (
        _rows(client.get("/feedback", params={"team": str(world.other_team_id)}).text)
    )
    assert _rows(client.get("/feedback", params={"agent": "U-agent"}).text) == {data.mine}
    assert _rows(client.get("/feedback", params={"agent": str(world.user_ids[Role.AGENT])}).text) == {data.mine}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"received_from": "10/03/2026"}, "received_from", "no es una fecha"),
        ({"received_from": "2026-03-11", "received_to": "2026-03-10"}, "received_to", "anterior"),
        ({"channel": "fax"}, "channel", "«fax»"),
        ({"team": "Nadie"}, "team", "No existe el equipo"),
        ({"touchpoint": "TP-NO"}, "touchpoint", "punto de contacto"),
        ({"nps_group": "fan"}, "nps_group", "promotor"),
        ({"csat_min": "9"}, "csat_min", "del 1 al 5"),
        ({"has_comment": "quizá"}, "has_comment", "sí (1) o no (0)"),
        ({"size": "7"}, "size", "25, 50, 100, 200"),
    ],
)
def test_bad_filter_values_get_a_clear_message(
    browser: Browser, data: Data, params: dict[str, str], field: str, message: str
) -> None:
    response = browser(Role.ADMIN).get("/feedback", params=params)
    assert response.status_code == 422
    assert f"<strong>{field}</strong>" in response.text
    assert message in response.text
    assert _rows(response.text) == set()


def test_pagination_and_page_size(browser: Browser, data: Data, session: Session, world: World) -> None:
    with session.begin():
        for n in range(30):
            make_feedback(session, received_at=datetime(2025, 12, 1, n % 24, tzinfo=UTC), nps=5, team_id=world.team_id)
    client = browser(Role.ADMIN)
    first = client.get("/feedback", params={"size": "25"}).text
    assert len(_rows(first)) == 25
    assert "Página 1 de 2" in first
    assert "35 opiniones" in first
    assert 'rel="next"' in first
    assert "page=2" in first
    assert "size=25" in first
    second = client.get("/feedback", params={"size": "25", "page": "2"}).text
    assert len(_rows(second)) == 10
    assert not _rows(first) & _rows(second)
    assert data.old in _rows(first)  # newest first: January 2026 before December 2025


def test_htmx_gets_only_the_results(browser: Browser, data: Data) -> None:
    response = browser(Role.ADMIN).get("/feedback?q=atencion", headers={"HX-Request": "true", "HX-Target": "results"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<form" not in response.text
    assert _rows(response.text) == {data.mine, data.other}


def test_the_page_works_without_javascript(browser: Browser, data: Data) -> None:
    html = browser(Role.ADMIN).get("/feedback", params={"q": "atención", "channel": "chat"}).text
    assert '<form class="panel explorer-filters" method="get" action="/feedback"' in html
    assert 'value="atención"' in html
    assert '<option value="chat" selected>' in html
    assert 'hx-push-url="true"' in html
    assert "<script>" not in html.replace('<script src="', "")  # no inline code (CSP)


def test_csv_export_follows_the_filters_and_the_scope(browser: Browser, data: Data) -> None:
    response = browser(Role.ADMIN).get("/feedback.csv", params={"q": "atencion"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == [data.other, data.mine]
    mine = rows[1]
    assert mine["touchpoint"] == "TP-PAGO"
    assert mine["product"] == "SKU-1"
    assert mine["team"] == "Atención Norte"
    assert mine["received_at"] == "2026-03-10T12:00:00-06:00"
    assert mine["nps"] == "2"
    assert mine["ces"] == "6"
    assert mine["comment"].startswith("La ATENCIÓN")
    supervisor = browser(Role.SUPERVISOR).get("/feedback.csv").content.decode("utf-8-sig")
    assert {int(r["id"]) for r in csv.DictReader(io.StringIO(supervisor))} == {data.mine, data.team, data.old}
    assert browser(Role.ADMIN).get("/feedback.csv", params={"channel": "fax"}).status_code == 422


def test_csv_neutralises_formulas(browser: Browser, session: Session, world: World) -> None:
    with session.begin():
        make_feedback(session, nps=1, comment='=HYPERLINK("http://x")')
    text = browser(Role.ADMIN).get("/feedback.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_the_detail_page_shows_every_field(browser: Browser, data: Data) -> None:
    html = browser(Role.AGENT).get(f"/feedback/{data.mine}").text
    for text in ("Licuadora", "TP-PAGO", "Atención Norte", "Agent Pérez", "Lucía Gómez", "Chat", "es", "6 / 7"):
        assert text in html, text
    assert f'href="/customers/{data.customer}"' in html
    assert f'href="/interactions/{data.interaction}"' in html
    assert "chip-bad" in html
    assert "detractor" in html
    assert "alto esfuerzo" in html
    assert "martes, 10 de marzo de 2026" in html  # Spanish, in the organisation's zone


def test_the_customer_page_shows_only_what_the_user_may_read(browser: Browser, data: Data) -> None:
    full = browser(Role.CX_MANAGER).get(f"/customers/{data.customer}").text
    assert "Lucía Gómez" in full
    assert "Premium" in full
    assert "CDMX" in full
    assert _rows(full) == {data.mine, data.other}
    assert f'href="/interactions/{data.interaction}"' in full
    agent = browser(Role.AGENT).get(f"/customers/{data.customer}").text
    assert _rows(agent) == {data.mine}
    assert f"/interactions/{data.other_interaction}" not in agent


def test_the_interaction_page(browser: Browser, data: Data) -> None:
    html = browser(Role.SUPERVISOR).get(f"/interactions/{data.interaction}").text
    assert "Chat" in html
    assert "Resuelta" in html
    assert "Agent Pérez" in html
    assert "Atención Norte" in html
    assert _rows(html) == {data.mine}
    assert f'href="/customers/{data.customer}"' in html


def test_english_formatting(browser: Browser, data: Data, session: Session, world: World) -> None:
    from pulso.accounts.models import User

    with session.begin():
        user = session.get(User, world.user_ids[Role.ADMIN])
        assert user is not None
        user.locale = "en"
    html = browser(Role.ADMIN).get("/feedback").text
    assert "5 feedback items" in html
    assert "Search the comments" in html
    assert "3/10/26, 11:30" in html


def test_the_customer_page_pages_their_feedback(browser: Browser, data: Data, session: Session, world: World) -> None:
    with session.begin():
        for n in range(20):
            make_feedback(session, received_at=datetime(2025, 6, 1, n, tzinfo=UTC), nps=6, customer_id=data.customer)
    client = browser(Role.ADMIN)
    first = client.get(f"/customers/{data.customer}").text
    assert len(_rows(first)) == 20
    assert "fpage=2" in first
    second = client.get(f"/customers/{data.customer}", params={"fpage": "2"}).text
    assert len(_rows(second)) == 2
    assert "fpage=1" in second
