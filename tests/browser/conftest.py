"""Browser tests: a live Pulso on a small demo company, driven by headless Chromium through Playwright.

Each pytest process (each xdist worker) builds its own data dir and serves it on its own free port, so the
tests are safe under `pytest -n 2`; every test opens a fresh browser context (no cookies carried over) and
changes only the state of users it owns (the language test signs in as a user no other test uses).

Chromium is Debian's (`/usr/bin/chromium`, or `PULSO_CHROMIUM`); Playwright's own browsers are never
downloaded. Without it the tests are skipped, and said so, outside CI, and fail in CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright
from sqlalchemy import select

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.models import User
from pulso.app import create_app
from pulso.config import Settings
from pulso.demo import company
from pulso.demo.service import build_demo
from pulso.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_SIZE = 4_000
PASSWORD = "clave-navegador-1"
TIMEOUT_MS = 15_000  # generous: CI machines are shared; a passing step takes well under a second
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Users whose passwords the fixture sets (the demo gives only the admin one). Each test that changes a
# user's state (the language) signs in as a user no other test uses.
SUPERVISOR_EMAIL = f"laura.mendez@{company.EMAIL_DOMAIN}"
LANGUAGE_EMAIL = f"mariana.lopez@{company.EMAIL_DOMAIN}"
ENGLISH_EMAIL = f"ricardo.salinas@{company.EMAIL_DOMAIN}"


expect.set_options(timeout=TIMEOUT_MS)  # the same patience for assertions as for actions (default: 5 s)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def chromium_executable() -> str | None:
    """Debian's Chromium (or PULSO_CHROMIUM), or None when there is none."""
    configured = os.environ.get("PULSO_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = chromium_executable()
    if path is None:
        reason = (
            "Chromium not found: install Debian's (apt-get install chromium) or set PULSO_CHROMIUM; "
            "Playwright's own browsers are not used"
        )
        if in_ci():
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    return path


@dataclass(frozen=True)
class LiveServer:
    url: str
    runtime: Runtime
    admin_email: str
    admin_password: str
    emails: dict[str, str] = field(default_factory=dict)
    """Other users with the password PASSWORD: supervisor, agent (in the supervisor's team), and two CX
    managers for the tests that switch the language (language, english)."""


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _set_passwords(runtime: Runtime) -> dict[str, str]:
    hashed = accounts.hash_password(PASSWORD)
    with runtime.sessions() as session, session.begin():
        supervisor = session.scalars(select(User).where(User.email == SUPERVISOR_EMAIL)).one()
        agent = session.scalars(
            select(User).where(User.role == Role.AGENT, User.team_id == supervisor.team_id).order_by(User.id)
        ).first()
        assert agent is not None, "the demo has no agent in the supervisor's team"
        language = session.scalars(select(User).where(User.email == LANGUAGE_EMAIL)).one()
        english = session.scalars(select(User).where(User.email == ENGLISH_EMAIL)).one()
        for user in (supervisor, agent, language, english):
            user.password_hash = hashed
            user.locale = "es"
        return {
            "supervisor": supervisor.email,
            "agent": agent.email,
            "language": language.email,
            "english": english.email,
        }


@contextmanager
def serve_demo(data_dir: Path) -> Iterator[LiveServer]:
    """Build a small demo company in data_dir and serve it on 127.0.0.1 and a free port until the end."""
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'pulso.db'}",
        analytics_path=data_dir / "analytics.duckdb",
        queue="immediate",
        timezone="America/Mexico_City",
        secret_key="browser-test-secret",
        analytics_threads=1,
        analytics_memory_limit="512MB",
        analytics_sync_seconds=0,
    )
    runtime = Runtime(settings)
    runtime.migrate()
    summary = build_demo(runtime, size=DEMO_SIZE, seed=7, now=datetime.now(UTC))
    emails = _set_passwords(runtime)

    app = create_app(runtime, sync_loop=False)
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live server did not answer /api/v1/health")
            time.sleep(0.05)
        yield LiveServer(url, runtime, summary.admin_email, summary.admin_password, emails)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        runtime.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A small demo company served by uvicorn, for this test process (each xdist worker has its own)."""
    with serve_demo(tmp_path_factory.mktemp("browser") / "data") as server:
        yield server


@pytest.fixture(scope="session")
def chromium(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Tab:
    """A page in a fresh browser context, with the JavaScript errors it logged (CSP violations included)."""

    page: Page
    server: LiveServer
    errors: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(self.server.url + path)

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        """A screenshot kept as a CI artefact in artifacts/screenshots/ (git-ignored)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.go("/login")
        self.page.locator('input[name="email"]').fill(email)
        self.page.locator('input[name="password"]').fill(password)
        # The submit button, whatever the page's language ("Entrar" / "Sign in").
        with self.page.expect_navigation():
            self.page.locator('form[action="/login"] button[type="submit"]').click()

    def sign_in_admin(self) -> None:
        self.sign_in(self.server.admin_email, self.server.admin_password)

    def assert_no_js_errors(self) -> None:
        assert self.errors == [], "the page logged JavaScript errors:\n" + "\n".join(self.errors)


def _open_tab(chromium: Browser, server: LiveServer, viewport: dict[str, int], **options: object) -> Iterator[Tab]:
    context = chromium.new_context(viewport=viewport, locale="es-MX", **options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    tab = Tab(page, server)

    def on_console(message: ConsoleMessage) -> None:
        # A page answered with an error status (a wrong password's 401) is logged as "Failed to load
        # resource"; failed scripts, styles and fetches are caught by on_response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            tab.errors.append(f"console: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            tab.errors.append(f"{response.request.resource_type} {response.url}: HTTP {response.status}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def tab(chromium: Browser, live_server: LiveServer) -> Iterator[Tab]:
    """A desktop-sized page (1280×900) in a fresh context."""
    yield from _open_tab(chromium, live_server, DESKTOP)


@pytest.fixture
def phone(chromium: Browser, live_server: LiveServer) -> Iterator[Tab]:
    """A phone-sized page (390×844, touch) in a fresh context."""
    yield from _open_tab(chromium, live_server, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
