from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from pulso.demo.mailbox import Mailbox


def test_the_mailbox_keeps_each_message_as_a_file(tmp_path: Path) -> None:
    box = Mailbox(tmp_path / "mail").start()
    try:
        for n in range(2):
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "a@x.test", "b@x.test", f"Caso {n}"
            message.set_content("Hola")
            with smtplib.SMTP("127.0.0.1", box.port, timeout=5) as smtp:
                smtp.send_message(message)
    finally:
        box.stop()
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert [f.name for f in files] == ["000001.eml", "000002.eml"]
    assert b"Subject: Caso 1" in files[1].read_bytes()
