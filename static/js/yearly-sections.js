// The whole city's yearly report: each department's section is fetched from its own
// address (reports:yearly_section) when it is first opened. Without JavaScript the
// section holds a plain link to the department's own yearly page instead.
(function () {
  "use strict";
  function load(details) {
    var body = details.querySelector("[data-section-body]");
    var status = body && body.querySelector("[data-section-status]");
    if (!body || details.getAttribute("data-loaded")) {
      return;
    }
    details.setAttribute("data-loaded", "loading");
    details.setAttribute("aria-busy", "true");
    var link = status ? status.innerHTML : "";
    if (status) {
      status.textContent = status.getAttribute("data-loading");
    }
    fetch(details.getAttribute("data-section-url"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        body.innerHTML = html;
        details.setAttribute("data-loaded", "done");
      })
      .catch(function () {
        details.removeAttribute("data-loaded"); // opening it again tries again
        if (status) {
          status.innerHTML = link;
          status.insertAdjacentText("afterbegin", status.getAttribute("data-failed") + " ");
        }
      })
      .finally(function () {
        details.removeAttribute("aria-busy");
      });
  }
  document.querySelectorAll("details[data-section-url]").forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (details.open) {
        load(details);
      }
    });
    if (details.open) {
      load(details);
    }
  });
})();
