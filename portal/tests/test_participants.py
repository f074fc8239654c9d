"""The participant overview and detail (R4, §4.1): the demo data, search, scheme filter, sort, pages."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from portal.participants.bsn import is_valid_bsn
from portal.participants.search import fold
from tests.server import Portal

# Contract §2, as the overview lists them.
FIXED = [
    ("2001681", "Assob, G., ter", "2019-08-01", "52242.28", "100.000", "active", 1),
    ("2001682", "Jansen, P.", "2015-03-01", "61000.00", "80.000", "active", 1),
    ("2001683", "Jansen, A.", "2021-09-15", "44500.00", "100.000", "active", 1),
    ("2001684", "Vries, M., de", "2012-01-01", "48000.00", "100.000", "dormant", 1),
    ("2001685", "Bakker, S.", "2020-06-01", "57750.00", "90.000", "active", 2),
    ("2001686", "Visser, E.", "2018-02-01", "66300.00", "100.000", "active", 2),
]


def _search(portal: Portal, **params: object) -> dict:
    with portal.client() as client:
        response = client.get("/api/participants", params=params, headers=portal.headers("demo.hr"))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("row", FIXED, ids=[r[0] for r in FIXED])
def test_the_contracts_participants_are_listed_as_agreed(portal: Portal, row: tuple) -> None:
    (item,) = _search(portal, q=row[0])["items"]
    assert (
        item["number"], item["name"], item["date_in_service"], item["fulltime_salary"],
        item["parttime_percentage"], item["status"], item["scheme"],
    ) == row


def test_the_demo_employer_has_at_least_250_participants_in_two_schemes(portal: Portal) -> None:
    everyone = _search(portal, page_size=1)["total"]
    per_scheme = [_search(portal, scheme=number, page_size=1)["total"] for number in (1, 2)]
    assert everyone >= 250
    assert all(count > 0 for count in per_scheme) and sum(per_scheme) == everyone
    dormant = [p for page in range(1, everyone // 200 + 2) for p in _search(portal, page=page, page_size=200)["items"] if p["status"] == "dormant"]
    assert len(dormant) >= 5


def test_every_seeded_bsn_passes_the_elfproef_and_is_unique(tmp_path: Path) -> None:
    # A database of its own: the shared portal also holds the BSNs other tests register.
    env = {**os.environ, "PORTAL_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(Path(sys.executable).parent / "portal"), "init-db"], env=env, check=True, capture_output=True)
    with sqlite3.connect(tmp_path / "portal.db") as db:
        bsns = [row[0] for row in db.execute("SELECT bsn FROM participant UNION ALL SELECT bsn FROM family_member")]
    assert len(bsns) >= 250
    assert all(is_valid_bsn(bsn) for bsn in bsns)
    assert len(set(bsns)) == len(bsns)


@pytest.mark.parametrize("query", ["ter Assob", "assob", "Assob G", "ASSOB", "Assob, G., ter", "gerrit", "Assöb"])
def test_search_by_name_fragment_ignores_case_and_accents(portal: Portal, query: str) -> None:
    numbers = [p["number"] for p in _search(portal, q=query)["items"]]
    assert numbers == ["2001681"]


def test_search_finds_both_jansens_and_no_one_else_for_p_jansen(portal: Portal) -> None:
    jansens = {p["number"] for p in _search(portal, q="jansen", page_size=200)["items"]}
    assert {"2001682", "2001683"} <= jansens
    assert all(p["name"].startswith("Jansen") for p in _search(portal, q="jansen", page_size=200)["items"])
    assert [p["number"] for p in _search(portal, q="Jansen P")["items"]] == ["2001682"]


def test_search_finds_names_with_diacritics_typed_without_them(portal: Portal) -> None:
    everyone = [p for page in (1, 2) for p in _search(portal, page=page, page_size=200)["items"]]
    accented = next(p for p in everyone if re.search(r"[^\x00-\x7f]", p["name"]))
    plain = fold(accented["name"].split(",")[0])
    assert accented["number"] in [p["number"] for p in _search(portal, q=plain, page_size=200)["items"]]


def test_search_finds_a_fragment_inside_a_name_word(portal: Portal) -> None:
    # The word index keeps the old meaning of a fragment: anywhere inside a name word, not only at its start.
    assert [p["number"] for p in _search(portal, q="ssob")["items"]] == ["2001681"]
    assert [p["number"] for p in _search(portal, q="ier assob")["items"]] == []


@pytest.mark.parametrize(
    "query", ["'; DROP TABLE participant;--", "' OR '1'='1", "\" OR 1=1 --", "%' UNION SELECT bsn FROM participant --"]
)
def test_sql_in_a_search_is_text_that_finds_nobody(portal: Portal, query: str) -> None:
    found = _search(portal, q=query)
    assert found["total"] == 0 and found["items"] == []
    # The table is still there, and quotes and comment marks around a name are only punctuation.
    assert [p["number"] for p in _search(portal, q="ter Assob")["items"]] == ["2001681"]
    assert [p["number"] for p in _search(portal, q="assob' --")["items"]] == ["2001681"]


@pytest.mark.parametrize("query", ["%", "_", "\\", "%%", "_%_"])
def test_like_wildcards_are_no_patterns(portal: Portal, query: str) -> None:
    """A search of only wildcards or punctuation is an empty search (everyone listed), not a pattern error."""
    assert _search(portal, q=query)["total"] == _search(portal)["total"]


def test_search_by_bsn_finds_exactly_that_participant(portal: Portal) -> None:
    with sqlite3.connect(portal.database) as db:
        (bsn,) = db.execute("SELECT bsn FROM participant WHERE number = '2001685'").fetchone()
    assert [p["number"] for p in _search(portal, q=bsn)["items"]] == ["2001685"]
    # Nine digits failing the elfproef are no BSN, and no participant number starts with them.
    wrong = bsn[:8] + str((int(bsn[8]) + 1) % 10)
    assert _search(portal, q=wrong)["total"] == 0


def test_search_by_number_prefix(portal: Portal) -> None:
    numbers = [p["number"] for p in _search(portal, q="200168", sort="number")["items"]]
    assert numbers[:6] == [row[0] for row in FIXED]


def test_scheme_filter(portal: Portal) -> None:
    scheme_two = {p["number"] for p in _search(portal, scheme=2, page_size=200)["items"]}
    assert {"2001685", "2001686"} <= scheme_two
    assert "2001681" not in scheme_two


def test_sort_by_name_and_pages_do_not_overlap(portal: Portal) -> None:
    first = _search(portal, sort="name", page=1, page_size=25)["items"]
    second = _search(portal, sort="name", page=2, page_size=25)["items"]
    names = [p["name"] for p in first + second]
    assert names == sorted(names, key=fold)
    assert not {p["number"] for p in first} & {p["number"] for p in second}
    descending = _search(portal, sort="name", order="desc", page_size=5)["items"]
    assert fold(descending[0]["name"]) >= fold(first[0]["name"])


def test_detail_shows_personal_data_coverages_and_employment_without_a_full_bsn(portal: Portal) -> None:
    with portal.client("en") as client:
        detail = client.get("/api/participants/2001685", headers=portal.headers("demo.hr")).json()
    with sqlite3.connect(portal.database) as db:
        (bsn,) = db.execute("SELECT bsn FROM participant WHERE number = '2001685'").fetchone()
    assert detail["first_name"] == "Sanne"
    assert detail["birth_date"]
    assert detail["bsn_masked"] == "*****" + bsn[-4:]
    assert bsn not in str(detail)
    assert "Old-age pension" in [c["name"] for c in detail["coverages"]]
    assert detail["date_in_service"] == "2020-06-01"
    assert detail["changes"][-1]["type"] == "new_participation"


def test_detail_says_why_a_participant_cannot_be_changed(portal: Portal) -> None:
    with portal.client("en") as client:
        dormant = client.get("/api/participants/2001684", headers=portal.headers("demo.hr")).json()
        active = client.get("/api/participants/2001685", headers=portal.headers("demo.hr")).json()
    assert dormant["change_blocked"]["code"] == "participant_dormant"
    assert "dormant" in dormant["change_blocked"]["message"]
    assert active["change_blocked"] is None


def test_the_detail_history_says_what_each_change_changed(portal: Portal) -> None:
    with portal.client() as client:
        detail = client.get("/api/participants/2001685", headers=portal.headers("demo.hr")).json()
    start = detail["changes"][-1]
    assert start["type"] == "new_participation"
    assert start["payload"] == {"fulltime_salary": "57750.00", "parttime_percentage": "90.000"}
