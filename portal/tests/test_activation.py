"""Activation (§1, R2) and getting back in, through the API: codes by e-mail, strength, recovery.

Each test makes its own account through demo.um (POST /api/accounts) and reads the e-mails from the
outbox, as a developer would with `portal outbox`.
"""

from __future__ import annotations

import itertools
import re
import sqlite3

import httpx
import pyotp
import pytest

from tests.mailbox import code_in, last_mail, subject_of
from tests.server import DEMO_PASSWORD, Portal
from tests.test_web import browser, csrf_of, log_in

STRONG = "Tulpen-Fiets-Regen-42"
_numbers = itertools.count(1)


def new_account(portal: Portal, roles: list[str] | None = None, language: str = "nl") -> str:
    """A fresh account of Voorbeeld Techniek made by demo.um; returns its e-mail address."""
    email = f"nieuw.{next(_numbers)}.{language}@voorbeeld.example"
    with portal.client() as client:
        created = client.post(
            "/api/accounts",
            json={"full_name": "Noor Nieuwkomer", "email": email, "roles": roles or ["hr"], "language": language},
            headers=portal.headers("demo.um"),
        )
    assert created.status_code == 201, created.text
    return email


def start(client: httpx.Client, email: str, flow: str = "activation") -> str:
    path = "/api/activation/start" if flow == "activation" else "/api/recovery/password/start"
    answer = client.post(path, json={"email": email})
    assert answer.status_code == 202, answer.text
    return answer.json()["request_id"]


def verify(client: httpx.Client, request_id: str, code: str, flow: str = "activation") -> httpx.Response:
    path = "/api/activation/verify" if flow == "activation" else "/api/recovery/password/verify"
    return client.post(path, json={"request_id": request_id, "code": code})


def activate(portal: Portal, email: str, username: str, password: str = STRONG) -> httpx.Response:
    with portal.client("nl") as client:
        request_id = start(client, email)
        assert verify(client, request_id, code_in(last_mail(portal, email))).status_code == 200
        return client.post("/api/activation/complete", json={"request_id": request_id, "username": username, "password": password})


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_new_account_gets_an_activation_mail_in_its_language(portal: Portal) -> None:
    dutch, english = new_account(portal), new_account(portal, language="en")
    nl_mail, en_mail = last_mail(portal, dutch), last_mail(portal, english)
    assert subject_of(nl_mail) == "Activeer uw account voor het werkgeversportaal"
    assert "Ursula Mertens heeft een account voor u aangemaakt" in nl_mail and "Voorbeeld Techniek B.V." in nl_mail
    assert "/activate" in nl_mail and "Eerste bezoek? Activeer uw account" in nl_mail
    assert subject_of(en_mail) == "Activate your account for the employer portal"
    assert "Dear Noor Nieuwkomer," in en_mail


