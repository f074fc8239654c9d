"""Tests of the tracker stores that mask BSNs and drop tokens: a real SQLite file, read back by Rasa and byte
by byte, and conversations through the REST channel of a real assistant on each store."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import jwt
import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from actions import sealed
from bot.tracker_store import MaskingInMemoryTrackerStore, MaskingSQLTrackerStore
from tests import rasa_api
from tests.assistant.test_changes import dutch, end_of_next_month, mutations
from tests.conftest import Chat, ServiceProcess, free_port, rasa_environment, rasa_executable

REPO_ROOT = Path(__file__).resolve().parents[2]
BSN = "111222333"
SPACED = "1112 22 333"
MESSAGE_ID = "ab12345678901234cd567890123456ef"  # hexadecimal ids hold digit runs: they stay as they are
# A chat token as the channels pass it on (signed with a test key: only its shape matters here).
TOKEN = jwt.encode({"sub": "7", "sid": "conversation", "aud": "chat", "roles": ["hr"]}, "k" * 32, algorithm="HS256")
PASTED = "Bearer 0123456789abcdefABCDEF.ghij"  # a credential a user pastes into the chat


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO_ROOT / "domain.yml"))


@pytest.fixture()
def sealed_bsn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("ACTIONS_SEAL_KEY_FILE", str(tmp_path / "seal.key"))
    monkeypatch.delenv("ACTIONS_SEAL_KEY", raising=False)
    sealed._key.cache_clear()
    sealed._fernet.cache_clear()
    yield sealed.seal(BSN)
    sealed._key.cache_clear()
    sealed._fernet.cache_clear()


def conversation(store, sender: str, sealed_bsn: str):
    """A partner registration's turn as Rasa records it: the message, its entity, the slots, the reply."""
    tracker = store.init_tracker(sender)
    # Rasa copies the first message's metadata into this slot when it starts a session.
    tracker.update(SlotSet("session_started_metadata", {"token": TOKEN}))
    tracker.update(ActionExecuted("action_session_start"))
    text = f"zijn partner heeft bsn {BSN}, of {SPACED}; mijn sleutel is {PASTED} en {TOKEN}"
    tracker.update(
        UserUttered(
            text,
            intent={"name": "inform", "confidence": 0.9},
            entities=[{"entity": "bsn", "value": BSN, "start": 23, "end": 32}],
            parse_data={"text": text, "intent": {"name": "inform", "confidence": 0.9},
                        "entities": [{"entity": "bsn", "value": BSN, "start": 23, "end": 32}]},
            message_id=MESSAGE_ID,
            metadata={"token": TOKEN, "Authorization": f"Bearer {TOKEN}"},
        )
    )
    tracker.update(SlotSet("member_bsn", BSN))  # as extracted, before validation seals it
    tracker.update(ActionExecuted("validate_family_member_form"))
    tracker.update(SlotSet("member_bsn", sealed_bsn))
    tracker.update(SlotSet("member_bsn_display", "*****2333"))
    tracker.update(BotUttered("BSN: *****2333"))
    return tracker


def test_the_sql_store_writes_no_bsn_and_keeps_sealed_values(
    domain: Domain, tmp_path: Path, sealed_bsn: str
) -> None:
    database = tmp_path / "tracker.db"
    store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(database))
    tracker = conversation(store, "conversation-1", sealed_bsn)
    asyncio.run(store.save(tracker))
    # The turn in progress keeps the message as typed (the form reads it) and its token (the actions
    # act with it); the store does not.
    assert tracker.latest_message.text.count(BSN) == 1
    assert tracker.latest_message.metadata["token"] == TOKEN

    store.engine.dispose()
    raw = database.read_bytes()
    assert BSN.encode() not in raw and SPACED.encode() not in raw
    assert TOKEN.encode() not in raw and TOKEN.split(".")[2].encode() not in raw and b"eyJ" not in raw
    assert PASTED.encode() not in raw
    rows = sqlite3.connect(database).execute("SELECT data FROM events").fetchall()
    assert len(rows) >= 6 and any("*****2333" in row[0] for row in rows)

    reread = asyncio.run(MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(database)).retrieve("conversation-1"))
    user = next(e for e in reread.events if isinstance(e, UserUttered))
    assert user.text == "zijn partner heeft bsn *****2333, of *****2333; mijn sleutel is [removed] en [removed]"
    assert user.entities[0]["value"] == "*****2333"
    assert user.message_id == MESSAGE_ID
    assert user.metadata == {}
    assert reread.get_slot("session_started_metadata") == {}  # stored without the token
    # The slot holds the sealed value, which the action server can still open.
    assert reread.get_slot("member_bsn") == sealed_bsn
    assert sealed.unseal(reread.get_slot("member_bsn")) == BSN


