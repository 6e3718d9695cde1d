/* The department's grid (填報總表): keyboard-first entry, pasting a column, live lights.
 *
 * - Enter or Tab moves down a column (Shift: up); at the bottom of a column Tab goes on
 *   to the top of the next column, Shift+Tab at the top back to the previous one. In a
 *   text box Alt+Enter starts a new line. Read-only rows have no inputs and are skipped.
 * - Pasting several lines (a column copied from Excel or LibreOffice) into a cell fills
 *   that cell and the cells below it in the same column; tab-separated values on a line
 *   fill the next columns of that row.
 * - The light of a row is the server's own preview (kpi:report_preview, the same rule as
 *   the Preview button and approval), asked a moment after typing stops; nothing is
 *   computed or saved here. Without JavaScript the grid works the same, with Preview.
 * - Leaving the grid with typed changes asks first (beforeunload); saving it does not.
 */
(function () {
  "use strict";
  var form = document.getElementById("report-grid");
  if (!form) return;

  var COLUMNS = ["actual", "narrative", "shortfall_reason", "improvement_plan"];

  function column(name) {
    return Array.prototype.slice.call(form.querySelectorAll('[data-col="' + name + '"]')).filter(function (el) {
      return !el.disabled && !el.readOnly;
    });
  }

  function move(from, step) {
    var name = from.dataset.col;
    var cells = column(name);
    var index = cells.indexOf(from);
    var target = cells[index + step];
    if (!target) {
      // Off the end of the column: on to the next (or back to the previous) column.
      var c = COLUMNS.indexOf(name) + step;
      while (!target && c >= 0 && c < COLUMNS.length) {
        var next = column(COLUMNS[c]);
        target = step > 0 ? next[0] : next[next.length - 1];
        c += step;
      }
    }
    if (!target) return false;
    target.focus();
    if (target.select) target.select();
    return true;
  }

  form.addEventListener("keydown", function (event) {
    var el = event.target;
    if (!el.dataset || !el.dataset.col || event.isComposing || event.ctrlKey || event.metaKey) return;
    if (event.key === "Enter") {
      if (event.altKey) {
        if (el.tagName === "TEXTAREA") {
          event.preventDefault();
          el.setRangeText("\n", el.selectionStart, el.selectionEnd, "end");
          el.dispatchEvent(new Event("input", { bubbles: true }));
        }
        return;
      }
      event.preventDefault(); // never submit the whole grid by accident
      move(el, event.shiftKey ? -1 : 1);
    } else if (event.key === "Tab" && !event.altKey) {
      if (move(el, event.shiftKey ? -1 : 1)) event.preventDefault();
    }
  });

  // --- Pasting a column -------------------------------------------------------------

  function rowsOf(text) {
    var lines = text.replace(/\r\n?/g, "\n").split("\n");
    if (lines.length && lines[lines.length - 1] === "") lines.pop(); // spreadsheets end with a newline
    return lines.map(function (line) {
      return line.split("\t");
    });
  }

  function setValue(el, value) {
    el.value = value.trim();
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }

  form.addEventListener("paste", function (event) {
    var el = event.target;
    if (!el.dataset || !el.dataset.col || !event.clipboardData) return;
    var text = event.clipboardData.getData("text/plain");
    if (!text || (text.indexOf("\n") === -1 && text.indexOf("\t") === -1)) return; // one value: as usual
    var lines = rowsOf(text);
    if (lines.length <= 1 && lines[0] && lines[0].length <= 1) return;
    event.preventDefault();
    var cells = column(el.dataset.col);
    var start = cells.indexOf(el);
    var first = COLUMNS.indexOf(el.dataset.col);
    lines.forEach(function (values, i) {
      var target = cells[start + i];
      if (!target) return;
      setValue(target, values[0]);
      // Further tab-separated values go to the next columns of the same row.
      var row = target.closest("tr");
      for (var j = 1; j < values.length && first + j < COLUMNS.length; j++) {
        var other = row.querySelector('[data-col="' + COLUMNS[first + j] + '"]');
        if (other && !other.readOnly) setValue(other, values[j]);
      }
    });
    var last = cells[Math.min(start + lines.length - 1, cells.length - 1)];
    if (last) last.focus();
  });

  // --- The live light of a row ----------------------------------------------------------

  var timers = new WeakMap();
  var tickets = new WeakMap();
  var queue = Promise.resolve();

  function showLight(row, body) {
    var cell = row.querySelector("[data-light-cell]");
    if (!cell) return;
    cell.textContent = "";
    if (body && body.light) {
      var badge = document.createElement("span");
      badge.className = "light light-" + body.light;
      badge.dataset.light = body.light;
      var dot = document.createElement("span");
      dot.className = "light-dot";
      dot.setAttribute("aria-hidden", "true");
      badge.appendChild(dot);
      badge.appendChild(document.createTextNode(body.light_label));
      cell.appendChild(badge);
      if (body.attainment) {
        cell.appendChild(document.createElement("br"));
        var figure = document.createElement("span");
        figure.className = "small";
        figure.textContent = body.attainment;
        cell.appendChild(figure);
      }
      if (body.needs_explanation && form.dataset.behindText) {
        cell.appendChild(document.createElement("br"));
        var behind = document.createElement("span");
        behind.className = "small behind";
        behind.textContent = form.dataset.behindText;
        cell.appendChild(behind);
      }
      if (body.hint) cell.title = body.hint;
    } else if (body && body.errors && body.errors.actual) {
      var error = document.createElement("span");
      error.className = "small error";
      error.textContent = body.errors.actual.join(" ");
      cell.appendChild(error);
    }
    row.classList.toggle("is-behind", Boolean(body && body.needs_explanation));
    row.querySelectorAll("[data-behind-required]").forEach(function (el) {
      el.classList.toggle("is-required", Boolean(body && body.needs_explanation));
    });
  }

  function ask(row, input) {
    var value = input.value.trim();
    if (value === "") {
      showLight(row, null);
      return;
    }
    var ticket = (tickets.get(row) || 0) + 1;
    tickets.set(row, ticket);
    // One question at a time: a pasted column of 23 figures asks 23 times in turn, not at once.
    queue = queue
      .then(function () {
        if (tickets.get(row) !== ticket) return null; // a newer figure was typed meanwhile
        return fetch(row.dataset.previewUrl + "?actual=" + encodeURIComponent(value), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        })
          .then(function (response) {
            return response.json();
          })
          .then(function (body) {
            if (tickets.get(row) === ticket) showLight(row, body);
          });
      })
      .catch(function () {});
  }

  form.addEventListener("input", function (event) {
    var el = event.target;
    if (!el.dataset || el.dataset.col !== "actual") return;
    var row = el.closest("tr[data-preview-url]");
    if (!row) return; // a common indicator: its value is computed on Preview
    window.clearTimeout(timers.get(row));
    timers.set(
      row,
      window.setTimeout(function () {
        ask(row, el);
      }, 350)
    );
  });
  // Nothing typed is lost by a stray click: leaving with changes asks first.
  var dirty = false;
  form.addEventListener("input", function () {
    dirty = true;
  });
  form.addEventListener("submit", function () {
    dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
