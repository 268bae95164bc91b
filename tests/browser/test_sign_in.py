"""Signing in and out, and the language switch, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Tab


def test_wrong_password_shows_the_error_and_the_right_one_signs_in(tab: Tab) -> None:
    page = tab.page
    tab.go("/login")
    expect(page).to_have_title(re.compile("Entrar"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Entrar en Pulso")).to_be_visible()
    expect(page.locator('input[name="email"]')).to_be_focused()  # autofocus
    tab.shot("login-01-form")

    page.locator('input[name="email"]').fill(tab.server.admin_email)
    page.locator('input[name="password"]').fill("not-the-password")
    page.get_by_role("button", name="Entrar").click()
    error = page.get_by_role("alert").filter(has_text="Correo o contraseña incorrectos")
    expect(error).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login"))
    # The e-mail is kept, the password is not.
    expect(page.locator('input[name="email"]')).to_have_value(tab.server.admin_email)
    expect(page.locator('input[name="password"]')).to_have_value("")
    tab.shot("login-02-wrong-password")

    tab.sign_in_admin()
    expect(page).not_to_have_url(re.compile(r"/login"))
    tab.go("/account")
    signed_in = page.locator(".usermenu")
    expect(signed_in.get_by_role("link", name="Administración Pulso")).to_be_visible()
    expect(page.get_by_role("navigation", name="Principal").get_by_role("link", name="Resumen")).to_be_visible()
    tab.shot("login-03-signed-in")

    signed_in.get_by_role("button", name="Cerrar sesión").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("button", name="Entrar")).to_be_visible()
    # Signed out for real: a page that needs a session sends back to the sign-in form.
    tab.go("/account")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Faccount$"))
    tab.assert_no_js_errors()


def test_sign_in_returns_to_the_page_asked_for(tab: Tab) -> None:
    page = tab.page
    tab.go("/account")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.locator('input[name="email"]').fill(tab.server.emails["supervisor"])
    page.locator('input[name="password"]').fill("clave-navegador-1")
    page.get_by_role("button", name="Entrar").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", name="Su cuenta")).to_be_visible()
    expect(page.get_by_text("Supervisor", exact=True)).to_be_visible()
    tab.assert_no_js_errors()


def test_language_switch_to_english_and_back(tab: Tab) -> None:
    page = tab.page
    tab.sign_in(tab.server.emails["language"])
    tab.go("/account")
    expect(page.get_by_role("heading", name="Su cuenta")).to_be_visible()
    expect(page.get_by_role("button", name="Español")).to_be_disabled()
    tab.shot("language-01-account-es")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Overview")).to_be_visible()
    expect(nav.get_by_role("link", name="Feedback")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("button", name="Change password")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_disabled()
    tab.shot("language-02-account-en")

    # The choice is the user's: it holds on another page and after signing in again.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    tab.sign_in(tab.server.emails["language"])
    tab.go("/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()

    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", name="Su cuenta")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    tab.assert_no_js_errors()