def test_the_sql_store_adds_only_new_events_each_turn(domain: Domain, tmp_path: Path, sealed_bsn: str) -> None:
    database = tmp_path / "tracker.db"
    store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(database))
    tracker = conversation(store, "conversation-2", sealed_bsn)
    asyncio.run(store.save(tracker))
    tracker.update(UserUttered("ja", intent={"name": "affirm", "confidence": 1.0}))
    asyncio.run(store.save(tracker))
    count = sqlite3.connect(database).execute("SELECT count(*) FROM events").fetchone()[0]
    assert count == len(tracker.events)


def test_the_in_memory_store_holds_no_bsn(domain: Domain, sealed_bsn: str) -> None:
    store = MaskingInMemoryTrackerStore(domain)
    tracker = conversation(store, "conversation-3", sealed_bsn)
    asyncio.run(store.save(tracker))
    assert tracker.latest_message.metadata["token"] == TOKEN
    stored = store.store["conversation-3"]
    assert BSN not in stored and SPACED not in stored
    assert TOKEN not in stored and TOKEN.split(".")[2] not in stored and "eyJ" not in stored and PASTED not in stored
    reread = asyncio.run(store.retrieve("conversation-3"))
    assert reread.get_slot("member_bsn") == sealed_bsn
    user = next(e for e in reread.events if isinstance(e, UserUttered))
    assert user.message_id == MESSAGE_ID and user.metadata == {}


def test_the_in_memory_store_masks_what_each_turn_adds_and_reads_back_the_whole_conversation(
    domain: Domain, sealed_bsn: str
) -> None:
    store = MaskingInMemoryTrackerStore(domain)
    asyncio.run(store.save(conversation(store, "conversation-4", sealed_bsn)))
    # Each next turn, as Rasa runs it: the conversation's last session read back, new events added, saved.
    asyncio.run(store.save(asyncio.run(store.retrieve("conversation-4"))))
    tracker = asyncio.run(store.retrieve("conversation-4"))
    stored_before = len(tracker.events)
    tracker.update(UserUttered(f"en het kind heeft bsn {SPACED}", intent={"name": "inform", "confidence": 0.9},
                               metadata={"token": TOKEN}))
    tracker.update(BotUttered("Dank je."))
    asyncio.run(store.save(tracker))
    stored = store.store["conversation-4"]
    assert BSN not in stored and SPACED not in stored and TOKEN not in stored
    reread = asyncio.run(store.retrieve("conversation-4"))
    assert len(reread.events) == stored_before + 2
    assert [e.text for e in reread.events if isinstance(e, UserUttered)][-1] == "en het kind heeft bsn *****2333"
    # What is stored is what masking the whole conversation at once gives.
    whole = MaskingInMemoryTrackerStore(domain)
    asyncio.run(whole.save(tracker))
    assert json.loads(stored) == json.loads(whole.store["conversation-4"])


def test_the_in_memory_store_replaces_a_conversation_saved_from_a_tracker_it_did_not_give(
    domain: Domain, sealed_bsn: str
) -> None:
    store = MaskingInMemoryTrackerStore(domain)
    asyncio.run(store.save(conversation(store, "conversation-5", sealed_bsn)))
    # Another tracker for the same conversation id, with other events: saved as a whole, as Rasa does.
    other = store.init_tracker("conversation-5")
    other.update(ActionExecuted("action_session_start"))
    other.update(UserUttered(f"bsn {BSN}", intent={"name": "inform", "confidence": 0.9}))
    other.update(BotUttered("Welke deelnemer?"))
    other.update(ActionExecuted("action_listen"))
    other.update(UserUttered("2001681", intent={"name": "inform", "confidence": 0.9}))
    other.update(BotUttered("Gevonden."))
    other.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(other))
    reread = asyncio.run(store.retrieve("conversation-5"))
    assert [e.text for e in reread.events if isinstance(e, UserUttered)] == ["bsn *****2333", "2001681"]
    assert reread.get_slot("member_bsn") is None


