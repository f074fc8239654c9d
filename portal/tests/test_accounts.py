"""Portal accounts (§2, R1), the user's settings (§3, R3) and logging out, through the API and the pages."""

from __future__ import annotations

import itertools
import subprocess

import httpx
import pytest

from tests.mailbox import last_mail, subject_of
from tests.server import BIN, Portal
from tests.test_web import browser, csrf_of, log_in

_numbers = itertools.count(1)


def fresh_email() -> str:
    return f"collega.{next(_numbers)}@voorbeeld.example"


def create(portal: Portal, user: str, language: str = "nl", dry_run: bool = False, **body: object) -> httpx.Response:
    payload = {"full_name": "Kees Collega", "email": fresh_email(), "roles": ["hr"], **body}
    with portal.client(language) as client:
        return client.post("/api/accounts", params={"dry_run": "true"} if dry_run else None, json=payload, headers=portal.headers(user))


def test_user_management_creates_an_account_with_several_roles(portal: Portal) -> None:
    email = fresh_email()
    created = create(portal, "demo.um", email=email.upper(), roles=["finance", "hr", "hr"])
    with portal.client() as client:
        listed = client.get("/api/accounts", headers=portal.headers("demo.um")).json()
    assert created.status_code == 201
    assert created.json() == {
        "username": None, "full_name": "Kees Collega", "email": email, "roles": ["finance", "hr"], "language": "nl",
        "status": "pending", "created_at": created.json()["created_at"], "dry_run": False,
    }
    assert [a for a in listed if a["email"] == email] == [created.json()]
    assert subject_of(last_mail(portal, email)) == "Activeer uw account voor het werkgeversportaal"


@pytest.mark.parametrize("user", ["demo.hr", "demo.finance", "demo.hrfin", "desk.agent", "other.hr"])
def test_other_roles_may_not_create_or_list_accounts(portal: Portal, user: str) -> None:
    email = fresh_email()
    refused = create(portal, user, email=email)
    with portal.client() as client:
        listed = client.get("/api/accounts", headers=portal.headers(user))
    assert refused.status_code == listed.status_code == 403
    assert last_mail(portal, email) is None


def test_the_list_holds_only_the_own_employers_accounts(portal: Portal) -> None:
    with portal.client() as client:
        listed = client.get("/api/accounts", headers=portal.headers("demo.um")).json()
    usernames = {a["username"] for a in listed}
    assert {"demo.um", "demo.hr", "demo.finance", "demo.hrfin"} <= usernames
    assert not usernames & {"other.hr", "desk.agent", "desk.colleague"}
    assert next(a for a in listed if a["username"] == "demo.hrfin")["roles"] == ["hr", "finance"]


@pytest.mark.parametrize(
    "language,body,code,message",
    [
        ("nl", {"email": "geen-adres"}, "invalid_email", "Vul een geldig e-mailadres in."),
        ("en", {"roles": []}, "roles_required", "Choose at least one role."),
        ("en", {"roles": ["service_desk"]}, "invalid_choice", "Choose one of the allowed values."),
        ("nl", {"email": "demo.hr@voorbeeld.example"}, "email_in_use", "Er is al een account met dit e-mailadres."),
    ],
)
def test_a_bad_account_is_explained(portal: Portal, language: str, body: dict, code: str, message: str) -> None:
    refused = create(portal, "demo.um", language, **body)
    assert refused.status_code == 422
    assert {"code": code, "message": message} in [{"code": e["code"], "message": e["message"]} for e in refused.json()["errors"]]


def test_an_address_waiting_for_activation_is_in_use_too(portal: Portal) -> None:
    email = fresh_email()
    assert create(portal, "demo.um", email=email).status_code == 201
    again = create(portal, "demo.um", email=email)
    assert again.status_code == 422 and again.json()["errors"][0]["code"] == "email_in_use"


def test_a_dry_run_creates_and_sends_nothing(portal: Portal) -> None:
    email = fresh_email()
    checked = create(portal, "demo.um", dry_run=True, email=email)
    with portal.client() as client:
        listed = client.get("/api/accounts", headers=portal.headers("demo.um")).json()
    assert checked.status_code == 200 and checked.json()["dry_run"] is True
    assert email not in {a["email"] for a in listed}
    assert last_mail(portal, email) is None


