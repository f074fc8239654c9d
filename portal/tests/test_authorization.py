"""Who may do what (R1): every endpoint × every role, plus another employer's user and no token."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.server import Portal

USERS = ["demo.um", "demo.hr", "demo.finance", "demo.hrfin", "desk.agent", "other.hr", None]
PUBLIC = {("POST", "/api/auth/login"), ("POST", "/api/auth/mfa"), ("GET", "/api/auth/jwks"), ("GET", "/api/health")}
# Activation and recovery (§1) serve people who cannot log in (yet): tests/test_activation.py.
PUBLIC |= {
    ("POST", f"/api/{path}")
    for path in ("activation/start", "activation/verify", "activation/complete", "recovery/username",
                 "recovery/password/start", "recovery/password/verify", "recovery/password/complete", "password-strength")
}
# The first login's authenticator link takes the password step's token, not a bearer token: tests/test_activation.py.
PUBLIC |= {("POST", "/api/auth/totp-enrolment")}
# Logging out ends the caller's own token, which the matrix's users go on using: tests/test_accounts.py.
ENDS_THE_TOKEN = {("POST", "/api/auth/logout")}


def _body(kind: str, today: date) -> dict | None:
    return {
        "salary": {"effective_date": today.isoformat(), "salary": "50000"},
        "termination": {"effective_date": today.isoformat()},
        "family": {
            "relation": "child",
            "first_name": "Lotte",
            "last_name": "Assob",
            "birth_date": "2020-05-01",
            "bsn": "123456782",
        },
        "handoff": {
            "conversation_id": "matrix-handoff",
            "channel": "portal",
            "reason": "user_request",
            "language": "nl",
            "transcript": [{"sender": "user", "text": "Ik wil een medewerker spreken.", "timestamp": f"{today}T09:00:00"}],
        },
        "resolve": {"note": "Nothing to resolve: the handoff does not exist."},
        "reply": {"text": "Nobody reads this: the handoff does not exist."},
        "teams_link": {"tenant_id": "matrix-tenant", "aad_object_id": "matrix-user", "username": "demo.hr", "code": "000000"},
        "teams_token": {"tenant_id": "matrix-tenant", "aad_object_id": "matrix-user", "conversation_reference": {}},
        "new_participant": {"scheme": 1, "first_name": "Mila", "last_name": "Matrix", "gender": "V", "birth_date": "1990-01-01",
                            "bsn": "111222333", "date_in_service": today.isoformat(), "salary": "40000"},
        "export": {"as_of": today.isoformat()},
        "unchanged": {},  # a PATCH that changes nothing: other tests rely on the demo data
        "account": {"full_name": "Matrix Tester", "email": "matrix.tester@voorbeeld.example", "roles": ["hr"]},
        "settings": {},  # changes nothing: other tests rely on the demo users' language and theme
    }.get(kind)


# (method, path template, body kind, expected status per user). Mutations run as dry runs: nothing changes.
PARTICIPANT_ACCESS = {"demo.um": 200, "demo.hr": 200, "demo.finance": 403, "demo.hrfin": 200, "desk.agent": 403, None: 401}
HANDOFF_REQUEST = {"demo.um": 201, "demo.hr": 201, "demo.finance": 201, "demo.hrfin": 201, "desk.agent": 403, "other.hr": 201, None: 401}
EMPLOYER_ACCESS = {**dict.fromkeys(USERS, 200), "desk.agent": 403, None: 401}
# Document 1 is the main employer's first invoice; no export has this id.
DOCUMENT_ID, MISSING_EXPORT = 1, 999999
DESK_ACCESS = {"demo.um": 403, "demo.hr": 403, "demo.finance": 403, "demo.hrfin": 403, "desk.agent": 200, "other.hr": 403, None: 401}
CONNECTOR_ONLY = dict.fromkeys(USERS, 401)
ACCOUNTS_ACCESS = {**dict.fromkeys(USERS, 403), "demo.um": 200, None: 401}
TEAMS_PATH = {"tenant_id": "matrix-tenant", "aad_object_id": "matrix-user", "conversation_id": "matrix-conversation"}
MISSING_HANDOFF = 999999  # the desk gets 404 only after the role check; everyone else 403 first
MATRIX = [
    ("GET", "/api/participants", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("GET", "/api/participants/{number}", None, {**PARTICIPANT_ACCESS, "other.hr": 404}),
    ("POST", "/api/participants/{number}/salary-change?dry_run=true", "salary", {**PARTICIPANT_ACCESS, "other.hr": 404}),
    ("POST", "/api/participants/{number}/termination?dry_run=true", "termination", {**PARTICIPANT_ACCESS, "other.hr": 404}),
    ("POST", "/api/participants/{number}/family-members?dry_run=true", "family", {**PARTICIPANT_ACCESS, "other.hr": 404}),
    ("GET", "/api/changes/individual", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("GET", "/api/changes/collective", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    # §4.3/§4.4 (R9-R11): HR and User Management register participants and upload collective changes.
    ("POST", "/api/participants?dry_run=true", "new_participant", {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("GET", "/api/collective/salary-workbook?effective_date=2025-01-01", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("GET", "/api/collective/new-participants-template", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    # Uploads are multipart: a JSON body passes the role check and then misses the file (422).
    ("POST", "/api/collective/salary-changes?dry_run=true", None, {**dict.fromkeys(USERS, 422), "demo.finance": 403, "desk.agent": 403, None: 401}),
    ("POST", "/api/collective/new-participants?dry_run=true", None, {**dict.fromkeys(USERS, 422), "demo.finance": 403, "desk.agent": 403, None: 401}),
    ("GET", "/api/collective/{change_id}", None, {**PARTICIPANT_ACCESS, "demo.um": 404, "demo.hr": 404, "demo.hrfin": 404, "other.hr": 404}),
    ("GET", "/api/schemes", None, {**PARTICIPANT_ACCESS, "demo.finance": 200, "other.hr": 200}),
    ("GET", "/api/schemes/{scheme_number}", None, EMPLOYER_ACCESS),
    # §4.2.4 (R8): HR and User Management export the participant file; Finance does not.
    ("POST", "/api/exports", "export", {**PARTICIPANT_ACCESS, "demo.um": 201, "demo.hr": 201, "demo.hrfin": 201, "other.hr": 201}),
    ("GET", "/api/exports", None, {**PARTICIPANT_ACCESS, "other.hr": 200}),
    ("GET", "/api/exports/{export_id}/file", None, {**PARTICIPANT_ACCESS, "demo.um": 404, "demo.hr": 404, "demo.hrfin": 404, "other.hr": 404}),
    # §5 (R13): financial documents for Finance and User Management; legal ones for every employer role.
    ("GET", "/api/documents/financial", None, {**EMPLOYER_ACCESS, "demo.hr": 403, "other.hr": 403}),
    ("GET", "/api/documents/legal", None, EMPLOYER_ACCESS),
    ("GET", "/api/documents/{document_id}/file", None, {**EMPLOYER_ACCESS, "demo.hr": 403, "other.hr": 404}),
    # §6 (R14): every employer role sees and changes its own and the company's contact details.
    ("GET", "/api/profile/me", None, EMPLOYER_ACCESS),
    ("PATCH", "/api/profile/me", "unchanged", EMPLOYER_ACCESS),
    ("GET", "/api/profile/company", None, EMPLOYER_ACCESS),
    ("PATCH", "/api/profile/company", "unchanged", EMPLOYER_ACCESS),
    ("GET", "/api/profile/advisor", None, EMPLOYER_ACCESS),
    ("POST", "/api/chat/token", None, {**PARTICIPANT_ACCESS, "demo.finance": 200, "other.hr": 200}),
    ("GET", "/api/me", None, {**PARTICIPANT_ACCESS, "demo.finance": 200, "desk.agent": 200, "other.hr": 200}),
    ("PATCH", "/api/me", "settings", {**PARTICIPANT_ACCESS, "demo.finance": 200, "desk.agent": 200, "other.hr": 200}),
    # §2: only User Management lists and creates accounts (a dry run here: nothing is made or mailed).
    ("GET", "/api/accounts", None, ACCOUNTS_ACCESS),
    ("POST", "/api/accounts?dry_run=true", "account", ACCOUNTS_ACCESS),
    # Every employer user may ask for a human (each gets their own handoff); only the service desk handles them.
    ("POST", "/api/handoffs", "handoff", HANDOFF_REQUEST),
    ("GET", "/api/handoffs", None, DESK_ACCESS),
    ("GET", "/api/handoffs?status=open", None, DESK_ACCESS),
    ("GET", "/api/handoffs/{handoff_id}", None, {**DESK_ACCESS, "desk.agent": 404}),
    ("POST", "/api/handoffs/{handoff_id}/resolve", "resolve", {**DESK_ACCESS, "desk.agent": 404}),
    ("POST", "/api/handoffs/{handoff_id}/take", None, {**DESK_ACCESS, "desk.agent": 404}),
    ("GET", "/api/handoffs/{handoff_id}/messages?after=0", None, {**DESK_ACCESS, "desk.agent": 404}),
    ("POST", "/api/handoffs/{handoff_id}/messages", "reply", {**DESK_ACCESS, "desk.agent": 404}),
    ("POST", "/api/handoffs/{handoff_id}/give-back", None, {**DESK_ACCESS, "desk.agent": 404}),
    # The Teams connector's endpoints take its service credential only: every user token is refused.
    ("POST", "/api/channels/teams/links", "teams_link", CONNECTOR_ONLY),
    ("DELETE", "/api/channels/teams/links/{tenant_id}/{aad_object_id}", None, CONNECTOR_ONLY),
    ("POST", "/api/channels/teams/chat-token", "teams_token", CONNECTOR_ONLY),
    ("GET", "/api/channels/teams/conversations/{conversation_id}", None, CONNECTOR_ONLY),
]


def test_the_matrix_covers_every_endpoint(portal: Portal) -> None:
    with portal.client() as client:
        spec = client.get("/openapi.json").json()
    served = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    covered = {(method, path.split("?")[0]) for method, path, _, _ in MATRIX}
    assert served - PUBLIC - ENDS_THE_TOKEN == covered


@pytest.mark.parametrize("user", USERS, ids=lambda u: u or "no-token")
@pytest.mark.parametrize("method,path,body,expected", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_matrix(
    portal: Portal, today: date, user: str | None, method: str, path: str, body: str | None, expected: dict
) -> None:
    headers = portal.headers(user) if user else {}
    with portal.client() as client:
        response = client.request(method, path.format(number="2001681", handoff_id=MISSING_HANDOFF, change_id=MISSING_HANDOFF, scheme_number=1, export_id=MISSING_EXPORT, document_id=DOCUMENT_ID, **TEAMS_PATH), json=_body(body, today) if body else None, headers=headers)
    assert response.status_code == expected[user], response.text
    if response.status_code >= 400:
        assert "Assob" not in response.text and "52242" not in response.text


def test_another_employers_user_sees_only_their_own_participants(portal: Portal) -> None:
    with portal.client() as client:
        listed = client.get("/api/participants", params={"page_size": 200}, headers=portal.headers("other.hr")).json()
        searched = client.get("/api/participants", params={"q": "Assob"}, headers=portal.headers("other.hr")).json()
        changes = client.get("/api/changes/individual", headers=portal.headers("other.hr")).json()
    assert listed["total"] > 0
    assert all(p["number"].startswith("3") for p in listed["items"])
    assert searched["total"] == 0
    assert all(c["participant"].startswith("3") for c in changes)


def test_a_missing_participant_and_another_employers_answer_alike(portal: Portal) -> None:
    with portal.client() as client:
        theirs = client.get("/api/participants/3000001", headers=portal.headers("demo.hr"))
        missing = client.get("/api/participants/9999999", headers=portal.headers("demo.hr"))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


BAD_TOKENS = ["expired", "other_key", "mfa_token", "garbage"]


def _signed_by_the_portal(portal: Portal, claims: dict, kid: str | None) -> str:
    """A token signed with the portal's own key (the test can read it), so that only its claims are wrong."""
    key = serialization.load_pem_private_key((portal.data_dir / "keys" / "jwt-es256.pem").read_bytes(), password=None)
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid} if kid else None)


