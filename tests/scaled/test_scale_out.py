"""The scale-out is real: two Rasa processes share conversations, one may die, the portal runs two workers.

Against the stack of scripts/run_scaled.py (PostgreSQL, Redis, nginx; see the `scaled_stack` fixture).
The turns of a conversation are sent to the Rasa processes directly, alternating, or through nginx,
whose access log names the process that served each request.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg2
import pytest

from tests import rasa_api
from tests.assistant.test_changes import dutch, end_of_next_month, joined, mutations
from tests.bot.test_socketio_channel import Widget, chat_token, run
from tests.conftest import Chat

REST_PATH = "/webhooks/rest/webhook"
# Participants the fixed demo rows and the other tests use; these tests take others, one each.
FIXED = {f"20016{n}" for n in range(81, 100)}
_taken: set[str] = set()


def fresh_participant(portal: Any) -> str:
    """An active participant without a termination that no other test uses."""
    with portal.client() as client:
        headers = portal.headers("demo.hr")
        listed = client.get("/api/participants", params={"page": 3, "page_size": 50}, headers=headers).json()
        for row in listed["items"]:
            if row["status"] != "active" or row["number"] in FIXED | _taken:
                continue
            changes = client.get(f"/api/participants/{row['number']}", headers=headers).json()["changes"]
            if any(change["type"] == "termination" for change in changes):
                continue
            _taken.add(row["number"])
            return row["number"]
    pytest.fail("no active participant without a termination left on page 3")


def port_of(url: str) -> int:
    return urlsplit(url).port


def access_lines(stack: Any) -> list[str]:
    return stack.nginx_access_log.read_text().splitlines()


def upstream_ports(lines: list[str], listen_port: int, path: str) -> list[list[int]]:
    """Per request to nginx's `listen_port` and `path`: the ports of the processes tried, in order."""
    served = []
    for line in lines:
        parts = line.split(" ", 5)
        if len(parts) == 6 and parts[1] == str(listen_port) and parts[3] == path:
            served.append([int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)", parts[5])])
    return served


def tracker_store_user_texts(stack: Any, sender: str) -> list[str]:
    """The user messages of a conversation as the SQL tracker store on PostgreSQL holds them."""
    with psycopg2.connect(stack.tracker_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", (sender,))
        return [json.loads(data)["text"] for (data,) in cursor.fetchall()]


@pytest.fixture
def rasa_processes(scaled_stack: Any) -> list[str]:
    """The URLs of the two Rasa processes themselves (not nginx)."""
    urls = scaled_stack.rasa_process_urls()
    assert len(urls) == 2
    return urls


def test_the_turns_of_one_conversation_alternate_between_the_rasa_processes(
    scaled_stack: Any, scaled_portal: Any, rasa_processes: list[str]
) -> None:
    first, second = rasa_processes
    number = fresh_participant(scaled_portal)
    date_text = dutch(end_of_next_month())
    conversation = Chat(first, scaled_portal, "demo.hr")
    assert "Waarmee kan ik u" in joined(conversation.say("hallo"))
    conversation.rasa_url = second
    asked = joined(conversation.say(f"uitdiensttreding voor {number}"))
    assert "Per welke datum" in asked, asked
    conversation.rasa_url = first
    summary = joined(conversation.say(f"per {date_text}"))
    assert f"({number})" in summary and date_text in summary, summary
    assert mutations(conversation, number, "termination") == []
    conversation.rasa_url = second
    assert "Doorgegeven" in joined(conversation.say("ja"))
    terminations = mutations(conversation, number, "termination")
    assert [(m["effective_date"], m["channel"]) for m in terminations] == [(end_of_next_month().isoformat(), "chat")]
    # One conversation in the SQL tracker store on PostgreSQL, whichever process took the turn.
    sent = ["hallo", f"uitdiensttreding voor {number}", f"per {date_text}", "ja"]
    assert tracker_store_user_texts(scaled_stack, conversation.sender) == sent


def test_nginx_spreads_turns_and_action_calls_over_both_processes(scaled_stack: Any, scaled_portal: Any) -> None:
    before = len(access_lines(scaled_stack))
    conversation = Chat(scaled_stack.rasa_url, scaled_portal, "demo.hr")
    for message in ("wat is het salaris van 2001681", "hoe staat het met mijn wijzigingen", "hallo", "dank je wel"):
        assert conversation.say(message), message
    lines = access_lines(scaled_stack)[before:]
    turns = upstream_ports(lines, scaled_stack.ports.rasa, REST_PATH)
    action_calls = upstream_ports(lines, scaled_stack.ports.actions, "/webhook")
    assert len(turns) == 4
    assert {ports[-1] for ports in turns} == set(scaled_stack.ports.rasa_processes), lines
    assert {ports[-1] for ports in action_calls} == set(scaled_stack.ports.action_processes), lines


def test_a_desk_message_through_one_process_reaches_a_widget_on_the_other(
    scaled_stack: Any, scaled_portal: Any, rasa_processes: list[str]
) -> None:
    """The Socket.IO servers of the Rasa processes share a Redis queue (credentials: redis_url)."""
    first, second = rasa_processes
    token, conversation_id = chat_token(scaled_portal)

    async def scenario() -> None:
        widget = Widget(first, token)
        try:
            await widget.connect(origin=scaled_stack.portal_url)
            await widget.request_session()
            await widget.wait_for("session_confirm")
            await widget.say("hallo")
            greeting = len(await widget.wait_for_replies())
            # As the portal's console sends a colleague's message (portal/handoffs/rasa.py), to the other process.
            async with httpx.AsyncClient(timeout=30) as client:
                answer = await client.post(
                    f"{second}/conversations/{conversation_id}/tracker/events",
                    params={"output_channel": "latest", "execute_side_effects": "true", "include_events": "NONE"},
                    headers=rasa_api.headers(scaled_portal, conversation_id),
                    json=[{"event": "bot", "text": "Hier is Sanne van de servicedesk.",
                           "metadata": {"sent_by": "service_desk"}}],
                )
            assert answer.status_code == 200, answer.text
            message = (await widget.wait_for("bot_uttered", count=greeting + 1))[greeting]
            assert message["text"] == "Hier is Sanne van de servicedesk."
        finally:
            await widget.close()

    run(scenario)


def portal_access_pids(log: Path, marker: str) -> set[int]:
    """The worker pids that logged a request whose X-Request-ID starts with `marker`."""
    pattern = re.compile(rf"pid=(\d+) .*portal\.access: .* request_id={re.escape(marker)}")
    return {int(match.group(1)) for match in map(pattern.search, log.read_text().splitlines()) if match}


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        found |= {int(child) for child in children.read_text().split()}
    return found


def test_the_portal_runs_two_workers_and_both_serve(scaled_stack: Any, scaled_portal: Any) -> None:
    portal_process = scaled_stack.processes["portal"]
    started = set(map(int, re.findall(r"Started server process \[(\d+)\]", portal_process.log_path.read_text())))
    assert len(started) == 2 and started <= children_of(portal_process.pid), started
    headers = scaled_portal.headers("demo.hr")
    marker = uuid.uuid4().hex[:8]

    def requests(worker: int) -> None:
        for index in range(10):
            # A new connection each time: the kernel hands each to whichever worker accepts first.
            with httpx.Client(base_url=scaled_stack.portal_url, timeout=30) as client:
                answer = client.get("/api/participants", params={"q": "Jansen"},
                                    headers={**headers, "X-Request-ID": f"{marker}-{worker}-{index}"})
                assert answer.status_code == 200

    for _round in range(5):
        threads = [threading.Thread(target=requests, args=(worker,)) for worker in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        served_by = portal_access_pids(portal_process.log_path, marker)
        if len(served_by) == 2:
            break
    assert served_by == started


@pytest.fixture
def rasa_one_restarted_afterwards(scaled_stack: Any) -> Iterator[None]:
    """Starts the first Rasa process again if the test left it dead (it loads the model: a minute or so)."""
    try:
        yield
    finally:
        if "rasa-1" in scaled_stack.dead():
            scaled_stack.restart("rasa-1")


def test_a_killed_rasa_process_does_not_end_the_conversation(
    scaled_stack: Any, scaled_portal: Any, rasa_processes: list[str], rasa_one_restarted_afterwards: None
) -> None:
    first, second = rasa_processes
    number = fresh_participant(scaled_portal)
    date_text = dutch(end_of_next_month())
    conversation = Chat(first, scaled_portal, "demo.hr")
    assert "Per welke datum" in joined(conversation.say(f"uitdiensttreding voor {number}"))
    scaled_stack.processes["rasa-1"].kill()  # as a crash: no shutdown, in the middle of the conversation
    before = len(access_lines(scaled_stack))
    conversation.rasa_url = scaled_stack.rasa_url  # on through the one address
    summary = joined(conversation.say(f"per {date_text}"))
    assert f"({number})" in summary and date_text in summary, summary
    assert "Doorgegeven" in joined(conversation.say("ja"))
    assert len(mutations(conversation, number, "termination")) == 1
    turns = upstream_ports(access_lines(scaled_stack)[before:], scaled_stack.ports.rasa, REST_PATH)
    assert [ports[-1] for ports in turns] == [port_of(second), port_of(second)], turns
    # The restarted process reads the whole conversation from the tracker store.
    scaled_stack.restart("rasa-1")
    events = rasa_api.tracker(first, scaled_portal, conversation.sender)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == [
        f"uitdiensttreding voor {number}", f"per {date_text}", "ja"]
