// The status page of a collective change: polls its status and reloads the page once it is processed or failed.
(function () {
  "use strict";
  var status = document.getElementById("collective-status");
  var bar = document.getElementById("collective-progress");
  if (!status || !bar) { return; }
  var url = status.getAttribute("data-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        if (body.status !== status.getAttribute("data-status")) {
          window.location.reload();
          return;
        }
        bar.value = body.progress;
      })
      .catch(function () { /* offline for a moment: try again */ })
      .then(function () { window.setTimeout(poll, 1000); });
  }
  window.setTimeout(poll, 1000);
})();
