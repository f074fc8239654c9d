"""Chat with the assistant in a terminal as a demo user, over the REST channel with a real chat token.

    make chat ACCOUNT=demo.hr        (or: portal/.venv/bin/python scripts/chat.py demo.hr)

Logs in to the portal (password + TOTP code from the demo secret), asks for a chat token, then
sends every line you type to Rasa. Buttons are shown as [payload]; type the payload to choose.
"""

from __future__ import annotations

import sys

import httpx
import pyotp

from portal.seed import ACCOUNTS, DEMO_PASSWORD

PORTAL = "http://127.0.0.1:8000"
RASA = "http://127.0.0.1:5005/webhooks/rest/webhook"


def chat_token(username: str) -> tuple[str, str]:
    """A chat token and conversation id for a demo user."""
    secrets = {account.username: account.totp_secret for account in ACCOUNTS}
    with httpx.Client(base_url=PORTAL, timeout=30) as client:
        first = client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        first.raise_for_status()
        code = pyotp.TOTP(secrets[username]).now()
        second = client.post("/api/auth/mfa", json={"mfa_token": first.json()["mfa_token"], "code": code})
        if second.status_code != 200:
            sys.exit(f"Login failed: {second.json()['errors'][0]['message']} (a code works once: wait 30 s)")
        access = {"Authorization": f"Bearer {second.json()['access_token']}"}
        issued = client.post("/api/chat/token", headers=access).json()
    return issued["token"], issued["conversation_id"]


def main() -> int:
    """The chat loop; Ctrl-D or Ctrl-C ends it."""
    username = sys.argv[1] if len(sys.argv) > 1 else "demo.hr"
    token, conversation = chat_token(username)
    print(f"Chatting as {username} (conversation {conversation}). Ctrl-D to stop.")
    with httpx.Client(timeout=60) as client:
        for line in sys.stdin:
            message = {"sender": conversation, "message": line.strip(), "metadata": {"token": token}}
            for reply in client.post(RASA, json=message).json():
                print(f"bot> {reply.get('text', '')}")
                buttons = reply.get("buttons") or []
                if buttons:
                    print("     " + "  ".join(f"[{b['payload']}] {b['title']}" for b in buttons))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
