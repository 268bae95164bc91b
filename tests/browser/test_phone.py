"""Pulso on a phone (390×844): the nav folds behind "Menú" and no page scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Tab


def horizontal_overflow(tab: Tab) -> list[str]:
    """Empty when the page fits the screen; else how wide it is and the elements that stick out on the right."""
    return tab.page.evaluate(
        r"""() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) { return []; }
            const out = [`page: ${document.documentElement.scrollWidth}px wide on a ${width}px screen`];
            for (const el of document.body.querySelectorAll("*")) {
                const box = el.getBoundingClientRect();
                // Inside a scrolling table is fine, unless positioned out of it (an absolute box
                // whose containing block is outside the scroller escapes its clipping).
                const scrolled = el.parentElement && el.parentElement.closest(".table-wrap")
                    && !["absolute", "fixed"].includes(getComputedStyle(el).position);
                if (box.width && box.right > width + 1 && !scrolled) {
                    const classes = typeof el.className === "string" && el.className
                        ? "." + el.className.trim().split(/\s+/).join(".") : "";
                    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes;
                    out.push(`${name}: right edge at ${Math.round(box.right)}px`);
                }
            }
            return out.slice(0, 10);
        }"""
    )


def test_nav_folds_behind_the_menu_button(phone: Tab) -> None:
    page = phone.page
    phone.go("/login")
    phone.shot("phone-01-login")
    assert horizontal_overflow(phone) == []

    phone.sign_in_admin()
    expect(page).to_have_url(re.compile(r"/$"))
    menu = page.get_by_role("button", name="Menú")
    nav = page.locator("#main-nav")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    phone.shot("phone-02-overview", full_page=False)

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Opiniones")).to_be_visible()
    phone.shot("phone-03-menu-open", full_page=False)
    nav.get_by_role("link", name="Opiniones").click()
    expect(page).to_have_url(re.compile(r"/feedback$"))
    expect(page.locator("#main-nav")).to_be_hidden()
    phone.assert_no_js_errors()


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", "overview"),
        ("/feedback", "explorer"),
        ("/account", "account"),
    ],
)
def test_no_horizontal_overflow(phone: Tab, path: str, name: str) -> None:
    phone.sign_in_admin()
    phone.go(path)
    phone.page.wait_for_load_state("networkidle")
    phone.shot(f"phone-{name}")
    overflow = horizontal_overflow(phone)
    assert not overflow, f"{path} scrolls sideways on a phone:\n" + "\n".join(overflow)
    phone.assert_no_js_errors()
