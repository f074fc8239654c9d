"""`make run` on a fresh database: all three services answer, demo.hr works with TOTP, Ctrl-C stops all."""

from __future__ import annotations

import calendar
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pyotp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PORTS = {"portal": 8000, "rasa": 5005, "actions": 5055}
BANNER = "Werkgeversportaal is running"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _next_month(today: date) -> date:
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


@dataclass
class Stack:
    """The running `make run`: its process (group leader) and its output."""

    process: subprocess.Popen
    log: Path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`make run` with its own fresh database; stopped with SIGINT (Ctrl-C) at the end."""
    busy = [name for name, port in PORTS.items() if _listening(port)]
    if busy:
        pytest.fail(f"ports of {', '.join(busy)} are in use: stop the running `make run` before the tests")
    data = tmp_path_factory.mktemp("make-run")
    log = data / "make-run.log"
    env = {**os.environ, "PORTAL_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    with log.open("wb") as out:
        process = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 600
    while BANNER not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"make run did not come up:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(1)
    yield Stack(process, log)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _chat_token(username: str, secret: str) -> tuple[str, str]:
    portal = httpx.Client(base_url="http://127.0.0.1:8000", timeout=30)
    mfa = portal.post("/api/auth/login", json={"username": username, "password": "Pensioen-Demo-2026!"}).json()["mfa_token"]
    access = portal.post("/api/auth/mfa", json={"mfa_token": mfa, "code": pyotp.TOTP(secret).now()}).json()["access_token"]
    issued = portal.post("/api/chat/token", headers={"Authorization": f"Bearer {access}"}).json()
    return issued["token"], issued["conversation_id"]


def test_make_run_prints_where_to_go_and_the_demo_logins(stack: Stack) -> None:
    output = stack.log.read_text(errors="replace")
    assert "http://127.0.0.1:8000" in output and "http://127.0.0.1:5005" in output
    assert "demo.hr" in output and "H6J47PAK24PBBN7RXYAKNXKPPAX4ZOFV" in output


def test_all_three_services_answer(stack: Stack) -> None:
    assert httpx.get("http://127.0.0.1:8000/api/health").status_code == 200
    assert httpx.get("http://127.0.0.1:5055/health").status_code == 200
    assert httpx.get("http://127.0.0.1:5005/").status_code == 200
    token, conversation = _chat_token("demo.um", "JXL5JBSIOD2JMBUND4MRTXI45WCGP64W")
    reply = httpx.post(
        "http://127.0.0.1:5005/webhooks/rest/webhook",
        json={"sender": conversation, "message": "hallo", "metadata": {"token": token}},
        timeout=30,
    )
    assert reply.status_code == 200 and reply.json(), reply.text


def test_demo_hr_terminates_2001681_once_and_cannot_change_a_slaper(stack: Stack) -> None:
    portal = httpx.Client(base_url="http://127.0.0.1:8000", timeout=30)
    mfa = portal.post("/api/auth/login", json={"username": "demo.hr", "password": "Pensioen-Demo-2026!"}).json()["mfa_token"]
    login = portal.post("/api/auth/mfa", json={"mfa_token": mfa, "code": pyotp.TOTP("H6J47PAK24PBBN7RXYAKNXKPPAX4ZOFV").now()})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    next_month = _next_month(datetime.now(ZoneInfo("Europe/Amsterdam")).date()).isoformat()
    body = {"effective_date": next_month}
    first = portal.post("/api/participants/2001681/termination", json=body, headers={**auth, "Idempotency-Key": "e2e-2001681"})
    again = portal.post("/api/participants/2001681/termination", json=body, headers={**auth, "Idempotency-Key": "e2e-2001681"})
    third = portal.post("/api/participants/2001681/termination", json=body, headers=auth)
    slaper = portal.post("/api/participants/2001684/termination", json=body, headers=auth)
    history = portal.get("/api/participants/2001681", headers=auth).json()["changes"]
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert third.status_code == 422
    assert [c["type"] for c in history].count("termination") == 1
    assert slaper.status_code == 422
    assert "slaper" in slaper.json()["errors"][0]["message"] and "deelnemer" in slaper.json()["errors"][0]["message"]


def test_the_assistant_terminates_piet_jansen_over_rest(stack: Stack) -> None:
    token, conversation = _chat_token("demo.hrfin", "KGBBC2FAZEWQ4JYJKQNTCTILZJOVYFIP")

    def say(text: str) -> list[dict]:
        message = {"sender": conversation, "message": text, "metadata": {"token": token}}
        return httpx.post("http://127.0.0.1:5005/webhooks/rest/webhook", json=message, timeout=60).json()

    offered = {b["payload"] for reply in say("Jansen gaat per eind volgende maand uit dienst") for b in reply.get("buttons", [])}
    assert {"2001682", "2001683"} <= offered
    summary = " ".join(reply.get("text", "") for reply in say("Piet"))
    assert "Piet Jansen (2001682)" in summary and "uit dienst" in summary
    say("ja")
    portal = httpx.Client(base_url="http://127.0.0.1:8000", timeout=30)
    auth = {"Authorization": f"Bearer {token}"}
    rows = [r for r in portal.get("/api/changes/individual", headers=auth).json() if r["participant"] == "2001682"]
    assert [(r["type"], r["channel"]) for r in rows] == [("termination", "chat")]


def test_every_channel_is_served_and_guarded(stack: Stack) -> None:
    """The pages, the widget's bundle, the console, the widget's Socket.IO and Teams' webhook, from `make run` itself."""
    login_page = httpx.get("http://127.0.0.1:8000/", follow_redirects=True)
    assert login_page.status_code == 200 and 'name="password"' in login_page.text
    assert httpx.get("http://127.0.0.1:8000/static/vendor/rasa-webchat.js").status_code == 200
    desk = httpx.get("http://127.0.0.1:8000/desk")
    assert desk.status_code in (302, 303) and "/login" in desk.headers["location"]
    handshake = httpx.get("http://127.0.0.1:5005/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert handshake.status_code == 200 and '"sid"' in handshake.text
    # Teams is not configured here: the webhook refuses, and Rasa's HTTP API wants the portal's JWT.
    teams = httpx.post("http://127.0.0.1:5005/webhooks/botframework/webhook", json={"type": "message", "text": "hallo"})
    assert teams.status_code == 401
    assert httpx.get("http://127.0.0.1:5005/conversations/anyone/tracker").status_code == 401


def test_ctrl_c_stops_all_three(stack: Stack) -> None:
    # Last in this module: Ctrl-C in a terminal sends SIGINT to the whole foreground process group.
    os.killpg(stack.process.pid, signal.SIGINT)
    stack.process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while any(_listening(port) for port in PORTS.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not [name for name, port in PORTS.items() if _listening(port)]