@pytest.fixture(scope="module")
def bad_tokens(portal: Portal) -> dict[str, str]:
    genuine_token = portal.login("demo.um")
    kid = jwt.get_unverified_header(genuine_token).get("kid")
    genuine = jwt.decode(genuine_token, options={"verify_signature": False})
    now = datetime.now(UTC)
    with portal.client() as client:
        mfa_token = client.post("/api/auth/login", json={"username": "demo.um", "password": "Pensioen-Demo-2026!"}).json()["mfa_token"]
    return {
        "expired": _signed_by_the_portal(portal, {**genuine, "iat": now - timedelta(hours=2), "exp": now - timedelta(minutes=1)}, kid),
        "other_key": jwt.encode(genuine, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": kid} if kid else None),
        "mfa_token": mfa_token,
        "garbage": "not.a.token",
    }


def test_only_the_expiry_makes_the_expired_token_bad(portal: Portal, bad_tokens: dict[str, str]) -> None:
    claims = jwt.decode(bad_tokens["expired"], options={"verify_signature": False})
    kid = jwt.get_unverified_header(bad_tokens["expired"]).get("kid")
    fresh = _signed_by_the_portal(portal, {**claims, "exp": datetime.now(UTC) + timedelta(minutes=5)}, kid)
    with portal.client() as client:
        assert client.get("/api/participants", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
        assert client.get("/api/participants", headers={"Authorization": f"Bearer {bad_tokens['expired']}"}).status_code == 401


@pytest.mark.parametrize("kind", BAD_TOKENS)
@pytest.mark.parametrize("method,path,body,expected", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_bad_tokens_are_refused_on_every_endpoint(
    portal: Portal, today: date, bad_tokens: dict[str, str], kind: str, method: str, path: str, body: str | None, expected: dict
) -> None:
    """An expired token, one signed with another key, the password step's token, garbage: refused like no token."""
    with portal.client() as client:
        response = client.request(method, path.format(number="2001681", handoff_id=MISSING_HANDOFF, change_id=MISSING_HANDOFF, scheme_number=1, export_id=MISSING_EXPORT, document_id=DOCUMENT_ID, **TEAMS_PATH), json=_body(body, today) if body else None, headers={"Authorization": f"Bearer {bad_tokens[kind]}"})
    assert response.status_code == expected[None] == 401, response.text
    assert "Assob" not in response.text and "52242" not in response.text and "items" not in response.text
