// The public web-form page (/f/{key}): a sending state for the button and, inside the embed
// frame, the page's height for the parent page (embed.js sizes the iframe from it).
(function () {
  "use strict";
  var form = document.getElementById("poryadok-form");
  if (form) {
    form.addEventListener("submit", function () {
      var b = form.querySelector("button[type=submit]");
      window.setTimeout(function () { b.disabled = true; b.textContent = form.getAttribute("data-sending"); }, 0);
    });
  }
  var key = document.documentElement.getAttribute("data-form-key");
  if (key) {
    var report = function () {
      window.parent.postMessage({ poryadokForm: key, height: document.documentElement.scrollHeight }, "*");
    };
    if (document.readyState === "complete") { report(); } else { window.addEventListener("load", report); }
    if (window.ResizeObserver) { new ResizeObserver(report).observe(document.body); }
  }
})();
