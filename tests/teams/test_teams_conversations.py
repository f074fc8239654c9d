"""Teams conversations through Microsoft's stand-in: linking, a salary change, unlinking, a removed user,
and a service-desk reply that reaches the Teams chat through the Bot Connector."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx

from bot.channels.teams import TeamsInput
from tests.assistant.test_changes import dutch, end_of_next_month
from tests.teams.conftest import APP_ID, APP_PASSWORD, TENANT_ID, TeamsAssistant, texts
from tests.teams.microsoft import Microsoft


def portal_get(teams: TeamsAssistant, path: str, username: str, **params: str) -> list | dict:
    with teams.portal.client() as client:
        answer = client.get(path, params=params, headers=teams.portal.headers(username))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_adding_the_bot_gets_a_welcome_in_the_users_language(teams: TeamsAssistant, microsoft: Microsoft) -> None:
    dutch_user, english_user = teams.user(), teams.user(locale="en-GB")
    for user in (dutch_user, english_user):
        assert microsoft.post(teams.webhook, microsoft.bot_added(user)).status_code == 200
    assert "Welkom" in texts(microsoft.replies(dutch_user))
    assert "Welcome" in texts(microsoft.replies(english_user))


def test_link_then_a_salary_change_confirmed_with_a_button(teams: TeamsAssistant, microsoft: Microsoft) -> None:
    user = teams.user("Henk de Vries")
    assert "Wat is uw gebruikersnaam" in texts(teams.say(user, "hallo"))
    assert "6 cijfers" in texts(teams.say(user, "demo.hr"))
    assert "klopt niet" in texts(teams.say(user, "000001"))  # a wrong code starts again
    linked = texts(teams.link(user, "demo.hr", asked=True))
    assert "Gekoppeld aan" in linked and "(demo.hr)" in linked

    first_of_next_month = end_of_next_month().replace(day=1)
    replies = teams.say(user, f"het salaris van ter Assob wordt 58k per {dutch(first_of_next_month)}")
    summary = texts(replies)
    assert "€\u00a058.000,00" in summary and "Zal ik deze wijziging doorgeven?" in summary
    (question,) = [reply for reply in replies if "suggestedActions" in reply]
    buttons = {(a["type"], a["title"], a["value"]) for a in question["suggestedActions"]["actions"]}
    assert {value for _, _, value in buttons} == {"ja", "iets wijzigen", "nee"}
    assert {kind for kind, _, _ in buttons} == {"imBack"}
    assert question["suggestedActions"]["to"] == [user.user_id]
    # every reply answers the user's activity, into their conversation, from the bot
    assert all(reply["replyToId"] and reply["recipient"]["id"] == user.user_id for reply in replies)

    assert "Doorgegeven" in texts(teams.say(user, "ja"))  # what clicking "Ja" sends (imBack)
    detail = portal_get(teams, "/api/participants/2001681", "demo.hr")
    changes = [c for c in detail["changes"] if c["type"] == "salary_change" and c["channel"] == "teams"]
    assert [c["effective_date"] for c in changes] == [first_of_next_month.isoformat()]


def test_an_english_teams_user_is_asked_in_english(teams: TeamsAssistant) -> None:
    user = teams.user("Jane Doe", locale="en-US")
    assert "What is your portal username?" in texts(teams.say(user, "hello"))


def test_unlink_makes_the_user_unknown_again(teams: TeamsAssistant) -> None:
    user = teams.user()
    assert "Gekoppeld aan" in texts(teams.link(user, "demo.um"))
    assert "ontkoppeld" in texts(teams.say(user, "ontkoppel"))
    assert "niet gekoppeld" in texts(teams.say(user, "hallo"))


def test_a_deactivated_portal_user_loses_access_at_once(teams: TeamsAssistant) -> None:
    user = teams.user()
    assert "Gekoppeld aan" in texts(teams.link(user, "demo.hrfin"))
    assert teams.say(user, "hallo"), "the assistant answers a linked user"
    # No API deactivates an account yet; the portal's user management would set this flag.
    with sqlite3.connect(teams.portal.database) as db:
        db.execute("UPDATE user_account SET is_active = 0 WHERE username = 'demo.hrfin'")
    try:
        refused = texts(teams.say(user, "hallo"))
        afterwards = texts(teams.say(user, "hallo"))
    finally:
        with sqlite3.connect(teams.portal.database) as db:
            db.execute("UPDATE user_account SET is_active = 1 WHERE username = 'demo.hrfin'")
    assert "niet (meer) gebruiken" in refused
    assert "niet gekoppeld" in afterwards  # the link is gone


def desk(teams: TeamsAssistant, method: str, path: str, **body: str) -> httpx.Response:
    """The service-desk console's API, as desk.agent."""
    with teams.portal.client() as client:
        return client.request(method, path, json=body or None, headers=teams.portal.headers("desk.agent"))


