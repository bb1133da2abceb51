// Poryadok: the little script the pages need beyond htmx. Notices for failed requests, the
// "return here" field of the language switch, and dragging deals between board columns.
(function () {
  "use strict";

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.content : "";
  }

  var toastTimer = null;
  function toast(text, ok) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.className = ok ? "ok" : "";
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 6000);
  }
  window.poryadokToast = toast;

  // The text of an error fragment (or of a plain-text answer).
  function messageOf(html, status) {
    var box = document.createElement("div");
    box.innerHTML = html || "";
    var text = (box.textContent || "").trim();
    return text || ("HTTP " + status);
  }

  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    toast(messageOf(xhr.responseText, xhr.status));
  });
  document.addEventListener("htmx:sendError", function () {
    toast(document.body.dataset.lang === "en" ? "The server cannot be reached" : "Сервер недоступен");
  });

  function fillCurrentPath() {
    document.querySelectorAll("[data-current-path]").forEach(function (el) {
      el.value = location.pathname + location.search;
    });
  }
  document.addEventListener("DOMContentLoaded", fillCurrentPath);
  document.addEventListener("htmx:afterSettle", fillCurrentPath);

  // ---- Board: drag a card to another column with the mouse, a pen or a finger. ----
  var drag = null;
  var THRESHOLD = 5;

  function columnAt(x, y) {
    var el = document.elementFromPoint(x, y);
    return el ? el.closest(".column[data-stage-id]") : null;
  }

  function startDrag(d, e) {
    var card = d.card, rect = card.getBoundingClientRect();
    d.placeholder = document.createElement("div");
    d.placeholder.className = "card-placeholder";
    d.placeholder.style.height = rect.height + "px";
    card.parentNode.insertBefore(d.placeholder, card);
    d.dx = e.clientX - rect.left;
    d.dy = e.clientY - rect.top;
    card.style.width = rect.width + "px";
    card.classList.add("dragging");
    d.active = true;
    moveDrag(d, e);
  }

  function moveDrag(d, e) {
    d.card.style.left = (e.clientX - d.dx) + "px";
    d.card.style.top = (e.clientY - d.dy) + "px";
    var col = columnAt(e.clientX, e.clientY);
    if (col !== d.over) {
      if (d.over) d.over.classList.remove("drop-target");
      d.over = col;
      if (col && col !== d.from) col.classList.add("drop-target");
    }
  }

  function restore(d) {
    d.card.classList.remove("dragging");
    d.card.style.left = d.card.style.top = d.card.style.width = "";
    if (d.over) d.over.classList.remove("drop-target");
  }

  function endDrag(d) {
    restore(d);
    var target = d.over;
    if (!target || target === d.from) {
      d.placeholder.replaceWith(d.card);
      return;
    }
    // Show the move at once; put the card back if the server refuses it.
    d.placeholder.remove();
    var list = target.querySelector(".cards");
    list.insertBefore(d.card, list.firstChild);
    var board = d.card.closest("#board");
    var body = new URLSearchParams();
    body.set("deal_id", d.card.dataset.dealId);
    body.set("stage_id", target.dataset.stageId);
    body.set("view", board ? board.dataset.view || "" : "");
    d.card.setAttribute("aria-busy", "true");
    fetch("/board/move", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf(), "HX-Request": "true" },
      body: body.toString(),
      credentials: "same-origin",
    }).then(function (resp) {
      return resp.text().then(function (text) {
        if (resp.ok) {
          var box = document.createElement("div");
          box.innerHTML = text;
          var fresh = box.querySelector("#board");
          if (fresh && board) {
            board.replaceWith(fresh);
            if (window.htmx) window.htmx.process(fresh);
          }
          d.card.removeAttribute("aria-busy");
        } else {
          goBack(d);
          toast(messageOf(text, resp.status));
        }
      });
    }).catch(function () {
      goBack(d);
      toast(document.body.dataset.lang === "en" ? "The server cannot be reached" : "Сервер недоступен");
    });
  }

  function goBack(d) {
    d.card.removeAttribute("aria-busy");
    var list = d.from.querySelector(".cards");
    var next = d.nextSibling && d.nextSibling.parentNode === list ? d.nextSibling : null;
    list.insertBefore(d.card, next);
    d.card.classList.add("refused");
  }

  document.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) return;
    var card = e.target.closest(".deal-card[data-deal-id]");
    if (!card) return;
    drag = { card: card, from: card.closest(".column"), nextSibling: card.nextSibling, x: e.clientX, y: e.clientY, active: false, over: null };
  });

  document.addEventListener("pointermove", function (e) {
    if (!drag) return;
    if (!drag.active) {
      if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) < THRESHOLD) return;
      startDrag(drag, e);
    }
    e.preventDefault();
    moveDrag(drag, e);
  });

  document.addEventListener("pointerup", function () {
    if (!drag) return;
    var d = drag;
    drag = null;
    if (d.active) {
      d.justDragged = true;
      endDrag(d);
      // The click that follows a drag must not open the card.
      var swallow = function (ev) { ev.preventDefault(); ev.stopPropagation(); };
      d.card.addEventListener("click", swallow, { capture: true, once: true });
      setTimeout(function () { d.card.removeEventListener("click", swallow, { capture: true }); }, 0);
    }
  });

  document.addEventListener("pointercancel", function () {
    if (drag && drag.active) {
      restore(drag);
      drag.placeholder.replaceWith(drag.card);
    }
    drag = null;
  });

  // Esc cancels a drag in progress.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && drag && drag.active) {
      restore(drag);
      drag.placeholder.replaceWith(drag.card);
      drag = null;
    }
  });
})();
