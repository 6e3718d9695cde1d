// Row by row through a long list with the keyboard (the review queue, kpi/review_queue.html).
//
// Each row of a table marked data-row-jump holds a few controls marked data-jump (its
// box, the indicator's link, Approve, Return) between others (evidence links, the
// narrative). With the focus on a control in a row, J moves it to the same control of the
// next row and K to the previous one; from any other place in a row, to the row's first
// marked control. Reaching the 24th report's Approve button takes 23 presses of J from
// the first, instead of a hundred Tabs.
//
// WCAG 2.1.4 (character key shortcuts): the keys act only while the focus is in the
// table, never in a text field, and never with Ctrl, Alt or Meta; the page says so in
// the hint above the table ([data-row-jump-hint], shown only when this script runs).
(function () {
  "use strict";

  var TYPING = "input:not([type=checkbox]):not([type=radio]):not([type=button]):not([type=submit]), textarea, select, [contenteditable]";

  function controlsOf(row) {
    return Array.prototype.slice.call(row.querySelectorAll("[data-jump]"));
  }

  function onKey(event) {
    var key = event.key;
    if ((key !== "j" && key !== "k" && key !== "J" && key !== "K") || event.ctrlKey || event.altKey || event.metaKey) return;
    var here = event.target;
    if (here.matches && here.matches(TYPING)) return;
    var row = here.closest && here.closest("tr[data-row]");
    if (!row) return;
    var rows = Array.prototype.slice.call(event.currentTarget.querySelectorAll("tr[data-row]"));
    var step = key.toLowerCase() === "j" ? 1 : -1;
    var next = rows[rows.indexOf(row) + step];
    if (!next) return; // the first or the last row: the focus stays
    var kind = here.getAttribute("data-jump");
    var target = (kind && next.querySelector('[data-jump="' + kind + '"]')) || controlsOf(next)[0];
    if (!target) return;
    event.preventDefault();
    target.focus();
  }

  function start() {
    var tables = document.querySelectorAll("[data-row-jump]");
    tables.forEach(function (table) {
      table.addEventListener("keydown", onKey);
    });
    if (tables.length) {
      document.querySelectorAll("[data-row-jump-hint]").forEach(function (hint) {
        hint.hidden = false;
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