def test_a_service_desk_reply_reaches_the_teams_chat(teams: TeamsAssistant, microsoft: Microsoft) -> None:
    user = teams.user("Fenna Finance")
    assert "Gekoppeld aan" in texts(teams.link(user, "demo.finance"))
    assert "servicedesk" in texts(teams.say(user, "ter Assob gaat per eind volgende maand uit dienst"))
    listed = portal_get(teams, "/api/handoffs", "desk.agent", status="open")
    (handoff,) = [h for h in listed if h["requested_by"] == "demo.finance"]
    assert handoff["channel"] == "teams"
    assert teams.say(user, "Hallo? Is daar iemand?") == []  # paused: the assistant waits for the colleague

    mark = microsoft.mark()
    assert desk(teams, "POST", f"/api/handoffs/{handoff['id']}/take").status_code == 200
    sent = desk(teams, "POST", f"/api/handoffs/{handoff['id']}/messages",
                text="Goedemiddag, u spreekt met Sanne van de servicedesk.")
    assert sent.status_code == 204, sent.text
    arrived = texts(microsoft.replies(user, mark))
    assert "Goedemiddag, u spreekt met Sanne van de servicedesk." in arrived
    assert all(reply["recipient"]["id"] == user.user_id for reply in microsoft.replies(user, mark))

    mark = microsoft.mark()
    assert desk(teams, "POST", f"/api/handoffs/{handoff['id']}/give-back").status_code == 200
    assert "De assistent neemt het weer over." in texts(microsoft.replies(user, mark))
    assert teams.say(user, "hallo"), "the assistant answers again"


def test_rasas_http_api_stays_closed_without_the_portals_token(teams: TeamsAssistant, microsoft: Microsoft) -> None:
    user = teams.user()
    assert "Gekoppeld aan" in texts(teams.link(user, "demo.hrfin"))
    teams.say(user, "hallo")
    with sqlite3.connect(teams.portal.database) as db:
        (conversation_id,) = db.execute(
            "SELECT conversation_id FROM teams_link WHERE aad_object_id = ?", (user.aad_object_id,)
        ).fetchone()
    url = f"{teams.rasa_url}/conversations/{conversation_id}/tracker/events"
    params = {"output_channel": "botframework", "execute_side_effects": "true"}
    mark = microsoft.mark()
    closed = httpx.post(url, params=params, json=[{"event": "bot", "text": "spoofed"}], timeout=60)
    assert closed.status_code == 401
    assert microsoft.replies(user, mark) == []
    # the same call with a token of the portal's key delivers into the Teams chat
    opened = httpx.post(url, params=params, json=[{"event": "bot", "text": "Met de servicedesk."}],
                        headers=teams.api_headers(), timeout=60)
    assert opened.status_code == 200, opened.text
    assert texts(microsoft.replies(user, mark)) == "Met de servicedesk."


def test_the_app_token_is_fetched_once_and_reused(teams: TeamsAssistant, microsoft: Microsoft) -> None:
    user = teams.user()
    teams.say(user, "hallo")
    before = microsoft.token_requests
    teams.say(user, "hallo")
    assert before >= 1 and microsoft.token_requests == before


def test_after_a_restart_the_reply_finds_the_chat_through_the_portal(teams: TeamsAssistant, microsoft: Microsoft) -> None:
    user = teams.user()
    assert "Gekoppeld aan" in texts(teams.link(user, "other.hr"))
    teams.say(user, "hallo")
    with sqlite3.connect(teams.portal.database) as db:
        (conversation_id,) = db.execute(
            "SELECT conversation_id FROM teams_link WHERE aad_object_id = ?", (user.aad_object_id,)
        ).fetchone()
    # A connector that has never seen this conversation, as after a restart of Rasa.
    fresh = TeamsInput.from_credentials(
        {
            "app_id": APP_ID, "app_password": APP_PASSWORD, "tenant_id": TENANT_ID,
            "openid_metadata_url": f"{microsoft.url}/v1/.well-known/openidconfiguration",
            "authority": microsoft.url, "portal_url": teams.portal.url,
            "service_key_file": str(teams.portal.data_dir / "keys" / "channel-service.key"),
        }
    )
    mark = microsoft.mark()
    asyncio.run(fresh.get_output_channel().send_text_message(conversation_id, "Uw vraag is afgehandeld."))
    assert texts(microsoft.replies(user, mark)) == "Uw vraag is afgehandeld."
