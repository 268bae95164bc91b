"""The overview page (`/`): cards, trend, breakdown, filters in the URL, scoping per role, HTMX, CSV exports."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.catalog.models import Product
from pulso.customers.models import Customer
from pulso.interactions.enums import Channel
from pulso.journeys.models import Touchpoint
from pulso.metrics import pages
from pulso.web import i18n
from tests.factories import make_customer, make_feedback, make_interaction, make_touchpoint
from tests.web.conftest import World

MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
DAY = datetime(2026, 3, 10, 18, tzinfo=UTC)  # 12:00 in Mexico City
BEFORE = datetime(2026, 2, 10, 18, tzinfo=UTC)  # in the previous period (29 Jan – 28 Feb)
Browser = Callable[[Role], TestClient]


class Data:
    checkout: Touchpoint
    store: Touchpoint
    kiosk: Touchpoint
    blender: Product
    premium: Customer
    casual: Customer


@pytest.fixture
def data(session: Session, world: World) -> Data:
    """March 2026: the first team mostly promoters (NPS 87.5; 30 handled by the agent), the other all detractors.

    In February the first team's NPS was -75, so it rose significantly; a third touchpoint has 5
    answers only (a small sample), in both months.
    """
    d = Data()
    agent_id = world.user_ids[Role.AGENT]
    with session.begin():
        d.checkout = make_touchpoint(session, "TP-WEB-CHECKOUT")
        d.store = make_touchpoint(session, "TP-STORE")
        d.store.name = "Tienda"
        d.kiosk = make_touchpoint(session, "TP-KIOSK")
        d.kiosk.name = "Quiosco"
        d.blender = Product(sku="LIC-TX2", name="Licuadora Turbo X2")
        session.add(d.blender)
        d.premium = make_customer(session, segment="Premium")
        d.casual = make_customer(session, segment="Ocasional")
        session.flush()
        for i in range(40):
            make_feedback(
                session,
                received_at=DAY + timedelta(hours=i),
                nps=10 if i < 35 else 8,
                csat=5,
                ces=2,
                team_id=world.team_id,
                agent_id=agent_id if i < 30 else None,
                touchpoint_id=d.store.id,
                customer_id=d.premium.id,
                channel=Channel.STORE,
                language="es",
            )
            make_feedback(
                session,
                received_at=BEFORE + timedelta(hours=i),
                nps=0 if i < 30 else 8,
                csat=1,
                team_id=world.team_id,
                touchpoint_id=d.store.id,
                customer_id=d.premium.id,
                channel=Channel.STORE,
                language="es",
            )
        for i in range(40):
            make_feedback(
                session,
                received_at=DAY + timedelta(hours=i),
                nps=2,
                csat=2,
                ces=6,
                team_id=world.other_team_id,
                touchpoint_id=d.checkout.id,
                product_id=d.blender.id,
                customer_id=d.casual.id,
                channel=Channel.WEB,
                language="en" if i % 4 == 0 else "es",
            )
        for i in range(5):
            for when in (DAY, BEFORE):
                make_feedback(
                    session,
                    received_at=when + timedelta(days=1, hours=i),
                    nps=8,
                    team_id=world.other_team_id,
                    touchpoint_id=d.kiosk.id,
                    channel=Channel.STORE,
                    language="es",
                )
        for i in range(12):
            opened = DAY + timedelta(hours=i)
            make_interaction(
                session,
                opened_at=opened,
                channel=Channel.PHONE,
                team_id=world.team_id,
                agent_id=agent_id,
                first_response_at=opened + timedelta(seconds=600 + 60 * i),
                resolved_at=opened + timedelta(hours=2),
                contacts_to_resolve=1,
            )
    return d


def page(client: TestClient, **params: str) -> str:
    response = client.get("/", params={**MARCH, **params})
    assert response.status_code == 200, response.text
    return str(response.text)


def card(html: str, kpi: str) -> str:
    match = re.search(rf'<li class="panel ov-card" data-kpi="{kpi}">(.*?)</li>', html, re.S)
    assert match, f"no card for {kpi}"
    return match.group(1)


def card_value(html: str, kpi: str) -> str:
    match = re.search(r'<p class="ov-value">([^<]*)</p>', card(html, kpi))
    assert match
    return match.group(1).strip()


def table_rows(html: str) -> list[str]:
    body = re.search(r'<table class="ov-table">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, "no breakdown table"
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr.*?</tr>", body.group(1), re.S)
    ]


def trend_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="trend-data">(.*?)</script>', html, re.S)
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_every_role_sees_the_cards_in_spanish(browser: Browser, data: Data) -> None:
    for role in Role:
        html = page(browser(role))
        assert "Resumen de la experiencia del cliente" in html
        for kpi in pages.CARD_KPIS:
            card(html, kpi)
    html = page(browser(Role.CX_MANAGER))
    # 35 promoters, 40 detractors, 10 passives: NPS -5,9 of 85; CSAT 40 of 80 (Spanish decimals).
    assert card_value(html, "nps") == "-5,9"
    assert "n = 85" in card(html, "nps")
    assert card_value(html, "csat") == i18n.format_percent(0.5, "es", 1)
    assert "50,0" in card_value(html, "csat")
    assert card_value(html, "ces") == "4,00"
    assert card_value(html, "volume") == "85"
    # The median first response of 12 interactions (600 + 60 i seconds) is 15 min; resolution 2 h.
    assert card_value(html, "first_response_time") == "15 min"
    assert card_value(html, "resolution_time") == "2 h"
    assert "IC 95" in card(html, "nps")


def test_english_user_gets_english_and_english_numbers(
    browser: Browser, data: Data, session: Session, world: World
) -> None:
    from pulso.accounts.models import User

    with session.begin():
        user = session.get(User, world.user_ids[Role.CX_MANAGER])
        assert user is not None
        user.locale = "en"
    html = page(browser(Role.CX_MANAGER))
    assert "Customer experience overview" in html
    assert card_value(html, "ces") == "4.00"
    assert "CI 95" in card(html, "nps")


def test_significant_change_is_marked_good_or_bad(browser: Browser, data: Data) -> None:
    client = browser(Role.ADMIN)
    team_a = page(client, team=str(data_team(client, "Atención Norte")))
    nps = card(team_a, "nps")
    # February -75, March 87,5: +162,5 points, significant, good.
    assert "chip-good" in nps
    assert "▲" in nps
    assert "+162,5 pts" in nps
    assert "Mejora significativa" in nps
    assert "Periodo anterior: -75,0 (n = " in nps  # the reference is shown, not only in a tooltip
    # The other team: 40 detractors in March, none in February; its volume rose: marked, not judged.
    team_b = page(client, team=str(data_team(client, "Atención Sur")))
    volume = card(team_b, "volume")
    assert "chip-info" in volume
    assert "Aumento significativo" in volume
    assert "chip-good" not in volume
    # Nobody answered CES in February: no comparison, no mark.
    ces = card(team_a, "ces")
    assert "Sin datos anteriores" in ces
    assert "chip-good" not in ces
    assert "chip-bad" not in ces


def data_team(client: TestClient, name: str) -> int:
    html = client.get("/", params=MARCH).text
    match = re.search(rf'<option value="(\d+)"[^>]*>{name}</option>', html)
    assert match, f"no team option {name}"
    return int(match.group(1))


def test_not_significant_change_is_neutral(browser: Browser, data: Data, session: Session, world: World) -> None:
    # The kiosk had 5 answers in each month: no change to speak of.
    html = page(browser(Role.ADMIN), touchpoint="TP-KIOSK")
    volume = card(html, "volume")
    assert "no significativo" in volume
    assert "chip-good" not in volume
    assert "chip-bad" not in volume


def test_filters_in_the_url_change_the_numbers(browser: Browser, data: Data, world: World) -> None:
    client = browser(Role.CX_MANAGER)
    assert card_value(page(client, team=str(world.other_team_id)), "nps") == "-88,9"
    assert card_value(page(client, touchpoint="TP-STORE"), "nps") == "87,5"
    assert card_value(page(client, channel="web"), "volume") == "40"
    assert card_value(page(client, segment="Premium"), "volume") == "40"
    assert card_value(page(client, product=str(data.blender.id)), "nps") == "-100,0"
    assert card_value(page(client, language="en"), "volume") == "10"
    # Interactions record no language: their cards say the filter does not apply there.
    assert "no se aplica" in card(page(client, language="en"), "first_response_time")
    html = page(client, channel="web")
    assert 'value="web" selected' in html


def test_presets_set_the_dates(browser: Browser, data: Data) -> None:
    client = browser(Role.CX_MANAGER)
    html = client.get("/", params={"period": "7d"}).text
    assert "(7 días)" in html
    html = client.get("/", params={"period": "last_month"}).text
    assert re.search(r"\((28|29|30|31) días\)", html)
    # A bookmark of the custom range keeps it in the links.
    html = page(client)
    assert "from=2026-03-01" in html
    assert "to=2026-03-31" in html


def test_supervisor_sees_only_their_team_and_cannot_widen(browser: Browser, data: Data, world: World) -> None:
    client = browser(Role.SUPERVISOR)
    html = page(client)
    assert card_value(html, "nps") == "87,5"
    assert "n = 40" in card(html, "nps")
    assert 'name="team"' not in html  # no team filter for a supervisor
    assert "Atención Norte" in html
    assert "by=team" not in html.split('id="overview-results"')[0]  # no "which team…" question for one team
    other = page(client, team=str(world.other_team_id))
    assert card_value(other, "nps") == "87,5"
    rows = table_rows(page(client, by="team"))
    assert len(rows) == 1
    assert rows[0].startswith("Atención Norte")


def test_agent_sees_only_their_own(browser: Browser, data: Data, world: World) -> None:
    client = browser(Role.AGENT)
    html = page(client)
    assert "n = 30" in card(html, "nps")
    assert 'name="team"' not in html
    assert "n = 30" in card(page(client, team=str(world.other_team_id)), "nps")
    assert card_value(html, "first_response_time") == "15 min"


def test_breakdown_sorts_on_the_server(browser: Browser, data: Data) -> None:
    client = browser(Role.CX_MANAGER)
    # The kiosk's 5 answers (a small sample) come after the rows with enough answers.
    by_value = table_rows(page(client, by="touchpoint", sort="value"))
    assert [r.split()[0] for r in by_value] == ["Checkout", "Tienda", "Quiosco"]
    by_value_desc = table_rows(page(client, by="touchpoint", sort="-value"))
    assert [r.split()[0] for r in by_value_desc] == ["Tienda", "Checkout", "Quiosco"]
    by_label = table_rows(page(client, by="touchpoint", sort="label"))
    assert [r.split()[0] for r in by_label] == ["Checkout", "Quiosco", "Tienda"]
    html = page(client, by="touchpoint", sort="-value")
    assert re.search(r'<th scope="col" class="num" aria-sort="descending">\s*<a href="/\?[^"]*sort=value', html)
    by_n = table_rows(page(client, by="touchpoint", sort="n"))
    assert by_n[0].startswith("Quiosco")


def test_small_samples_are_flagged(browser: Browser, data: Data) -> None:
    html = page(browser(Role.CX_MANAGER), by="touchpoint")
    kiosk = next(r for r in table_rows(html) if r.startswith("Quiosco"))
    assert "Muestra pequeña" in kiosk
    store = next(r for r in table_rows(html) if r.startswith("Tienda"))
    assert "Muestra pequeña" not in store
    assert 'id="small-sample-note"' in html
    assert "Menos de 30 respuestas" in html


def test_drill_down_links_carry_the_filters(browser: Browser, data: Data) -> None:
    client = browser(Role.CX_MANAGER)
    html = page(client, by="touchpoint", segment="Ocasional", channel="web")
    links = re.findall(r'data-href="(/feedback\?[^"]+)"', html)
    assert links
    query = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert query["received_from"] == ["2026-03-01"]
    assert query["received_to"] == ["2026-03-31"]
    assert query["segment"] == ["Ocasional"]
    assert query["channel"] == ["web"]
    assert query["touchpoint"] == ["TP-WEB-CHECKOUT"]
    # The trend's points link to the feedback of their own days.
    trend = trend_data(page(client, trend="nps", grain="day", channel="web"))
    labels = trend["links"]
    assert isinstance(labels, list)
    tenth = next(link for link in labels if link and "received_from=2026-03-10" in link)
    assert "received_to=2026-03-10" in tenth
    assert "channel=web" in tenth


def test_trend_has_band_and_text_alternative(browser: Browser, data: Data) -> None:
    html = page(browser(Role.CX_MANAGER), trend="csat")
    data_ = trend_data(html)
    assert data_["kpi"] == "csat"
    assert len(data_["labels"]) == 31  # a month by day
    values = [v for v in data_["values"] if v is not None]
    assert values
    lows, highs = data_["low"], data_["high"]
    assert all(lo <= v <= hi for v, lo, hi in zip(data_["values"], lows, highs, strict=True) if v is not None)
    assert 'role="img"' in html
    assert "CSAT por día del" in html
    weekly = trend_data(page(browser(Role.CX_MANAGER), grain="week"))
    assert len(weekly["labels"]) == 6  # Mondays 23 Feb … 30 Mar


def test_htmx_gets_only_the_results(browser: Browser, data: Data) -> None:
    client = browser(Role.CX_MANAGER)
    response = client.get(
        "/", params={**MARCH, "channel": "web"}, headers={"HX-Request": "true", "HX-Target": "overview-results"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="overview-filters"' not in response.text
    assert card_value(response.text, "volume") == "40"
    full = page(client)
    assert 'hx-get="/"' in full
    assert 'hx-push-url="true"' in full
    assert 'method="get"' in full


def test_bad_filters_give_a_clear_message(browser: Browser, data: Data) -> None:
    client = browser(Role.CX_MANAGER)
    for params, text in (
        ({"period": "custom", "from": "2026-13-01"}, "no es una fecha"),
        ({"period": "custom", "from": "2026-03-10", "to": "2026-03-01"}, "anterior a la fecha inicial"),
        ({"channel": "fax"}, "no es un canal"),
        ({"touchpoint": "TP-NOPE"}, "TP-NOPE"),
        ({"team": "999999"}, "999999"),
        ({"by": "color"}, "color"),
        ({"sort": "weird"}, "weird"),
        ({"grain": "fortnight"}, "fortnight"),
        ({"table": "first_response_time", "by": "language"}, "Idioma"),
    ):
        response = client.get("/", params={**MARCH, **params})
        assert response.status_code == 422, params
        assert text in response.text, params
        assert 'role="alert"' in response.text
    fragment = client.get(
        "/", params={**MARCH, "channel": "fax"}, headers={"HX-Request": "true", "HX-Target": "overview-results"}
    )
    assert fragment.status_code == 200
    assert "no es un canal" in fragment.text


def test_csv_exports(browser: Browser, data: Data) -> None:
    client = browser(Role.CX_MANAGER)
    response = client.get("/overview/breakdown.csv", params={**MARCH, "by": "touchpoint", "sort": "-value"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["key"] for r in rows] == ["TP-STORE", "TP-WEB-CHECKOUT", "TP-KIOSK"]
    assert rows[0]["value"] == "87.5"
    assert rows[0]["n"] == "40"
    assert rows[2]["small_sample"] == "true"
    assert rows[0]["significant"] == "true"
    kpis = list(csv.DictReader(io.StringIO(client.get("/overview/kpis.csv", params=MARCH).text)))
    assert [r["kpi"] for r in kpis] == list(pages.CARD_KPIS)
    volume = next(r for r in kpis if r["kpi"] == "volume")
    assert volume["value"] == "85.0"
    trend = list(csv.DictReader(io.StringIO(client.get("/overview/trend.csv", params={**MARCH, "grain": "day"}).text)))
    assert {r["period"] for r in trend} >= {"2026-03-10", "2026-03-11"}
    # A supervisor's export is scoped like their page.
    sup = list(
        csv.DictReader(
            io.StringIO(browser(Role.SUPERVISOR).get("/overview/breakdown.csv", params={**MARCH, "by": "team"}).text)
        )
    )
    assert [r["label"] for r in sup] == ["Atención Norte"]
    bad = client.get("/overview/breakdown.csv", params={**MARCH, "channel": "fax"})
    assert bad.status_code == 422


def test_empty_store_points_to_imports(browser: Browser, world: World) -> None:
    html = browser(Role.CX_MANAGER).get("/").text
    assert "Todavía no hay datos" in html
    assert 'href="/imports"' in html
    viewer = browser(Role.VIEWER).get("/").text
    assert 'href="/imports"' not in viewer.split('id="main"')[1]


def test_anonymous_is_sent_to_sign_in(client: TestClient, world: World) -> None:
    response = client.get("/", params=MARCH)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert client.get("/overview/breakdown.csv").status_code == 303


def test_accessibility_basics(browser: Browser, data: Data) -> None:
    html = page(browser(Role.CX_MANAGER))
    for control in re.findall(r"<(?:select|input)[^>]*>", html):
        if 'type="hidden"' in control:
            continue
        ident = re.search(r'id="([^"]+)"', control)
        assert ident, control
        assert f'for="{ident.group(1)}"' in html, control
    assert '<th scope="col"' in html
    assert '<th scope="row"' in html
    assert "<script>" not in html  # the CSP forbids inline scripts


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(42, "42 s"), (185, "3 min 05 s"), (900, "15 min"), (3600 * 3 + 300, "3 h 05 min"), (86400 * 3, "3 d")],
)
def test_durations_read_as_durations(seconds: float, text: str) -> None:
    assert pages.compact_duration(seconds, "es") == text


def test_changes_and_values_in_each_locale() -> None:
    assert pages.format_value("csat", 71.25, "es") == i18n.format_percent(0.7125, "es", 1)
    assert pages.format_change("nps", -2.56, None, "es") == "-2,6 pts"
    assert pages.format_change("volume", 105, 942, "en") == "+105 (+11.1 %)"
    assert pages.format_change("first_response_time", 0.85, None, "es") == "+51 s"


def test_stage_rows_have_no_drill_down(browser: Browser, data: Data) -> None:
    html = page(browser(Role.CX_MANAGER), by="stage")
    assert table_rows(html)
    assert "data-href" not in html.split('class="ov-table"')[1].split("</table>")[0]


def test_every_starting_question_opens_a_view(browser: Browser, data: Data) -> None:
    client = browser(Role.CX_MANAGER)
    html = client.get("/").text
    links = re.findall(r'href="/\?(period=[^"]+)"', html)
    assert len(links) == 5
    for link in links:
        response = client.get("/?" + link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        assert "ov-card" in response.text
