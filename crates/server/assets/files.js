// Poryadok: dropping a file on a card's "Files" form. The form is a plain file input that works
// without this script; here a file dropped anywhere on the form goes into that input, ready to be
// attached with the kind chosen beside it.
(function () {
  "use strict";

  function formOf(el) {
    return el && el.closest ? el.closest("form[data-file-drop]") : null;
  }

  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      var form = formOf(e.target);
      if (!form) return;
      e.preventDefault();
      form.classList.add("dragging");
    });
  });
  document.addEventListener("dragleave", function (e) {
    var form = formOf(e.target);
    if (form && !form.contains(e.relatedTarget)) form.classList.remove("dragging");
  });
  document.addEventListener("drop", function (e) {
    var form = formOf(e.target);
    if (!form) return;
    e.preventDefault();
    form.classList.remove("dragging");
    var input = form.querySelector('input[type="file"]');
    if (!input || !e.dataTransfer || !e.dataTransfer.files || !e.dataTransfer.files.length) return;
    input.files = e.dataTransfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    var button = form.querySelector('button[type="submit"]');
    if (button) button.focus();
  });
})();
