"""The demo's mailbox: an SMTP server on loopback that keeps every e-mail Pulso sends as a .eml file.

`pulso demo` starts it when no SMTP server is configured, so the cases' e-mails (a new case, an
escalation, a breach) really leave Pulso over SMTP and can be opened with any mail reader.
"""

from __future__ import annotations

import itertools
import socket
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _Saver:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 — aiosmtpd's hook name
        with self.lock:
            n = next(self.count)
        (self.folder / f"{n:06d}.eml").write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """An SMTP server on 127.0.0.1 writing each message into `folder`."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = port or _free_port()
        self.controller = Controller(_Saver(folder), hostname="127.0.0.1", port=self.port, ready_timeout=10)

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
