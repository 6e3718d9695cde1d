/* Report form: a live hint of the light while the figure is typed.
 * The hint is the server's own preview (the same rule as the Preview button and as
 * approval), fetched from the form's data-preview-url as JSON a moment after typing
 * stops; nothing is computed here and nothing is saved. Without JavaScript the form
 * works the same, minus the hint. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var input = document.getElementById("id_actual");
  var hint = document.getElementById("live-hint");
  if (!form || !input || !hint || !form.dataset.previewUrl) return;

  var timer = null;
  var asked = 0;

  function show(text) {
    hint.textContent = text ? (hint.dataset.textPrefix || "") + " " + text : "";
    hint.hidden = !text;
  }

  function ask() {
    var value = input.value.trim();
    if (value === "") {
      show("");
      return;
    }
    var ticket = ++asked;
    var url = form.dataset.previewUrl + "?actual=" + encodeURIComponent(value);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        if (answer.ok || answer.body.errors) document.dispatchEvent(new CustomEvent("kpi:session-extended"));
        if (ticket !== asked) return; // a newer figure was typed meanwhile
        if (answer.ok) {
          show(answer.body.hint || "");
        } else if (answer.body.errors && answer.body.errors.actual) {
          show(answer.body.errors.actual.join(" "));
        } else {
          show("");
        }
      })
      .catch(function () {
        if (ticket === asked) show("");
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 400);
  });
  if (input.value.trim() !== "") ask();
})();
