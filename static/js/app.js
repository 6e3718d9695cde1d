// Small enhancements shared by every page. Pages work without JavaScript; no inline
// handlers are used, so a strict Content-Security-Policy can forbid inline script.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
