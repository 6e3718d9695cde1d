/* The session's end: a warning a few minutes before it, with "stay signed in".
 * Sessions end after a number of idle minutes; every request moves the end along. The page
 * is told how many seconds it has (data-session-seconds on #session-warning) and counts down
 * itself; pages in other tabs share the latest end through localStorage, and the report
 * form's autosave announces its requests ("kpi:session-extended"). At data-warn-seconds
 * before the end the dialog appears (role="alertdialog", focus on its button); "stay signed
 * in" asks the keepalive address, which extends the session. Once the end has passed, the
 * dialog says so and offers to sign in again. */
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  if (!box) return;
  var KEY = "kpi-session-end";
  var seconds = parseInt(box.dataset.sessionSeconds, 10);
  var warn = parseInt(box.dataset.warnSeconds, 10);
  if (!(seconds > 0)) return;
  warn = Math.min(warn > 0 ? warn : 300, Math.floor(seconds / 2));
  var title = box.querySelector("[data-session-title]");
  var text = box.querySelector("[data-session-text]");
  var endedNote = box.querySelector("[data-session-ended-note]");
  var stay = box.querySelector("[data-session-keepalive]");
  var signIn = box.querySelector("[data-session-signin]");
  var end = 0;
  var state = "quiet"; // quiet | warning | ended
  var returnFocus = null;

  function remember(at) {
    end = Math.max(end, at);
    try {
      var stored = parseInt(window.localStorage.getItem(KEY), 10);
      if (stored > end) end = stored;
      window.localStorage.setItem(KEY, String(end));
    } catch (e) {
      /* storage may be off: this tab counts alone */
    }
  }

  function extended(secs) {
    remember(Date.now() + (secs || seconds) * 1000);
    check();
  }

  function clock(ms) {
    var d = new Date(ms);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function show(next) {
    if (state === next) return;
    var was = state;
    state = next;
    if (next === "quiet") {
      box.hidden = true;
      if (returnFocus && document.activeElement && box.contains(document.activeElement)) returnFocus.focus();
      returnFocus = null;
      return;
    }
    if (next === "warning") {
      title.textContent = box.dataset.titleSoon;
      text.textContent = box.dataset.textSoon.replace("__TIME__", clock(end));
      endedNote.hidden = true;
      stay.hidden = false;
      signIn.hidden = true;
    } else {
      title.textContent = box.dataset.titleEnded;
      text.textContent = box.dataset.textEnded;
      endedNote.hidden = false;
      stay.hidden = true;
      signIn.hidden = false;
    }
    box.hidden = false;
    if (was === "quiet") returnFocus = document.activeElement;
    (next === "warning" ? stay : signIn).focus();
  }

  function check() {
    try {
      var stored = parseInt(window.localStorage.getItem(KEY), 10);
      if (stored > end) end = stored;
    } catch (e) {
      /* this tab counts alone */
    }
    var left = end - Date.now();
    if (left <= 0) show("ended");
    else if (left <= warn * 1000) show("warning");
    else show("quiet");
  }

  stay.addEventListener("click", function () {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    stay.disabled = true;
    fetch(box.dataset.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        stay.disabled = false;
        if (answer.ok && answer.body.signed_in) extended(answer.body.seconds);
        else show("ended");
      })
      .catch(function () {
        stay.disabled = false; // the network: try again
      });
  });

  document.addEventListener("kpi:session-extended", function () {
    extended(seconds);
  });
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) check();
  });

  extended(seconds); // this page's own request moved the end
  window.setInterval(check, 5000);
})();
