/* Report form: a live hint of the attainment while the figure is typed.
 * Only a hint, computed here from the numbers in the form's data attributes; the
 * server's preview (the 預覽 button) is authoritative. Without JavaScript the form
 * works the same, minus the hint. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var input = document.getElementById("id_actual");
  var hint = document.getElementById("live-hint");
  if (!form || !input || !hint) return;

  function number(text) {
    var cleaned = String(text || "").replace(/,/g, "").replace(/%\s*$/, "").trim();
    if (cleaned === "" || !/^-?\d*\.?\d+$/.test(cleaned)) return null;
    return parseFloat(cleaned);
  }

  function attainment(actual, target, direction) {
    if (target === null) return null;
    if (direction === "lower") {
      if (actual <= target) return 100;
      return target > 0 ? (target * 100) / actual : 0;
    }
    if (target <= 0) return null;
    return Math.max(0, (actual * 100) / target);
  }

  function update() {
    var actual = number(input.value);
    if (actual === null) {
      hint.hidden = true;
      return;
    }
    var direction = form.dataset.direction;
    var year = attainment(actual, number(form.dataset.yearTarget), direction);
    var pace = attainment(actual, number(form.dataset.periodTarget), direction);
    var parts = [];
    if (year !== null) parts.push(hint.dataset.textYear + " " + year.toFixed(1) + "%");
    if (pace !== null) parts.push(hint.dataset.textPace + " " + pace.toFixed(1) + "%");
    if (!parts.length) {
      hint.hidden = true;
      return;
    }
    hint.textContent = parts.join(hint.dataset.textComma || ", ") + (hint.dataset.textSemicolon || "; ") + hint.dataset.textNote;
    hint.hidden = false;
  }

  input.addEventListener("input", update);
  update();
})();