def test_activation_with_the_mailed_code_then_the_first_login_enrols_totp(portal: Portal) -> None:
    email = new_account(portal, roles=["hr", "finance"])
    with portal.client("nl") as client:
        request_id = start(client, email)
        code = code_in(last_mail(portal, email))
        assert "Uw verificatiecode is: " + code in last_mail(portal, email)
        wrong = verify(client, request_id, other_code(code))
        right = verify(client, request_id, code)
        again = verify(client, request_id, code)
        done = client.post("/api/activation/complete", json={"request_id": request_id, "username": "Noor.Nieuw", "password": STRONG})
        twice = client.post("/api/activation/complete", json={"request_id": request_id, "username": "noor.twee", "password": STRONG})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "invalid_code"
    assert right.status_code == 200 and right.json()["verified"] is True
    assert again.status_code == 422 and again.json()["errors"][0]["code"] == "code_used"
    assert done.status_code == 201 and done.json()["username"] == "noor.nieuw"
    assert twice.status_code == 422 and twice.json()["errors"][0]["code"] == "request_expired"
    confirmation = last_mail(portal, email)
    assert subject_of(confirmation) == "Uw account voor het werkgeversportaal is geactiveerd"
    assert "Uw gebruikersnaam is: noor.nieuw" in confirmation and STRONG not in confirmation

    # The first login on the pages shows the new account's own QR code; its code logs in.
    with browser(portal, "nl") as web:
        page = web.get("/login")
        password = web.post("/login", data={"csrf": csrf_of(page), "username": "noor.nieuw", "password": STRONG})
        enrol = web.get("/login/code")
        secret = re.search(r'<code id="totp-secret">([^<]+)</code>', enrol.text).group(1).replace(" ", "")
        logged_in = web.post("/login/code", data={"csrf": csrf_of(enrol), "code": pyotp.TOTP(secret).now()})
        home = web.get("/")
    assert password.status_code == 303 and '<div class="qr" id="totp-qr"><svg' in enrol.text
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/"
    assert "Welkom, Noor Nieuwkomer" in home.text
    assert {"participants", "financial-documents"} <= set(re.findall(r'data-tile="([^"]+)"', home.text))
    with portal.client() as client:
        accounts = client.get("/api/accounts", headers=portal.headers("demo.um")).json()
    mine = next(a for a in accounts if a["email"] == email)
    assert mine["status"] == "active" and mine["username"] == "noor.nieuw" and mine["roles"] == ["finance", "hr"]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(portal: Portal) -> None:
    known = new_account(portal)
    unknown = "niemand.hier@voorbeeld.example"
    with portal.client("en") as client:
        answers = [
            client.post(path, json={"email": email})
            for path in ("/api/activation/start", "/api/recovery/password/start", "/api/recovery/username")
            for email in (known, unknown)
        ]
        request_id = answers[1].json()["request_id"]
        guesses = [verify(client, request_id, code).json()["errors"][0]["code"] for code in ("000000", "123456")]
    for for_known, for_unknown in zip(answers[::2], answers[1::2], strict=True):
        assert for_known.status_code == for_unknown.status_code == 202
        assert for_known.json().keys() == for_unknown.json().keys()
        assert for_known.json()["message"] == for_unknown.json()["message"]
    assert "If an account" in answers[0].json()["message"] and "15 minutes" in answers[0].json()["message"]
    assert last_mail(portal, unknown) is None
    assert guesses == ["invalid_code", "invalid_code"]


def test_a_code_expires(portal: Portal) -> None:
    email = new_account(portal)
    with portal.client("en") as client:
        request_id = start(client, email)
        code = code_in(last_mail(portal, email))
        # Sixteen minutes later, as far as the portal can tell.
        with sqlite3.connect(portal.database) as db:
            db.execute("UPDATE verification_code SET expires_at = datetime('now', '-1 minutes') WHERE verified_at IS NULL AND expires_at > datetime('now')")
        late = verify(client, request_id, code)
    assert late.status_code == 422
    assert late.json()["errors"][0] == {"code": "code_expired", "field": "code", "message": "This code is no longer valid. Request a new code."}


def test_wrong_codes_are_limited_then_even_the_right_one_is_refused(portal: Portal) -> None:
    email = new_account(portal)
    with portal.client("nl") as client:
        request_id = start(client, email)
        code = code_in(last_mail(portal, email))
        tries = [verify(client, request_id, other_code(code)).status_code for _ in range(5)]
        right = verify(client, request_id, code)
        fresh_id = start(client, email)
        fresh = verify(client, fresh_id, code_in(last_mail(portal, email)))
    assert tries == [422, 422, 422, 422, 429]
    assert right.status_code == 429 and right.json()["errors"][0]["message"] == "Te vaak een onjuiste code. Vraag een nieuwe code aan."
    assert fresh.status_code == 200


def test_codes_per_hour_are_limited_without_saying_so(portal: Portal) -> None:
    email = new_account(portal)
    with portal.client() as client:
        request_ids = [start(client, email) for _ in range(6)]
        with sqlite3.connect(portal.database) as db:
            mails = db.execute("SELECT count(*) FROM outbox_mail WHERE recipient = ? AND kind = 'activation_code'", (email,)).fetchone()[0]
    assert len(set(request_ids)) == 6
    assert mails == 5


