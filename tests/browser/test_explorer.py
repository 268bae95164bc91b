"""The feedback explorer in a real browser: accent-insensitive search, typed into the search box."""

from __future__ import annotations

import re
import unicodedata

from playwright.sync_api import expect

from tests.browser.conftest import Tab

ROWS = "#results table.feedback-table tbody tr"


def folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


def test_search_without_accents_finds_comments_with_them(tab: Tab) -> None:
    page = tab.page
    tab.sign_in_admin()
    tab.go("/feedback")
    expect(page.locator(ROWS).first).to_be_visible()
    total_before = page.locator("#results .result-count").inner_text()
    tab.shot("explorer-01-all")

    page.evaluate("window.__notReloaded = true")
    search = page.get_by_role("searchbox")
    with page.expect_response(lambda r: "q=atencion" in r.url):
        search.fill("atencion")
        search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=atencion(&|$)"))
    expect(page.locator("#results .result-count")).not_to_have_text(total_before)
    assert page.evaluate("window.__notReloaded === true"), "the search reloaded the whole page"

    rows = page.locator(ROWS)
    expect(rows.first).to_be_visible()
    comments = [rows.nth(i).locator("td.comment").inner_text() for i in range(rows.count())]
    assert comments, "no comment matches 'atencion'"
    assert all("atencion" in folded(c) for c in comments), comments
    assert any("atención" in c.casefold() for c in comments), f"no comment with the accent: {comments}"
    # The match is highlighted, accent and all (the words that made a topic are marked apart).
    marks = page.locator(f"{ROWS} td.comment mark:not(.topic-term)")
    expect(marks.first).to_be_visible()
    assert all(folded(m) == "atencion" for m in marks.all_inner_texts()), marks.all_inner_texts()
    tab.shot("explorer-02-search-atencion")
    tab.assert_no_js_errors()
