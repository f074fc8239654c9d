"""Tests of the tracker stores that mask BSNs: a real SQLite file, read back by Rasa and byte by byte."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from actions import sealed
from bot.tracker_store import MaskingInMemoryTrackerStore, MaskingSQLTrackerStore

REPO_ROOT = Path(__file__).resolve().parents[2]
BSN = "111222333"
SPACED = "1112 22 333"
MESSAGE_ID = "ab12345678901234cd567890123456ef"  # hexadecimal ids hold digit runs: they stay as they are


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
    text = f"zijn partner heeft bsn {BSN}, of {SPACED}"
    tracker.update(
        UserUttered(
            text,
            intent={"name": "inform", "confidence": 0.9},
            entities=[{"entity": "bsn", "value": BSN, "start": 23, "end": 32}],
            parse_data={"text": text, "intent": {"name": "inform", "confidence": 0.9},
                        "entities": [{"entity": "bsn", "value": BSN, "start": 23, "end": 32}]},
            message_id=MESSAGE_ID,
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
    # The turn in progress keeps the message as typed (the form reads it); the store does not.
    assert tracker.latest_message.text.count(BSN) == 1

    store.engine.dispose()
    raw = database.read_bytes()
    assert BSN.encode() not in raw and SPACED.encode() not in raw
    rows = sqlite3.connect(database).execute("SELECT data FROM events").fetchall()
    assert len(rows) >= 6 and any("*****2333" in row[0] for row in rows)

    reread = asyncio.run(MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(database)).retrieve("conversation-1"))
    user = next(e for e in reread.events if isinstance(e, UserUttered))
    assert user.text == "zijn partner heeft bsn *****2333, of *****2333"
    assert user.entities[0]["value"] == "*****2333"
    assert user.message_id == MESSAGE_ID
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
    asyncio.run(store.save(conversation(store, "conversation-3", sealed_bsn)))
    assert BSN not in store.store["conversation-3"] and SPACED not in store.store["conversation-3"]
    reread = asyncio.run(store.retrieve("conversation-3"))
    assert reread.get_slot("member_bsn") == sealed_bsn
    assert next(e for e in reread.events if isinstance(e, UserUttered)).message_id == MESSAGE_ID
