"""The overview dashboard in a real browser: KPI cards, the ECharts trend, HTMX filters, drill-down, keyboard."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Page, expect

from pulso.demo import company
from tests.browser.conftest import Tab

RESULTS = "#overview-results"
CARDS = f"{RESULTS} [data-kpi]"
# Spanish numbers: 1.234,5 (groups of three with a dot, decimal comma); a minus sign may lead.
SPANISH_NUMBER = re.compile(r"^[−-]?\d{1,3}(\.\d{3})*(,\d+)?( ?%)?$|^[−-]?\d+(,\d+)?( ?%)?$")
ENGLISH_DECIMAL = re.compile(r"\d\.\d{1,2}(?!\d)")


def canvas_ink(page: Page, selector: str) -> dict[str, float]:
    """The chart canvas's size and the share of its pixels that are painted (not fully transparent)."""
    return page.evaluate(
        """(selector) => {
            const canvas = document.querySelector(selector + " canvas");
            if (!canvas) { return {width: 0, height: 0, painted: 0, url: 0}; }
            const ctx = canvas.getContext("2d");
            const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { painted++; } }
            return {
                width: canvas.getBoundingClientRect().width,
                height: canvas.getBoundingClientRect().height,
                painted: painted / (canvas.width * canvas.height),
                url: canvas.toDataURL("image/png").length,
            };
        }""",
        selector,
    )


def card_values(page: Page) -> dict[str, str]:
    cards = page.locator(CARDS)
    return {
        cards.nth(i).get_attribute("data-kpi") or "": cards.nth(i).locator(".ov-value").inner_text().strip()
        for i in range(cards.count())
    }


def expect_chart_drawn(page: Page) -> None:
    canvas = page.locator("#trend-chart canvas")
    expect(canvas.first).to_be_visible()
    # ECharts draws after its first frame: wait until the canvas holds some ink.
    page.wait_for_function(
        """() => {
            const c = document.querySelector("#trend-chart canvas");
            if (!c || !c.width || !c.height) { return false; }
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) { return true; } }
            return false;
        }"""
    )
    ink = canvas_ink(page, "#trend-chart")
    assert ink["width"] > 200, ink
    assert ink["height"] > 100, ink
    assert ink["painted"] > 0.01, f"the chart's canvas is almost blank: {ink}"
    assert ink["url"] > 5_000, f"the chart's PNG is tiny, so nearly empty: {ink}"


