"""The Topics page in a real browser: the table and its chart on the demo, a drill-down to the explorer filtered by
a topic, and a one-click correction of a comment's sentiment."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Tab

ROWS = "#results table.feedback-table tbody tr"


def test_topics_drill_down_and_correct_a_sentiment(tab: Tab) -> None:
    page = tab.page
    tab.sign_in_admin()
    tab.go("/topics")
    table = page.locator("#topics-results table.tp-table")
    expect(table).to_be_visible()
    expect(page.locator("#topics-chart canvas")).to_be_visible()  # ECharts drew the weekly chart
    expect(page.locator('.tp-sentiment-summary [data-sentiment="negative"]')).to_be_visible()
    leaves = table.locator("tr.tp-leaf")
    assert leaves.count() > 5, "the demo's comments should mention several topics"
    tab.shot("topics-01-table")

    # Sorted by NPS impact without reloading the page: the costliest topic comes first.
    page.evaluate("window.__notReloaded = true")
    with page.expect_response(lambda r: "sort=impact" in r.url):
        table.locator('a[data-sort="impact"]').click()
    expect(page).to_have_url(re.compile(r"[?&]sort=impact(&|$)"))
    assert page.evaluate("window.__notReloaded === true"), "sorting reloaded the whole page"

    first = page.locator("#topics-results tr.tp-leaf").first
    key = first.get_attribute("data-topic")
    assert key
    with page.expect_navigation():
        first.locator("a[data-drill]").click()
    expect(page).to_have_url(re.compile(r"/feedback\?topic=" + re.escape(key)))
    rows = page.locator(ROWS)
    expect(rows.first).to_be_visible()
    # Every comment listed carries the topic's chip.
    for i in range(min(rows.count(), 10)):
        expect(rows.nth(i).locator(f'.topic-chip[data-topic="{key}"]')).to_have_count(1)
    tab.shot("topics-02-explorer-by-topic")

    with page.expect_navigation():
        rows.first.locator("td.links a").first.click()
    chip = page.locator("dl.analysis .sentiment-chip")
    before = chip.get_attribute("data-sentiment")
    wanted = "neutral" if before != "neutral" else "positive"
    with page.expect_navigation():
        page.locator(f'button[data-set-sentiment="{wanted}"]').click()
    expect(page.locator(".flash-ok")).to_be_visible()
    expect(page.locator("dl.analysis .sentiment-chip")).to_have_attribute("data-sentiment", wanted)
    expect(page.locator(f'button[data-set-sentiment="{wanted}"]')).to_have_attribute("aria-pressed", "true")
    tab.shot("topics-03-corrected")
    tab.assert_no_js_errors()
