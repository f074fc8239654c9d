"""The portal's log: JSON lines carrying the caller's request id, no query strings, no tokens or passwords."""

from __future__ import annotations

import json
import uuid

from tests.server import DEMO_PASSWORD, Portal


def log_lines(portal: Portal) -> list[dict]:
    lines = []
    for raw in (portal.data_dir / "portal.log").read_text().splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_each_request_is_one_json_line_with_the_callers_request_id(portal: Portal) -> None:
    request_id = f"turn-{uuid.uuid4().hex[:12]}"
    with portal.client() as client:
        response = client.get("/api/participants", params={"q": "ter Assob"},
                              headers={**portal.headers("demo.hr"), "X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id
    (line,) = [line for line in log_lines(portal) if line.get("request_id") == request_id]
    assert line["logger"] == "portal.access" and line["method"] == "GET" and line["status"] == 200
    # The search (a name here, a BSN elsewhere) is not in the log: the path only.
    assert line["path"] == "/api/participants" and "Assob" not in json.dumps(line)


def test_a_request_without_an_id_gets_one_and_a_strange_id_is_replaced(portal: Portal) -> None:
    with portal.client() as client:
        plain = client.get("/api/health")
        strange = client.get("/api/health", headers={"X-Request-ID": "x" * 65 + "\"}{forged"})
    assert plain.headers["X-Request-ID"] and strange.headers["X-Request-ID"] != "x" * 65 + "\"}{forged"
    ids = {line.get("request_id") for line in log_lines(portal)}
    assert plain.headers["X-Request-ID"] in ids and strange.headers["X-Request-ID"] in ids


def test_no_token_password_or_code_in_the_log(portal: Portal) -> None:
    portal.login("demo.finance")
    with portal.client() as client:
        client.post("/api/auth/login", json={"username": "demo.finance", "password": "wrong-" + DEMO_PASSWORD})
    text = (portal.data_dir / "portal.log").read_text()
    assert "eyJ" not in text and DEMO_PASSWORD not in text and portal.tokens["demo.finance"] not in text