def test_cards_chart_filter_and_drill_down(tab: Tab) -> None:
    page = tab.page
    tab.sign_in_admin()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page).to_have_title(re.compile("Resumen"))
    expect(page.locator("h1")).to_be_visible()

    # The KPI cards, with numbers written the Spanish way.
    cards = page.locator(CARDS)
    expect(cards.first).to_be_visible()
    values = card_values(page)
    assert {"nps", "csat", "volume"} <= set(values), values
    filled = {k: v for k, v in values.items() if v != "—"}
    assert {"nps", "csat", "volume"} <= set(filled), f"cards without a value on the demo: {values}"
    for kpi, value in filled.items():
        assert not ENGLISH_DECIMAL.search(value), f"{kpi} card shows an English decimal point: {value!r}"
    assert SPANISH_NUMBER.match(filled["volume"].replace("\u202f", "").replace("\xa0", "")), filled["volume"]
    assert any("," in v for v in filled.values()), f"no card shows a decimal comma: {filled}"
    expect(page.locator(f'{CARDS}[data-kpi="nps"] .ov-ci')).to_contain_text("IC")

    expect_chart_drawn(page)
    tab.shot("overview-01-default")

    # A filter: HTMX swaps the results and pushes the URL; the page itself is not reloaded.
    page.evaluate("window.__notReloaded = true")
    before = card_values(page)
    channel = page.locator("#overview-filters select[name=channel]")
    options = channel.locator("option")
    choice = next(
        options.nth(i).get_attribute("value") or ""
        for i in range(options.count())
        if options.nth(i).get_attribute("value")
    )
    # A change submits the form by itself (overview.js); HTMX sends it.
    with page.expect_response(lambda r: "channel=" in r.url and r.request.headers.get("hx-request") == "true"):
        channel.select_option(choice)
    expect(page).to_have_url(re.compile(rf"[?&]channel={re.escape(choice)}(&|$)"))
    expect(page.locator(f'{CARDS}[data-kpi="volume"] .ov-value')).not_to_have_text(before["volume"])
    assert page.evaluate("window.__notReloaded === true"), "the filter reloaded the whole page"
    after = card_values(page)
    assert after != before
    expect(channel).to_have_value(choice)
    expect_chart_drawn(page)
    tab.shot("overview-02-channel-filter")

    # A preset period, the same way.
    period = page.locator("#overview-filters select[name=period]")
    with page.expect_response(lambda r: "period=30d" in r.url and r.request.headers.get("hx-request") == "true"):
        period.select_option("30d")
    expect(page).to_have_url(re.compile(r"[?&]period=30d(&|$)"))
    expect(page).to_have_url(re.compile(rf"[?&]channel={re.escape(choice)}(&|$)"))
    assert page.evaluate("window.__notReloaded === true"), "the period reloaded the whole page"
    tab.shot("overview-03-last-30-days")

    # The table by feedback volume, so that a row's n is the number of pieces of feedback behind it.
    with page.expect_response(lambda r: "table=volume" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("#f-table").select_option("volume")
    expect(page).to_have_url(re.compile(r"[?&]table=volume(&|$)"))
    tab.shot("overview-04-table-by-volume")

    # Drill down: a breakdown row opens the explorer with the row's filters and as many rows.
    row = page.locator(f"{RESULTS} table.ov-table tbody tr:has(th a)").first  # "not recorded" has no link
    row_link = row.locator("th a")
    expect(row_link).to_be_visible()
    href = row_link.get_attribute("href") or ""
    assert href.startswith("/feedback?"), href
    n = int(re.sub(r"\D", "", row.locator("td").nth(2).inner_text()))
    row_link.click()
    expect(page).to_have_url(re.compile(r"/feedback\?"))
    rows = page.locator("#results table.feedback-table tbody tr")
    expect(rows.first).to_be_visible()
    count = page.locator("#results .result-count").inner_text()
    assert int(re.sub(r"\D", "", count)) == n, f"the row said n = {n}; the explorer shows {count!r} ({href})"
    form = page.locator("form.explorer-filters")
    for name, value in parse_qsl(urlsplit(href).query):
        field = form.locator(f'[name="{name}"]')
        if field.count():
            expect(field.first).to_have_value(value)
    tab.shot("overview-05-drill-down-feedback")
    tab.assert_no_js_errors()


def test_keyboard_reaches_the_nav_and_the_filters(tab: Tab) -> None:
    page = tab.page
    tab.sign_in_admin()
    expect(page.locator(CARDS).first).to_be_visible()
    page.locator("body").focus()
    reached_nav = reached_filters = False
    for _ in range(40):
        page.keyboard.press("Tab")
        where = page.evaluate(
            """() => {
                const el = document.activeElement;
                return {nav: !!el.closest("#main-nav"), filters: !!el.closest("#overview-filters"),
                        skip: el.classList.contains("skip-link")};
            }"""
        )
        reached_nav = reached_nav or where["nav"]
        if where["filters"]:
            reached_filters = True
            break
    assert reached_nav, "Tab never reached the main navigation"
    assert reached_filters, "Tab never reached the filter form"
    tab.shot("overview-06-keyboard-focus-in-filters", full_page=False)

    # The skip link goes straight to the content.
    page.goto(page.url)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Ir al contenido")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    tab.assert_no_js_errors()


def test_overview_and_explorer_in_english(tab: Tab) -> None:
    page = tab.page
    tab.sign_in(tab.server.emails["english"])
    tab.go("/account")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    tab.go("/")
    expect(page).to_have_title(re.compile("Overview"))
    expect(page.get_by_role("heading", name="Key indicators")).to_be_visible()
    expect(page.locator(f'{CARDS}[data-kpi="volume"] .ov-card-title')).to_have_text("Feedback volume")
    expect(page.locator("#overview-filters").get_by_role("button", name="Apply")).to_be_visible()
    values = {k: v for k, v in card_values(page).items() if v != "—"}
    assert not any(re.search(r"\d,\d{1,2}(?!\d)", v) for v in values.values()), f"Spanish decimals in English: {values}"
    expect_chart_drawn(page)
    tab.shot("overview-07-english")

    tab.go("/feedback")
    expect(page.get_by_role("heading", name="Feedback", exact=True)).to_be_visible()
    expect(page.get_by_label("Search the comments")).to_be_visible()
    tab.shot("explorer-03-english")

    tab.go("/account")
    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    tab.assert_no_js_errors()


def test_a_supervisor_sees_only_their_team(tab: Tab) -> None:
    page = tab.page
    tab.sign_in(tab.server.emails["supervisor"])
    expect(page.locator(CARDS).first).to_be_visible()
    nav = page.get_by_role("navigation", name="Principal")
    expect(nav.get_by_role("link", name="Usuarios")).to_have_count(0)
    form = page.locator("#overview-filters")
    expect(form.locator("select[name=team]")).to_have_count(0)
    expect(form).to_contain_text(company.PHONE_TEAM)
    expect(page.locator(".page-head")).to_contain_text(company.PHONE_TEAM)
    expect_chart_drawn(page)
    tab.shot("overview-08-supervisor")

    # The explorer shows the team's feedback only.
    tab.go("/feedback")
    rows = page.locator("#results table.feedback-table tbody tr")
    expect(rows.first).to_be_visible()
    teams = {rows.nth(i).locator("td").nth(4).inner_text().splitlines()[0].strip() for i in range(rows.count())}
    assert teams == {company.PHONE_TEAM}, teams
    tab.assert_no_js_errors()
