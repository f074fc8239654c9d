"""E-mail through SMTP when PORTAL_SMTP_HOST is set: a small SMTP server speaks the real protocol to the portal."""

from __future__ import annotations

import base64
import email
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

from tests.mailbox import last_mail
from tests.server import free_port, running_portal


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Enough of RFC 5321 (and AUTH PLAIN) for smtplib: greet, accept one or more mails, say goodbye."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        server: _SmtpServer = self.server  # type: ignore[assignment]
        self.reply("220 test-smtp ready")
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-test-smtp")
                self.reply("250 AUTH PLAIN")
            elif verb == "AUTH":
                server.logins.append(base64.b64decode(command.split()[-1]).decode())
                self.reply("235 authenticated")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                server.messages.append(email.message_from_bytes(data))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _SmtpHandler)
        self.messages: list[Message] = []
        self.logins: list[str] = []


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[_SmtpServer]:
    server = _SmtpServer(port or free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _new_account(portal, address: str) -> int:
    with portal.client() as client:
        return client.post(
            "/api/accounts",
            json={"full_name": "Sam Smtp", "email": address, "roles": ["finance"], "language": "en"},
            headers=portal.headers("demo.um"),
        ).status_code


def test_mail_goes_out_through_smtp_and_leaves_no_text_behind(tmp_path: Path) -> None:
    with smtp_server() as smtp:
        env = {
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(smtp.server_address[1]),
            "PORTAL_SMTP_STARTTLS": "false",
            "PORTAL_SMTP_USER": "portal",
            "PORTAL_SMTP_PASSWORD": "smtp-secret",
            "PORTAL_SMTP_FROM": "Werkgeversportaal <portaal@verzekeraar.example>",
        }
        with running_portal(tmp_path, extra_env=env) as portal:
            assert _new_account(portal, "sam.smtp@voorbeeld.example") == 201
            _wait_for(lambda: smtp.messages)
            _wait_for(lambda: "Status: sent" in (last_mail(portal, "sam.smtp@voorbeeld.example") or ""))
            stored = last_mail(portal, "sam.smtp@voorbeeld.example")
    message = smtp.messages[0]
    assert message["To"] == "sam.smtp@voorbeeld.example"
    assert message["From"] == "Werkgeversportaal <portaal@verzekeraar.example>"
    assert str(make_header(decode_header(message["Subject"]))) == "Activate your account for the employer portal"
    assert message["Content-Language"] == "en"
    assert "Dear Sam Smtp," in message.get_payload(decode=True).decode()
    assert smtp.logins == ["\x00portal\x00smtp-secret"]
    # Delivered: the outbox keeps the headers, not the text (a code must not outlive its mail).
    assert stored.rstrip().endswith("Status: sent")


def test_a_mail_smtp_did_not_take_is_tried_again(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "PORTAL_SMTP_HOST": "127.0.0.1",
        "PORTAL_SMTP_PORT": str(port),
        "PORTAL_SMTP_STARTTLS": "false",
        "PORTAL_SMTP_RETRY_SECONDS": "0.5",
    }
    with running_portal(tmp_path, extra_env=env) as portal:
        # No server yet: the request still succeeds, the mail waits with the error noted in the log.
        assert _new_account(portal, "later.bezorgd@voorbeeld.example") == 201
        _wait_for(lambda: "ConnectionRefusedError" in (portal.data_dir / "portal.log").read_text())
        waiting = last_mail(portal, "later.bezorgd@voorbeeld.example")
        with smtp_server(port) as smtp:
            _wait_for(lambda: smtp.messages)
    assert "Status: pending" in waiting and "Dear Sam Smtp," in waiting
    assert smtp.messages[0]["To"] == "later.bezorgd@voorbeeld.example"
