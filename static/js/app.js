// Small enhancements shared by every page. Pages work without JavaScript; no inline
// handlers are used, so a strict Content-Security-Policy can forbid inline script.
//
// No change-on-select: a select, checkbox or radio never submits its form or leaves the
// page when its value changes (WCAG 3.2.2: with the arrow keys a select changes value at
// each press, and the page would reload and lose the focus). Every such form has a
// visible submit button.
(function () {
  "use strict";

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
