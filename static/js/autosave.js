/* Report form: nothing typed is lost.
 * - Autosave: 3 seconds after the last change, what is typed is saved as a draft through the
 *   form's data-autosave-url (the server's own Save draft rule, with the form's version; never
 *   a submission, never evidence). Each save updates the form's version; a conflict, or a
 *   report that can no longer change, stops autosaving and says so, and what was typed stays.
 *   The status line says 「已自動儲存 14:05」. A save is a request, so it keeps the session alive.
 * - Leaving a form with unsaved changes asks first (beforeunload), except when the form
 *   itself is being submitted.
 * Without JavaScript the form works the same, minus both. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var status = document.getElementById("autosave-status");
  if (!form || !status) return;
  var url = form.dataset.autosaveUrl;
  var DELAY = 3000;

  var timer = null;
  var dirty = form.dataset.restored === "1"; // typed text put back after sign-in: not saved yet
  var changedSinceSave = false; // changed since the last autosave was sent
  var saving = false;
  var stopped = !url;
  var submitting = false;
  var heldSubmit = null; // a submit pressed while an autosave was on its way: sent after it

  function say(text, kind) {
    status.textContent = text;
    status.hidden = !text;
    status.className = "autosave-status small" + (kind ? " " + kind : "");
  }

  function fields() {
    var data = new FormData();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "file" || el.type === "submit" || el.type === "button") return;
      if (el.name === "url" || el.name === "description" || el.name === "action") return; // evidence goes with Save draft
      data.append(el.name, el.value);
    });
    return data;
  }

  function evidencePending() {
    var file = form.querySelector("input[type=file]");
    var link = form.elements.url;
    return (file && file.files && file.files.length > 0) || (link && link.value.trim() !== "");
  }

  function save() {
    timer = null;
    if (stopped || submitting) return;
    if (saving) {
      timer = window.setTimeout(save, DELAY);
      return;
    }
    saving = true;
    changedSinceSave = false;
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(url, {
      method: "POST",
      body: fields(),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            return { status: response.status, body: body };
          });
      })
      .then(function (answer) {
        var body = answer.body;
        if (answer.status === 200) {
          if (body.saved) {
            if (form.elements.version) form.elements.version.value = body.version;
            say(body.message, "saved");
            document.dispatchEvent(new CustomEvent("kpi:session-extended"));
          }
          if (!changedSinceSave) dirty = false;
        } else if (answer.status === 400) {
          var errors = [];
          Object.keys(body.errors || {}).forEach(function (key) {
            errors = errors.concat(body.errors[key]);
          });
          say((status.dataset.textInvalid || "") + " " + errors.join(" "), "warning");
        } else if (answer.status === 401) {
          stopped = true;
          say(status.dataset.textEnded || body.detail || "", "error");
        } else if (answer.status === 409 || answer.status === 403) {
          stopped = true;
          say((body.detail || "") + " " + (status.dataset.textStopped || ""), "error");
        } else {
          say(status.dataset.textFailed || "", "warning");
        }
        settled();
      })
      .catch(function () {
        say(status.dataset.textFailed || "", "warning");
        settled();
      });
  }

  function settled() {
    saving = false;
    if (heldSubmit) {
      var button = heldSubmit.submitter;
      heldSubmit = null;
      // Sent now, with the version that autosave answered, so it is not a conflict with itself.
      if (form.requestSubmit) form.requestSubmit(button || undefined);
      else form.submit();
    }
  }

  function changed(event) {
    var el = event.target;
    if (!el || !el.name || el.name === "csrfmiddlewaretoken") return;
    dirty = true;
    changedSinceSave = true;
    if (stopped || el.type === "file" || el.name === "url" || el.name === "description") return;
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DELAY);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (event) {
    window.clearTimeout(timer);
    if (saving) {
      event.preventDefault();
      heldSubmit = { submitter: event.submitter };
      return;
    }
    submitting = true;
  });

  window.addEventListener("beforeunload", function (event) {
    if (submitting || !(dirty || evidencePending())) return undefined;
    event.preventDefault();
    event.returnValue = ""; // older browsers need a value to ask
    return "";
  });
  // Coming back through the browser's cache: the page may be left again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) submitting = false;
  });
})();