# End to end: the real assistant, its turns acting with each message's own token.


def salary_change_across_turns(conversation: Chat) -> None:
    """A salary change in three turns (values, date, "ja"), and a lookup: each turn acts with its own token."""
    assert "52.242,28" in "\n".join(conversation.say("wat verdient 2001681?"))
    asked = "\n".join(conversation.say("het salaris van 2001683 wordt 45.100 euro"))
    assert "Per welke datum" in asked and "Anna Jansen" in asked, asked
    first_of_next_month = end_of_next_month().replace(day=1)
    summary = "\n".join(conversation.say(f"per {dutch(first_of_next_month)}"))
    assert "45.100,00" in summary and "Zal ik deze wijziging doorgeven?" in summary, summary
    before = len(mutations(conversation, "2001683", "salary_change"))
    assert "Doorgegeven" in "\n".join(conversation.say("ja"))
    changes = mutations(conversation, "2001683", "salary_change")
    assert len(changes) == before + 1 and changes[0]["channel"] == "chat"


def holds_no_token(data: bytes, token: str) -> bool:
    """Neither the token nor its signature, nor anything shaped like a JWT, is in the data."""
    return token.encode() not in data and token.split(".")[2].encode() not in data and b"eyJ" not in data


@pytest.fixture(scope="module")
def sqlite_rasa(
    trained_model: Path, action_server_url: str, portal: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A Rasa server with the masking SQL tracker store on a SQLite file: its URL and the file's folder."""
    workdir = tmp_path_factory.mktemp("rasa-sqlite-store")
    (workdir / "credentials.yml").write_text(json.dumps({"bot.channels.rest.ChatTokenRestInput": None}))
    (workdir / "endpoints.yml").write_text(json.dumps({
        "action_endpoint": {"url": f"{action_server_url}/webhook"},
        "tracker_store": {"type": "bot.tracker_store.MaskingSQLTrackerStore", "dialect": "sqlite",
                          "db": str(workdir / "tracker.db")},
    }))
    port = free_port()
    server = ServiceProcess(
        "rasa server (SQLite tracker store)",
        [rasa_executable(), "run", "-i", "127.0.0.1", "-p", str(port), "-m", str(trained_model),
         "--credentials", str(workdir / "credentials.yml"), "--endpoints", str(workdir / "endpoints.yml")],
        workdir / "output.log",
        rasa_environment(PORTAL_URL=portal.url),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        server.wait_until_ready(f"{url}/")
        yield url, workdir
    finally:
        server.stop()


def test_a_change_across_turns_leaves_no_token_in_the_sqlite_file(sqlite_rasa: tuple[str, Path], portal: object) -> None:
    url, workdir = sqlite_rasa
    conversation = Chat(url, portal, "demo.hr")
    salary_change_across_turns(conversation)
    (database,) = workdir.glob("tracker.db")
    events = sqlite3.connect(database).execute("SELECT count(*) FROM events WHERE sender_id = ?",
                                               (conversation.sender,)).fetchone()[0]
    assert events > 10  # the conversation is stored, every turn of it
    for path in workdir.glob("tracker.db*"):  # a journal left behind would count too
        assert holds_no_token(path.read_bytes(), conversation.token), path


def test_a_change_across_turns_leaves_no_token_in_the_in_memory_store(
    chat: Callable[..., Chat], rasa_url: str, portal: object
) -> None:
    conversation = chat("demo.hr")
    salary_change_across_turns(conversation)
    # Rasa's HTTP API answers with the conversation as the store holds it.
    stored = rasa_api.tracker(rasa_url, portal, conversation.sender)
    assert [e for e in stored["events"] if e["event"] == "user"][-1]["text"] == "ja"
    assert holds_no_token(json.dumps(stored).encode(), conversation.token)
