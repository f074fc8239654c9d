"""Waits until portal, action server and Rasa answer, then prints where to go and the demo logins.

Runs as one of the Procfile's processes; it stays alive afterwards because honcho stops
everything when one process ends.
"""

from __future__ import annotations

import signal
import sys
import time
import urllib.error
import urllib.request

SERVICES = {
    "portal": "http://127.0.0.1:8000/api/health",
    "actions": "http://127.0.0.1:5055/health",
    "rasa": "http://127.0.0.1:5005/",
}
TIMEOUT_SECONDS = 300

BANNER = """
==============================================================================
 Werkgeversportaal is running
   Portal (log in; the chat widget is on every page)  http://127.0.0.1:8000/
   Service-desk console (desk.agent)                   http://127.0.0.1:8000/desk
   Portal API and docs  http://127.0.0.1:8000/docs   (health: /api/health)
   Rasa channels        REST      http://127.0.0.1:5005/webhooks/rest/webhook
                        widget    http://127.0.0.1:5005/socket.io/
                        Teams     http://127.0.0.1:5005/webhooks/botframework/webhook
                                  (needs TEAMS_APP_ID/TEAMS_APP_PASSWORD/TEAMS_TENANT_ID, see README)
   Action server        http://127.0.0.1:5055/health

 DEMO ONLY logins (password for all: Pensioen-Demo-2026!)
   demo.um       user management   TOTP secret JXL5JBSIOD2JMBUND4MRTXI45WCGP64W
   demo.hr       hr                TOTP secret H6J47PAK24PBBN7RXYAKNXKPPAX4ZOFV
   demo.finance  finance           TOTP secret VFYMR3A6X6LQNGSP3GOI3T3WKKTSUDTJ
   demo.hrfin    hr + finance      TOTP secret KGBBC2FAZEWQ4JYJKQNTCTILZJOVYFIP
   desk.agent    service desk      TOTP secret 7JEOR3OHW4H5W7H3VFNAK744ZPYSCC4Z
 The first web login shows a QR code to enrol; a current code: make totp ACCOUNT=demo.hr
 Stop everything: Ctrl-C
==============================================================================
"""


def answers(url: str) -> bool:
    """Whether the URL answers 200 right now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - fixed local URLs
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    """Polls every service, reports each as it comes up, prints the banner once all are up."""
    waiting = dict(SERVICES)
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while waiting:
        for name, url in list(waiting.items()):
            if answers(url):
                print(f"{name} is up ({url})", flush=True)
                del waiting[name]
        if waiting and time.monotonic() > deadline:
            print(f"Still not answering after {TIMEOUT_SECONDS} s: {', '.join(waiting)}. See their logs above.", flush=True)
            deadline = time.monotonic() + TIMEOUT_SECONDS
        time.sleep(1)
    print(BANNER, flush=True)
    signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
