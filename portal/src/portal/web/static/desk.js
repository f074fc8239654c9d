// The console's live pane: polls the conversation every 1.5 s and sends replies without leaving the page.
// Text goes in with textContent only: what users type is never HTML.
(function () {
  "use strict";
  var pane = document.getElementById("live-messages");
  if (!pane) { return; }
  var status = document.getElementById("live-status");
  var form = document.getElementById("reply-form");
  var labels = { user: pane.dataset.labelUser, bot: pane.dataset.labelBot, agent: pane.dataset.labelAgent };
  var cursor = 0;
  var busy = false;
  var POLL_MS = 1500;

  function say(text) { status.textContent = text || ""; }

  function add(message) {
    var item = document.createElement("li");
    item.className = "message from-" + message.sender;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = labels[message.sender] || message.sender;
    var text = document.createElement("span");
    text.className = "text";
    text.textContent = message.text;
    item.appendChild(who);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(text);
    pane.appendChild(item);
    pane.scrollTop = pane.scrollHeight;
  }

  async function errorText(response) {
    try { return (await response.json()).errors[0].message; } catch (e) { return pane.dataset.textOffline; }
  }

  async function poll() {
    if (busy) { return; }
    busy = true;
    try {
      var response = await fetch(pane.dataset.url + "?after=" + encodeURIComponent(cursor), {
        headers: { Accept: "application/json" }, credentials: "same-origin", redirect: "manual"
      });
      if (response.type === "opaqueredirect" || response.status === 401) { say(pane.dataset.textExpired); return; }
      if (!response.ok) { say(await errorText(response)); return; }
      var body = await response.json();
      say("");
      cursor = body.cursor;
      body.messages.forEach(add);
      // Someone took it over, gave it back or resolved it: the buttons on this page are out of date.
      if (body.desk_state !== pane.dataset.state || (body.taken_by || "") !== pane.dataset.takenBy) {
        window.location.reload();
      }
    } catch (e) {
      say(pane.dataset.textOffline);
    } finally {
      busy = false;
    }
  }

  if (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var box = form.elements.text;
      if (!box.value.trim()) { return; }
      var button = form.querySelector("button");
      button.disabled = true;
      try {
        var response = await fetch(form.action, {
          method: "POST",
          headers: { Accept: "application/json", "X-CSRF-Token": form.elements.csrf.value },
          body: new URLSearchParams({ text: box.value }),
          credentials: "same-origin",
          redirect: "manual"
        });
        if (response.status === 204) {
          box.value = "";
          say("");
          poll();
        } else {
          say(await errorText(response));
        }
      } catch (e) {
        say(pane.dataset.textOffline);
      } finally {
        button.disabled = false;
        box.focus();
      }
    });
  }

  poll();
  window.setInterval(poll, POLL_MS);
})();
