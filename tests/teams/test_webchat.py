"""A real Bot Framework client: Microsoft's Web Chat in Chromium, through offline-directline, to our connector.

offline-directline stands in for the Direct Line service and delivers the client's activities without
a Bot Framework token; Microsoft's stand-in relays them to Rasa with a real RS256 token (as the
channel service would), and our strict connector verifies them like any Teams activity. The bot's
replies go to offline-directline's Bot Connector endpoint (the activities' serviceUrl), where Web Chat
polls them.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import REPO_ROOT, free_port
from tests.teams.conftest import TeamsAssistant
from tests.teams.microsoft import Microsoft

WEB = REPO_ROOT / "web" / "node_modules"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# offline-directline's own router, bound to 127.0.0.1 only (its CLI listens on every interface).
DIRECTLINE = """
const bridge = require('offline-directline');
const express = require(require.resolve('express', {paths: [require.resolve('offline-directline')]}));
const [port, bot] = process.argv.slice(1);
const app = express();
app.use(bridge.getRouter(`http://127.0.0.1:${port}`, bot));
app.listen(Number(port), '127.0.0.1', () => console.log(`offline-directline on ${port}`));
"""
PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Web Chat</title></head>
<body><div id="webchat" style="height: 640px"></div>
<script src="webchat.js"></script>
<script>
  const directLine = window.WebChat.createDirectLine({
    token: "offline", domain: "http://127.0.0.1:%(port)d/directline", webSocket: false, pollingInterval: 300
  });
  window.WebChat.renderWebChat(
    {directLine, userID: "webchat-user", username: "Web Chat gebruiker", locale: "nl-NL"},
    document.getElementById("webchat")
  );
</script></body></html>
"""

class QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without a line per request on stderr."""

    def log_message(self, *_args: object) -> None:
        pass


pytestmark = pytest.mark.skipif(
    not (WEB / "botframework-webchat").exists() or not Path(CHROMIUM).exists() or not shutil.which("node"),
    reason="needs `make install` (web/node_modules), Debian's chromium and node",
)


@pytest.fixture
def directline(teams: TeamsAssistant, microsoft: Microsoft) -> Iterator[int]:
    """offline-directline on a free port, delivering to the bot through Microsoft's stand-in relay."""
    port = free_port()
    microsoft.relay_to = teams.webhook
    process = subprocess.Popen(
        ["node", "-e", DIRECTLINE, str(port), f"{microsoft.url}/relay/messages"],
        cwd=REPO_ROOT / "web",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        line = process.stdout.readline().decode()
        assert "offline-directline on" in line, line
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        microsoft.relay_to = microsoft.relay_user = None


@pytest.fixture
def page_url(directline: int, tmp_path: Path) -> Iterator[str]:
    """The Web Chat page, served over HTTP from a temporary folder."""
    shutil.copy(WEB / "botframework-webchat" / "dist" / "webchat.js", tmp_path / "webchat.js")
    (tmp_path / "index.html").write_text(PAGE % {"port": directline})
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


def test_a_web_chat_user_links_and_gets_the_assistants_answer(
    teams: TeamsAssistant, microsoft: Microsoft, page_url: str
) -> None:
    microsoft.relay_user = teams.user("Web Chat gebruiker")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            # Web Chat sends only once connected: with polling, that is when it first asks for activities.
            with page.expect_request_finished(lambda request: "/activities" in request.url, timeout=30_000):
                page.goto(page_url)
            box = page.locator('[data-id="webchat-sendbox-input"]')
            transcript = page.locator(".webchat__basic-transcript")

            def send(text: str, then_see: str) -> None:
                box.click()
                box.type(text, delay=10)
                box.press("Enter")
                expect(transcript).to_contain_text(then_see, timeout=60_000)

            send("hallo", "Wat is uw gebruikersnaam in het portaal?")
            send("demo.hr", "Stuur nu de code van 6 cijfers")
            send(teams.next_code("demo.hr"), "Gekoppeld aan")
            send("wat kun je eigenlijk allemaal?", "Ik kan u helpen met")
        finally:
            browser.close()
    # every activity went through the strict connector and was accepted
    assert microsoft.relay_answers and set(microsoft.relay_answers) == {200}