def test_the_page_creates_an_account_for_user_management_only(portal: Portal) -> None:
    email = fresh_email()
    with browser(portal) as um:
        home = log_in(um, portal, "demo.um")
        form = um.get("/accounts/new")
        no_role = um.post("/accounts/new", data={"csrf": csrf_of(form), "full_name": "Sanne Pagina", "email": email})
        created = um.post(
            "/accounts/new",
            data={"csrf": csrf_of(form), "full_name": "Sanne Pagina", "email": email, "roles": ["hr", "finance"], "language": "en"},
        )
        after = um.get(created.headers["location"])
    assert 'data-tile="accounts"' in home.text and 'href="/accounts/new"' in home.text
    assert form.status_code == 200 and 'id="new-account-form"' in form.text and 'id="role-user_management"' in form.text
    assert no_role.status_code == 422 and "Kies minstens één rol." in no_role.text and 'value="Sanne Pagina"' in no_role.text
    assert created.status_code == 303 and created.headers["location"] == "/accounts/new?created=1"
    assert 'id="account-created"' in after.text and f'data-email="{email}"' in after.text and "Wacht op activering" in after.text
    mail = last_mail(portal, email)
    assert subject_of(mail) == "Activate your account for the employer portal"
    with browser(portal) as hr:
        home = log_in(hr, portal, "demo.hr")
        refused = hr.get("/accounts/new")
        posted = hr.post("/accounts/new", data={"csrf": csrf_of(home), "full_name": "X", "email": fresh_email(), "roles": ["hr"]})
    assert 'data-tile="accounts"' not in home.text
    assert refused.status_code == posted.status_code == 403


def test_settings_are_remembered_on_the_account(fresh_portal: Portal) -> None:
    headers = fresh_portal.headers("demo.finance")
    with fresh_portal.client() as client:
        changed = client.patch("/api/me", json={"language": "en", "theme": "dark"}, headers=headers)
        kept = client.patch("/api/me", json={}, headers=headers)
        wrong = client.patch("/api/me", json={"language": "de"}, headers={**headers, "Accept-Language": "en"})
    assert changed.status_code == 200 and (changed.json()["language"], changed.json()["theme"]) == ("en", "dark")
    assert (kept.json()["language"], kept.json()["theme"]) == ("en", "dark")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "language"
    # The pages follow the account: English and dark, in a browser that never chose either.
    with browser(fresh_portal) as web:
        home = log_in(web, fresh_portal, "demo.finance")
    assert '<html lang="en" data-theme="dark">' in home.text


def test_log_out_ends_the_token_everywhere(fresh_portal: Portal) -> None:
    with browser(fresh_portal) as web:
        home = log_in(web, fresh_portal, "demo.hr")
        session_cookie = web.cookies["portal_session"]
        web.post("/logout", data={"csrf": csrf_of(home)})
    with browser(fresh_portal) as copy:
        copy.cookies.set("portal_session", session_cookie)
        replayed = copy.get("/")
    headers = fresh_portal.headers("demo.hr")
    with fresh_portal.client() as client:
        before = client.get("/api/me", headers=headers)
        out = client.post("/api/auth/logout", headers=headers)
        after = client.get("/api/me", headers=headers)
        as_bearer = client.get("/api/me", headers={"Authorization": f"Bearer {session_cookie}"})
    assert replayed.status_code == 303 and replayed.headers["location"] == "/login?m=invalid"
    assert before.status_code == 200 and out.status_code == 204
    assert after.status_code == 401 and after.json()["errors"][0]["code"] == "invalid_token"
    assert as_bearer.status_code == 401


def test_a_chat_token_cannot_log_out_or_create_accounts(portal: Portal) -> None:
    with portal.client() as client:
        chat = client.post("/api/chat/token", headers=portal.headers("demo.um")).json()["token"]
        headers = {"Authorization": f"Bearer {chat}"}
        out = client.post("/api/auth/logout", headers=headers)
        created = client.post("/api/accounts", json={"full_name": "Via Chat", "email": fresh_email(), "roles": ["hr"]}, headers=headers)
    assert out.status_code == created.status_code == 403


def test_the_outbox_command_lists_and_prints_mails(portal: Portal) -> None:
    email = fresh_email()
    assert create(portal, "demo.um", email=email).status_code == 201
    listing = subprocess.run([str(BIN / "portal"), "outbox", "--limit", "5"], env=portal.env, capture_output=True, text=True, check=True)
    newest = last_mail(portal, email)
    mail_id = newest.split("\n", 1)[0].removeprefix("Id: ")
    shown = subprocess.run([str(BIN / "portal"), "outbox", "--show", mail_id], env=portal.env, capture_output=True, text=True)
    missing = subprocess.run([str(BIN / "portal"), "outbox", "--to", "nobody@example.org", "--last"], env=portal.env, capture_output=True, text=True)
    assert email in listing.stdout and "Activeer uw account voor het werkgeversportaal" in listing.stdout
    assert shown.returncode == 0 and shown.stdout == newest and f"To: {email}" in newest and "Status: outbox" in newest
    assert missing.returncode == 1
