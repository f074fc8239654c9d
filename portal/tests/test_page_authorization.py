"""Who may do what on the pages (R1): every page and form × every role, another employer's user and no session."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.routing import APIRoute

from portal.main import app
from tests.server import Portal
from tests.test_web import csrf_of, log_in

USERS = ["demo.um", "demo.hr", "demo.finance", "demo.hrfin", "desk.agent", "other.hr", None]
LOGIN = "login"  # a 303 to the login page, with the session cookie cleared
# Pages for people who cannot log in (yet), and the widget's script: tests/test_web.py and tests/test_activation.py.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/login/code"), ("POST", "/login/code"),
          ("GET", "/static/vendor/rasa-webchat.js")}
PUBLIC |= {
    (method, path)
    for path in ("/activate", "/activate/code", "/activate/account", "/recover/username", "/recover/password",
                 "/recover/password/code", "/recover/password/new")
    for method in ("GET", "POST")
}
# Logging out ends the session the matrix goes on using: tests/test_web.py and tests/test_audit_trail.py.
ENDS_THE_SESSION = {("POST", "/logout")}
# FastAPI's own documentation of the API, not a page of the portal.
API_DOCUMENTATION = {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc")}

# Without a session a page sends the browser to the login page; a form is refused first by its CSRF check.
PARTICIPANT_ACCESS = {"demo.um": 200, "demo.hr": 200, "demo.finance": 403, "demo.hrfin": 200, "desk.agent": 403, None: LOGIN}
EMPLOYER_ACCESS = {**dict.fromkeys(USERS, 200), "desk.agent": 403, None: LOGIN}
DESK_ACCESS = {**dict.fromkeys(USERS, 403), "desk.agent": 200, None: LOGIN}
ACCOUNTS_ACCESS = {**dict.fromkeys(USERS, 403), "demo.um": 200, None: LOGIN}
# Forms: past the role check, an empty or wrong form is answered 422 and changes nothing.
FORM = {**dict.fromkeys(USERS, 422), None: 403}
PARTICIPANT_FORM = {**FORM, "demo.finance": 403, "desk.agent": 403}
EMPLOYER_FORM = {**FORM, "desk.agent": 403}
DESK_FORM = {**dict.fromkeys(USERS, 403), "desk.agent": 404}  # a handoff nobody has: the desk learns it is missing
MISSING = 999999
# (method, path template, form kind, expected answer per user)
MATRIX = [
    ("GET", "/", None, {**dict.fromkeys(USERS, 200), None: LOGIN}),
    ("POST", "/language", "language", {**dict.fromkeys(USERS, 303), None: 403}),
    ("POST", "/theme", "theme", {**dict.fromkeys(USERS, 303), None: 403}),
    # The widget's token: every employer user may chat; the desk works in its console; JSON answers for the script.
    ("POST", "/chat/token", "json", {**EMPLOYER_ACCESS, None: 403}),
    # §4 (R4): participants for HR and User Management; another employer's participant answers like a missing one.
    ("GET", "/participants", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("POST", "/participants/refresh", "empty", {**PARTICIPANT_ACCESS, "demo.um": 303, "demo.hr": 303, "demo.hrfin": 303,
                                                "other.hr": 303, None: 403}),
    ("GET", "/participants/{number}", None, {**PARTICIPANT_ACCESS, "other.hr": 404}),
    ("GET", "/participants/{number}/{slug}", None, {**PARTICIPANT_ACCESS, "other.hr": 404}),
    ("POST", "/participants/{number}/{slug}", "empty", {**PARTICIPANT_FORM, "other.hr": 404}),
    ("GET", "/changes", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    # §4.3/§4.4 (R9-R11): registering and collective changes for HR and User Management.
    ("GET", "/arrange", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("GET", "/arrange/participant", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("POST", "/arrange/participant", "empty", PARTICIPANT_FORM),
    ("GET", "/arrange/collective-salary", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("GET", "/arrange/collective-salary/workbook?effective_date={today}", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("POST", "/arrange/collective-salary", "upload", PARTICIPANT_FORM),
    ("GET", "/arrange/collective-participants", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("GET", "/arrange/collective-participants/template", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("POST", "/arrange/collective-participants", "upload", PARTICIPANT_FORM),
    ("GET", "/arrange/collective/{missing}", None, {**PARTICIPANT_ACCESS, "demo.um": 404, "demo.hr": 404, "demo.hrfin": 404,
                                                    "other.hr": 404}),
    ("GET", "/arrange/collective/{missing}/status", None, {**PARTICIPANT_ACCESS, "demo.um": 404, "demo.hr": 404,
                                                           "demo.hrfin": 404, "other.hr": 404}),
    # §4.2.4 (R8): the export for HR and User Management; another employer's file answers like a missing one.
    ("GET", "/export", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("POST", "/export", "empty", PARTICIPANT_FORM),
    ("GET", "/export/{export_id}/file", None, {**PARTICIPANT_ACCESS, "other.hr": 404}),
    # §5 (R13): financial documents for Finance and User Management, never HR alone; legal ones for every employer role.
    ("GET", "/documents/financial", None, {**EMPLOYER_ACCESS, "demo.hr": 403, "other.hr": 403}),
    ("GET", "/documents/legal", None, EMPLOYER_ACCESS),
    ("GET", "/documents/{invoice_id}/file", None, {**EMPLOYER_ACCESS, "demo.hr": 403, "other.hr": 404}),
    ("GET", "/documents/{regulations_id}/file", None, {**EMPLOYER_ACCESS, "other.hr": 404}),
    # §6 (R14) and §7 (R15): every employer role, Finance included, sees them and changes the contact details.
    ("GET", "/profile", None, EMPLOYER_ACCESS),
    ("POST", "/profile/me", "empty", EMPLOYER_FORM),
    ("POST", "/profile/company", "empty", EMPLOYER_FORM),
    ("GET", "/scheme", None, EMPLOYER_ACCESS),
    # §8: frequently asked questions and the insurer's address, no employer's data: every logged-in user.
    ("GET", "/service", None, {**dict.fromkeys(USERS, 200), None: LOGIN}),
    # §2.1: only User Management creates accounts.
    ("GET", "/accounts/new", None, ACCOUNTS_ACCESS),
    ("POST", "/accounts/new", "empty", {**dict.fromkeys(USERS, 403), "demo.um": 422}),
    # The service desk's console: insurer staff only, whatever an employer user's roles.
    ("GET", "/desk", None, DESK_ACCESS),
    ("GET", "/desk/handoffs/{handoff_id}", None, DESK_ACCESS),
    ("GET", "/desk/handoffs/{missing}/messages", None, {**DESK_ACCESS, "desk.agent": 404}),
    ("POST", "/desk/handoffs/{missing}/take", "empty", DESK_FORM),
    ("POST", "/desk/handoffs/{missing}/give-back", "empty", DESK_FORM),
    ("POST", "/desk/handoffs/{missing}/resolve", "empty", DESK_FORM),
    ("POST", "/desk/handoffs/{missing}/messages", "empty", DESK_FORM),
]
# What must never reach someone refused, or another employer's user: the contract's first participant and
# salary, and the text of the handoff below.
SECRETS_OF_THE_MAIN_EMPLOYER = ("Assob", "Gerrit", "52.242", "52242", "Matrixgeheim")


@pytest.fixture(scope="module")
def sessions(portal: Portal) -> Iterator[Callable[[str], tuple[httpx.Client, str]]]:
    """A logged-in browser per user (cookies kept, redirects not followed) and its CSRF token, logged in once."""
    clients: dict[str, tuple[httpx.Client, str]] = {}

    def of(username: str) -> tuple[httpx.Client, str]:
        if username not in clients:
            client = httpx.Client(base_url=portal.url, timeout=30)
            clients[username] = (client, csrf_of(log_in(client, portal, username)))
        return clients[username]

    yield of
    for client, _ in clients.values():
        client.close()


@pytest.fixture(scope="module")
def values(portal: Portal) -> dict[str, object]:
    """The path's values: real records of the main employer where another employer's user must get nothing."""
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()
    with portal.client() as client:
        export = client.post("/api/exports", json={"as_of": today}, headers=portal.headers("demo.hr"))
        legal = client.get("/api/documents/legal", headers=portal.headers("demo.hr"))
        handoff = client.post("/api/handoffs", headers=portal.headers("demo.hr"), json={
            "conversation_id": "page-matrix-handoff", "channel": "portal", "reason": "user_request", "language": "nl",
            "transcript": [{"sender": "user", "text": "Matrixgeheim: het salaris van Assob.", "timestamp": f"{today}T09:00:00"}],
        })
    assert export.status_code == 201 and legal.status_code == 200 and handoff.status_code == 201
    documents = [document for group in legal.json() for document in group["documents"]]
    return {"number": "2001681", "slug": "salary-change", "missing": MISSING, "today": today, "invoice_id": 1,
            "export_id": export.json()["id"], "regulations_id": documents[0]["id"], "handoff_id": handoff.json()["id"]}


def _send(client: httpx.Client, csrf: str, method: str, path: str, kind: str | None) -> httpx.Response:
    if method == "GET":
        return client.get(path)
    if kind == "json":
        return client.post(path, json={}, headers={"X-CSRF-Token": csrf})
    form = {"csrf": csrf}
    if kind in ("language", "theme"):
        # The user's own language or theme again, read from the page: other tests rely on the demo users' settings.
        shown = re.search(r'<html lang="([a-z]+)" data-theme="([a-z]+)"', client.get("/").text)
        language, theme = shown.groups() if shown else ("nl", "light")
        form |= {kind: language if kind == "language" else theme, "next": "/"}
    if kind == "upload":
        return client.post(path, data={**form, "effective_date": datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()},
                           files={"file": ("wijzigingen.xlsx", b"not a workbook", "application/octet-stream")})
    return client.post(path, data=form)


def _route(path: str) -> str:
    """The route a path of the matrix belongs to: its template without the values or the query string."""
    return path.split("?")[0].replace("{missing}", "{handoff_id}" if path.startswith("/desk") else "{change_id}") \
        .replace("{invoice_id}", "{document_id}").replace("{regulations_id}", "{document_id}")


def test_the_matrix_covers_every_page() -> None:
    served = {
        (method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))
        for route in app.routes
        if hasattr(route, "methods") and not route.path.startswith("/api/")
        and not (isinstance(route, APIRoute) and route.include_in_schema)
        for method in route.methods - {"HEAD"}
    }
    covered = {(method, _route(path)) for method, path, _, _ in MATRIX}
    assert served - PUBLIC - ENDS_THE_SESSION - API_DOCUMENTATION == covered


@pytest.mark.parametrize("user", USERS, ids=lambda u: u or "no-session")
@pytest.mark.parametrize("method,path,kind,expected", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_page_matrix(
    portal: Portal, sessions: Callable[[str], tuple[httpx.Client, str]], values: dict[str, object],
    user: str | None, method: str, path: str, kind: str | None, expected: dict,
) -> None:
    url = path.format(**values)
    if user is None:
        with httpx.Client(base_url=portal.url, timeout=30) as anonymous:
            response = _send(anonymous, "", method, url, kind)
    else:
        client, csrf = sessions(user)
        response = _send(client, csrf, method, url, kind)
    if expected[user] == LOGIN:
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), response.text
    else:
        assert response.status_code == expected[user], response.text
        if response.status_code == 303:
            assert not response.headers["location"].startswith("/login")
    if expected[user] in (LOGIN, 403, 404) or user == "other.hr":
        leaked = [secret for secret in SECRETS_OF_THE_MAIN_EMPLOYER if secret in response.text]
        assert not leaked, response.text


def test_the_secrets_are_on_the_pages_of_those_who_may_see_them(
    sessions: Callable[[str], tuple[httpx.Client, str]], values: dict[str, object]
) -> None:
    """The matrix looks for these words where they must be absent; here they are present, so the words are right."""
    hr, _ = sessions("demo.hr")
    desk, _ = sessions("desk.agent")
    participant = hr.get("/participants/2001681").text
    handoff = desk.get(f"/desk/handoffs/{values['handoff_id']}").text
    assert "Assob" in participant and "52.242" in participant
    assert "Matrixgeheim" in handoff
