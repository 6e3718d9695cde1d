// Small enhancements shared by every page. Pages work without JavaScript; no inline
// handlers are used, so a strict Content-Security-Policy can forbid inline script.
//
// No change-on-select: a select, checkbox or radio never submits its form or leaves the
// page when its value changes (WCAG 3.2.2: with the arrow keys a select changes value at
// each press, and the page would reload and lose the focus). Every such form has a
// visible submit button. A form still written the old way (a field marked
// data-autosubmit, its button inside <noscript>) gets that button shown instead, so
// it keeps working without changing on its own.
(function () {
  "use strict";

  function showNoscriptButtons() {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-autosubmit]")) return;
      form.querySelectorAll("noscript").forEach(function (fallback) {
        // With scripting on, a <noscript>'s content is its text: parse it as inert HTML.
        var parsed = new DOMParser().parseFromString(fallback.textContent, "text/html");
        parsed.body.querySelectorAll("button").forEach(function (button) {
          fallback.parentNode.insertBefore(document.importNode(button, true), fallback);
        });
      });
    });
  }

  // After a redirect the page's message (saved, approved, refused) is where the reader
  // lands: focused, so that a screen reader reads it and Tab goes on from there. A page
  // that puts the focus somewhere itself (an error summary with autofocus) keeps it.
  // The message also wins over the address's #fragment (the KPI page after a review
  // points at the report's card): scrolled to the card, no one would see or hear it.
  function focusMessages() {
    var region = document.querySelector("[data-messages]");
    if (!region || document.querySelector("[autofocus]")) return;
    if (document.activeElement && document.activeElement !== document.body) return;
    region.focus();
  }

  function start() {
    showNoscriptButtons();
    if (window.location.hash && document.readyState !== "complete") {
      // The browser moves to the fragment (and clears the focus) once the page has loaded.
      window.addEventListener("load", function () {
        window.setTimeout(focusMessages, 0);
      });
    } else {
      focusMessages();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
