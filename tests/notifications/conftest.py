"""Real servers on loopback for delivery tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver.

Both can be taken down and brought back on the same port, so a test sees deliveries fail, wait and
arrive; the settings of these tests point at them.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pulso.config import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Collector:
    """aiosmtpd handler: keeps every message; can refuse recipients with a given reply."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: str | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    port: int
    handler: _Collector = field(default_factory=_Collector)
    controller: Controller | None = None
    login: tuple[str, str] | None = None  # when set, the server requires this user and password

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.login is not None:
            expected = self.login

            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == expected
                return AuthResult(success=ok)

            options = {"auth_required": True, "auth_require_tls": False, "authenticator": authenticator}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10, **options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())
    server.start()
    yield server
    server.stop()


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: records each request; answers `status`, after `delay` seconds."""

    port: int
    status: int = 200
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/pulso"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"receiver failed")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def deliveries(self) -> list[int]:
        """The Pulso-Delivery ids received, in arrival order."""
        return [int(r.headers["Pulso-Delivery"]) for r in self.received()]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """The shared test settings, with the loopback SMTP server and short timeouts."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_from": "Pulso Pruebas <avisos@pulso.test>",
            "smtp_timeout": 5.0,
            "webhook_timeout": 5.0,
            "notification_max_attempts": 4,
        }
    )
