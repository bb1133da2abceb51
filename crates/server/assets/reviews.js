// Poryadok: the call review screen. "Pin to the current moment" copies the player's position
// into the moment field as mm:ss; a pinned moment's button seeks the player there and plays.
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function moment(seconds) {
    var s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    return h > 0 ? h + ":" + pad(m) + ":" + pad(s % 60) : pad(m) + ":" + pad(s % 60);
  }

  function player() { return document.getElementById("review-audio"); }

  document.addEventListener("click", function (e) {
    var pin = e.target.closest ? e.target.closest("#review-pin") : null;
    if (pin) {
      var a = player(), field = document.getElementById(pin.dataset.for || "review-moment");
      if (a && field) {
        field.value = moment(a.currentTime || 0);
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
      return;
    }
    var seek = e.target.closest ? e.target.closest("[data-seek]") : null;
    if (seek) {
      var p = player();
      if (!p) return;
      p.currentTime = parseInt(seek.dataset.seek, 10) || 0;
      var played = p.play();
      if (played && played.catch) played.catch(function () {});
    }
  });
})();