@pytest.mark.parametrize(
    "language,expected",
    [
        ("nl", "Dit wachtwoord is te makkelijk te raden."),
        ("en", "This password is too easy to guess."),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(portal: Portal, language: str, expected: str) -> None:
    email = new_account(portal)
    with portal.client(language) as client:
        request_id = start(client, email)
        assert verify(client, request_id, code_in(last_mail(portal, email))).status_code == 200
        weak = client.post("/api/activation/complete", json={"request_id": request_id, "username": f"zwak.{language}", "password": "welkom123"})
        personal = client.post("/api/activation/complete", json={"request_id": request_id, "username": f"zwak.{language}", "password": f"zwak.{language}-Regen-42"})
        taken = client.post("/api/activation/complete", json={"request_id": request_id, "username": "demo.hr", "password": STRONG})
        done = client.post("/api/activation/complete", json={"request_id": request_id, "username": f"sterk.{language}", "password": STRONG})
    assert weak.status_code == 422
    codes = {problem["code"] for problem in weak.json()["errors"]}
    assert codes == {"password_too_short", "password_too_weak"}
    assert any(problem["message"].startswith(expected) for problem in weak.json()["errors"])
    assert personal.status_code == 422 and personal.json()["errors"][0]["code"] == "password_personal"
    assert taken.status_code == 422 and taken.json()["errors"][0]["code"] == "username_taken"
    assert done.status_code == 201


def test_password_strength_is_rated_strong_medium_or_weak(portal: Portal) -> None:
    with portal.client("nl") as client:
        ratings = {
            password: client.post("/api/password-strength", json={"password": password, "username": "jan.jansen"}).json()
            for password in ("welkom123", "Wachtwoord2026!", STRONG, "jan.jansen-2026-x")
        }
    assert ratings["welkom123"]["strength"] == "weak" and ratings["welkom123"]["acceptable"] is False
    assert "Gebruik minstens 10 tekens." in [reason["message"] for reason in ratings["welkom123"]["reasons"]]
    assert ratings["Wachtwoord2026!"]["strength"] == "medium" and ratings["Wachtwoord2026!"]["acceptable"] is True
    assert ratings[STRONG] == {"strength": "strong", "acceptable": True, "reasons": []}
    assert ratings["jan.jansen-2026-x"]["strength"] == "weak"


def test_a_forgotten_username_is_mailed(portal: Portal) -> None:
    email = new_account(portal, language="en")
    assert activate(portal, email, "vergeten.naam").status_code == 201
    with portal.client("nl") as client:
        answer = client.post("/api/recovery/username", json={"email": email.upper()})
    assert answer.status_code == 202
    assert answer.json()["message"] == "Als er een account met dit e-mailadres is, hebben wij de gebruikersnaam ernaartoe gestuurd."
    reminder = last_mail(portal, email)
    assert subject_of(reminder) == "Your username for the employer portal"
    assert "Your username is: vergeten.naam" in reminder


def test_a_forgotten_password_is_replaced_after_the_mailed_code(portal: Portal) -> None:
    email = new_account(portal)
    assert activate(portal, email, "vergeten.wachtwoord").status_code == 201
    new_password = "Fietsbel-Zonnebloem-77"  # noqa: S105 - a test password
    with portal.client("nl") as client:
        request_id = start(client, email, flow="password")
        reset_mail = last_mail(portal, email)
        assert subject_of(reset_mail) == "Kies een nieuw wachtwoord voor het werkgeversportaal"
        early = client.post("/api/recovery/password/complete", json={"request_id": request_id, "password": new_password})
        assert verify(client, request_id, code_in(reset_mail), flow="password").status_code == 200
        weak = client.post("/api/recovery/password/complete", json={"request_id": request_id, "password": "zomer2024"})
        done = client.post("/api/recovery/password/complete", json={"request_id": request_id, "password": new_password})
        old_login = client.post("/api/auth/login", json={"username": "vergeten.wachtwoord", "password": STRONG})
        new_login = client.post("/api/auth/login", json={"username": "vergeten.wachtwoord", "password": new_password})
    assert early.status_code == 422 and early.json()["errors"][0]["code"] == "request_expired"
    assert weak.status_code == 422 and weak.json()["errors"][0]["code"] in {"password_too_short", "password_too_weak"}
    assert done.status_code == 200 and done.json()["message"].startswith("Uw wachtwoord is gewijzigd.")
    assert old_login.status_code == 401 and new_login.status_code == 200
    assert subject_of(last_mail(portal, email)) == "Uw wachtwoord voor het werkgeversportaal is gewijzigd"


def test_an_activation_code_does_not_reset_a_password(portal: Portal) -> None:
    email = new_account(portal)
    with portal.client() as client:
        request_id = start(client, email)
        crossed = verify(client, request_id, code_in(last_mail(portal, email)), flow="password")
    assert crossed.status_code == 422 and crossed.json()["errors"][0]["code"] == "code_expired"


def test_codes_and_passwords_stay_out_of_logs_and_the_audit_trail(portal: Portal) -> None:
    email = new_account(portal)
    with portal.client() as client:
        request_id = start(client, email)
        code = code_in(last_mail(portal, email))
        verify(client, request_id, code)
        client.post("/api/activation/complete", json={"request_id": request_id, "username": "geheim.houden", "password": STRONG})
    with sqlite3.connect(portal.database) as db:
        audit = " ".join(str(row) for row in db.execute("SELECT * FROM audit_event"))
        stored = " ".join(str(row) for row in db.execute("SELECT * FROM verification_code"))
    log = (portal.data_dir / "portal.log").read_text()
    for secret in (code, STRONG, request_id):
        assert secret not in audit and secret not in log and secret not in stored
    assert "account_activated" in audit


# --- the same steps on the pages ---------------------------------------------------------------------


def test_the_login_page_leads_to_activation_and_recovery(portal: Portal) -> None:
    with browser(portal, "nl") as web:
        login = web.get("/login")
        pages = {path: web.get(path) for path in ("/activate", "/recover/username", "/recover/password")}
    for link in ('href="/activate"', 'href="/recover/username"', 'href="/recover/password"'):
        assert link in login.text
    assert "Eerste bezoek? Activeer uw account" in login.text
    assert all(page.status_code == 200 and 'id="email"' in page.text for page in pages.values())


def test_activation_on_the_pages_explains_each_mistake(portal: Portal) -> None:
    email = new_account(portal)
    with browser(portal, "nl") as web:
        page = web.get("/activate")
        sent = web.post("/activate", data={"csrf": csrf_of(page), "email": email})
        code_page = web.get("/activate/code")
        code = code_in(last_mail(portal, email))
        wrong = web.post("/activate/code", data={"csrf": csrf_of(page), "code": other_code(code)})
        right = web.post("/activate/code", data={"csrf": csrf_of(page), "code": code})
        account = web.get("/activate/account")
        differ = web.post("/activate/account", data={"csrf": csrf_of(page), "username": "pagina.noor", "password": STRONG, "password_repeat": STRONG + "x"})
        weak = web.post("/activate/account", data={"csrf": csrf_of(page), "username": "pagina.noor", "password": "welkom123", "password_repeat": "welkom123"})
        done = web.post("/activate/account", data={"csrf": csrf_of(page), "username": "pagina.noor", "password": STRONG, "password_repeat": STRONG})
        login = web.get(done.headers["location"])
        back = web.get("/activate/account")
    assert sent.status_code == 303 and sent.headers["location"] == "/activate/code"
    assert "Als er op dit e-mailadres een account op activering wacht" in code_page.text
    assert wrong.status_code == 422 and "De code is onjuist." in wrong.text
    assert right.status_code == 303 and right.headers["location"] == "/activate/account"
    assert "Welkom, Noor Nieuwkomer" in account.text and 'id="password-strength"' in account.text
    assert differ.status_code == 422 and "De twee wachtwoorden zijn niet gelijk." in differ.text
    assert weak.status_code == 422 and "Dit wachtwoord is te makkelijk te raden." in weak.text and 'value="pagina.noor"' in weak.text
    assert done.status_code == 303 and done.headers["location"] == "/login?m=activated"
    assert "Uw account is geactiveerd." in login.text
    assert back.status_code == 303 and back.headers["location"] == "/activate?m=expired"


def test_an_unknown_address_on_the_pages_looks_the_same(portal: Portal) -> None:
    known = new_account(portal)
    activate(portal, known, "pagina.bekend")
    answers = []
    for email in (known, "onbekend.adres@voorbeeld.example"):
        with browser(portal, "en") as web:
            page = web.get("/recover/username")
            answers.append(web.post("/recover/username", data={"csrf": csrf_of(page), "email": email}))
    assert answers[0].status_code == answers[1].status_code == 200
    assert "If an account has this e-mail address, we have sent its username to it." in answers[0].text
    strip = lambda page: re.sub(r'value="[^"]*"', "", page.text)  # noqa: E731 - the CSRF tokens differ per browser
    assert strip(answers[0]) == strip(answers[1])


def test_a_password_reset_on_the_pages(portal: Portal) -> None:
    email = new_account(portal, language="en")
    activate(portal, email, "pagina.reset")
    new_password = "Kaasschaaf-Molen-Wind-9"  # noqa: S105 - a test password
    with browser(portal, "en") as web:
        page = web.get("/recover/password")
        web.post("/recover/password", data={"csrf": csrf_of(page), "email": email})
        web.post("/recover/password/code", data={"csrf": csrf_of(page), "code": code_in(last_mail(portal, email))})
        new = web.get("/recover/password/new")
        done = web.post("/recover/password/new", data={"csrf": csrf_of(page), "password": new_password, "password_repeat": new_password})
    assert 'id="new-password-form"' in new.text
    assert done.status_code == 303 and done.headers["location"] == "/login?m=password_changed"
    with portal.client() as client:
        assert client.post("/api/auth/login", json={"username": "pagina.reset", "password": new_password}).status_code == 200


def test_every_text_of_activation_accounts_and_mails_has_a_dutch_translation() -> None:
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    from tests.test_web import PACKAGE

    found = {
        message
        for folder in ("activation", "accounts", "mail")
        for _, _, message, _, _ in extract_from_dir(str(PACKAGE / folder), method_map=[("**.py", "python")], keywords={"N_": None})
        if isinstance(message, str)
    }
    with (PACKAGE / "locale" / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = {m.id for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    assert "Your verification code is: {code}" in found and "Choose at least one role." in found
    assert found - translated == set()


def test_an_api_client_links_the_authenticator_at_the_first_login(portal: Portal) -> None:
    email = new_account(portal)
    assert activate(portal, email, "api.eerste").status_code == 201
    with portal.client("en") as client:
        mfa_token = client.post("/api/auth/login", json={"username": "api.eerste", "password": STRONG}).json()["mfa_token"]
        enrolment = client.post("/api/auth/totp-enrolment", json={"mfa_token": mfa_token})
        secret = enrolment.json()["secret"]
        logged_in = client.post("/api/auth/mfa", json={"mfa_token": mfa_token, "code": pyotp.TOTP(secret).now()})
        me = client.get("/api/me", headers={"Authorization": f"Bearer {logged_in.json()['access_token']}"})
        forged = client.post("/api/auth/totp-enrolment", json={"mfa_token": logged_in.json()["access_token"]})
    assert enrolment.status_code == 200
    assert enrolment.json()["otpauth_uri"].startswith("otpauth://totp/Werkgeversportaal:api.eerste?secret=" + secret)
    assert logged_in.status_code == 200 and me.json()["username"] == "api.eerste"
    assert forged.status_code == 401


def test_an_enrolled_account_gets_no_secret_again(portal: Portal) -> None:
    with browser(portal) as web:
        log_in(web, portal, "demo.finance")  # a login on the pages links the authenticator app the first time
    with portal.client("en") as client:
        mfa_token = client.post("/api/auth/login", json={"username": "demo.finance", "password": DEMO_PASSWORD}).json()["mfa_token"]
        again = client.post("/api/auth/totp-enrolment", json={"mfa_token": mfa_token})
    assert again.status_code == 409
    assert again.json()["errors"][0] == {"code": "already_enrolled", "field": None, "message": "An authenticator app is already linked to this account."}
