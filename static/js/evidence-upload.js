/* Evidence upload: one description per chosen file.
 * Once files are chosen, an input per file appears under the file field, named
 * `file_description`, in the files' order (the server pairs them with the files,
 * kpi.views.reporting.file_descriptions). A file whose description is left empty takes
 * the shared "evidence description"; without JavaScript every file takes that one. */
(function () {
  "use strict";
  var box = document.getElementById("file-descriptions");
  if (!box) return;
  var input = document.getElementById(box.dataset.for);
  if (!input) return;

  function render() {
    var kept = {};
    box.querySelectorAll("input").forEach(function (field) {
      kept[field.dataset.name] = field.value;
    });
    box.textContent = "";
    var files = Array.prototype.slice.call(input.files || []);
    box.hidden = files.length === 0;
    if (!files.length) return;
    var note = document.createElement("p");
    note.className = "small muted";
    note.textContent = box.dataset.note;
    box.appendChild(note);
    files.forEach(function (file, n) {
      var id = "id_file_description_" + n;
      var field = document.createElement("div");
      field.className = "field";
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = box.dataset.label.replace("%(name)s", file.name);
      var text = document.createElement("input");
      text.type = "text";
      text.name = "file_description";
      text.id = id;
      text.maxLength = 200;
      text.dataset.name = file.name;
      text.value = kept[file.name] || "";
      field.appendChild(label);
      field.appendChild(text);
      box.appendChild(field);
    });
  }

  input.addEventListener("change", render);
  render();
})();
