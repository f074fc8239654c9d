// The password's strength while typing (§1: strong / medium / weak), rated by the portal's own rules
// (POST /api/password-strength), so the page never disagrees with the check when the form is sent.
(function () {
  "use strict";
  const input = document.getElementById("password");
  const meter = document.getElementById("password-strength");
  const reasons = document.getElementById("password-reasons");
  if (!input || !meter || !reasons) {
    return;
  }
  const usernameField = document.getElementById(input.dataset.usernameField || "");
  let timer = null;
  let latest = 0;

  function show(level, messages) {
    meter.textContent = level ? meter.dataset[level] : "";
    meter.setAttribute("data-level", level || "");
    reasons.replaceChildren(...messages.map((message) => {
      const item = document.createElement("li");
      item.textContent = message;
      return item;
    }));
  }

  async function rate() {
    const mine = ++latest;
    if (!input.value) {
      show(null, []);
      return;
    }
    const body = {
      password: input.value,
      username: usernameField ? usernameField.value : null,
      full_name: input.dataset.fullName || null,
      email: input.dataset.email || null,
    };
    try {
      const response = await fetch(input.dataset.strengthUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept-Language": input.dataset.lang || "nl" },
        body: JSON.stringify(body),
      });
      if (!response.ok || mine !== latest) {
        return;
      }
      const rating = await response.json();
      show(rating.strength, rating.reasons.map((reason) => reason.message));
    } catch (error) {
      // No rating while offline: the portal still checks the password when the form is sent.
    }
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(rate, 250);
  }

  input.addEventListener("input", later);
  if (usernameField) {
    usernameField.addEventListener("input", later);
  }
})();
