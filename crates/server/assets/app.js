// Poryadok: the little script the pages need beyond htmx. Notices for failed requests, the
// "return here" field of the language switch, the global search box's keys, and dragging deals
// between board columns.
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

  // ---- Global search: "/" or Ctrl+K to the box, arrows through the results, Esc to close. ----
  function searchBox() { return document.getElementById("global-search"); }
  function searchPop() { return document.getElementById("search-pop"); }
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function closeSearch() {
    var pop = searchPop();
    if (pop) pop.hidden = true;
  }
  function hits() {
    var pop = searchPop();
    return pop ? Array.prototype.slice.call(pop.querySelectorAll(".search-hit")) : [];
  }
  document.addEventListener("keydown", function (e) {
    var box = searchBox();
    if (!box) return;
    var k = e.key;
    if ((k === "/" && !typing(e.target)) || ((e.ctrlKey || e.metaKey) && (k === "k" || k === "K" || k === "л" || k === "Л"))) {
      e.preventDefault();
      box.focus();
      box.select();
      return;
    }
    var inSearch = e.target === box || (e.target.closest && e.target.closest("#search-pop"));
    if (!inSearch) return;
    if (k === "Escape") {
      closeSearch();
      box.focus();
      return;
    }
    if (k !== "ArrowDown" && k !== "ArrowUp") return;
    var list = hits();
    if (!list.length) return;
    e.preventDefault();
    var at = list.indexOf(document.activeElement);
    var next = k === "ArrowDown" ? at + 1 : at - 1;
    if (next < 0) { box.focus(); return; }
    list[Math.min(next, list.length - 1)].focus();
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var pop = searchPop();
    if (pop && e.detail.target === pop) {
      var box = searchBox();
      pop.hidden = !box || box.value.trim() === "";
    }
  });
  document.addEventListener("input", function (e) {
    if (e.target === searchBox() && e.target.value.trim() === "") closeSearch();
  });
  document.addEventListener("click", function (e) {
    if (!e.target.closest || !e.target.closest(".topsearch")) closeSearch();
  });
  document.addEventListener("focusin", function (e) {
    var pop = searchPop();
    if (pop && e.target === searchBox() && pop.innerHTML.trim() && e.target.value.trim()) pop.hidden = false;
  });

  // ---- The menu button of narrow screens. ----
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("#menu-toggle");
    if (!btn) return;
    var bar = btn.closest(".topbar");
    var open = bar.classList.toggle("open");
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // ---- The dialog: "+ deal", "+ person"… open their form over the page. ----
  function dialog() { return document.getElementById("dialog"); }
  document.addEventListener("htmx:afterSwap", function (e) {
    var d = dialog();
    if (!d || e.detail.target.id !== "dialog-body") return;
    var back = location.pathname + location.search.replace(/([?&])saved=1&?/, "$1").replace(/[?&]$/, "");
    d.querySelectorAll("[data-back]").forEach(function (el) { el.value = back; });
    if (!d.open) d.showModal();
    var first = d.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  });
  document.addEventListener("click", function (e) {
    var close = e.target.closest && e.target.closest("[data-dialog-close]");
    var d = dialog();
    if (close && d && d.contains(close)) {
      e.preventDefault();
      d.close();
    }
  });
  // The form the dialog shows again (refused) stays in it and keeps where to go back to.
  document.addEventListener("htmx:afterSettle", function (e) {
    var d = dialog();
    if (d && d.open && d.contains(e.detail.elt)) {
      var back = location.pathname + location.search;
      d.querySelectorAll("[data-back]").forEach(function (el) { if (!el.value) el.value = back; });
    }
  });

  // "Saved" after a form that led to a new page (?saved=1), then the address is tidied.
  document.addEventListener("DOMContentLoaded", function () {
    var q = new URLSearchParams(location.search);
    if (q.get("saved") !== "1") return;
    toast(document.body.dataset.lang === "en" ? "Saved" : "Сохранено", true);
    q.delete("saved");
    var rest = q.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  });

  // ---- Type-ahead links: a person or a company chosen by name over the whole base. ----
  var pickTimer = null;
  function pickerOf(el) { return el.closest && el.closest("[data-picker]"); }
  function pickOptions(p) { return p.querySelector(".picker-options"); }
  function closePicker(p) {
    var o = pickOptions(p);
    o.hidden = true;
    p.querySelector("[data-picked-label]").setAttribute("aria-expanded", "false");
  }
  function choose(p, btn) {
    p.querySelector("[data-picked-id]").value = btn.dataset.id;
    var label = p.querySelector("[data-picked-label]");
    label.value = btn.dataset.label;
    closePicker(p);
    label.focus();
  }
  document.addEventListener("input", function (e) {
    if (!e.target.matches || !e.target.matches("[data-picked-label]")) return;
    var p = pickerOf(e.target), q = e.target.value.trim();
    // Typing a new name unlinks the old record until one is chosen.
    p.querySelector("[data-picked-id]").value = "";
    clearTimeout(pickTimer);
    if (q.length < 2) { closePicker(p); return; }
    pickTimer = setTimeout(function () {
      fetch(p.dataset.picker + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var o = pickOptions(p);
          o.innerHTML = html;
          o.hidden = false;
          e.target.setAttribute("aria-expanded", "true");
        });
    }, 200);
  });
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest(".picker-option");
    if (btn) { e.preventDefault(); choose(pickerOf(btn), btn); return; }
    document.querySelectorAll("[data-picker]").forEach(function (p) { if (!p.contains(e.target)) closePicker(p); });
  });
  document.addEventListener("keydown", function (e) {
    var p = pickerOf(e.target);
    if (!p) return;
    var opts = Array.prototype.slice.call(p.querySelectorAll(".picker-option"));
    var at = opts.indexOf(document.activeElement);
    if (e.key === "Escape") { closePicker(p); p.querySelector("[data-picked-label]").focus(); e.preventDefault(); return; }
    if (e.key === "ArrowDown" && opts.length) { e.preventDefault(); opts[Math.min(at + 1, opts.length - 1)].focus(); }
    if (e.key === "ArrowUp" && opts.length) { e.preventDefault(); if (at <= 0) p.querySelector("[data-picked-label]").focus(); else opts[at - 1].focus(); }
    // Enter in the name box takes the first choice rather than sending the form half-filled.
    if (e.key === "Enter" && e.target.matches("[data-picked-label]") && !pickOptions(p).hidden && opts.length) { e.preventDefault(); choose(p, opts[0]); }
  });

  // ---- Amounts written as the UI's language writes them: 1 500 000,50 / 1,500,000.50. ----
  function lang() { return document.body.dataset.lang === "en" ? "en" : "ru"; }
  function plainAmount(text) {
    var s = String(text).replace(/[\s\u00a0\u202f]/g, "");
    s = lang() === "en" ? s.replace(/,/g, "") : s.replace(/\./g, s.indexOf(",") >= 0 ? "" : ".").replace(",", ".");
    return s;
  }
  function groupAmount(el) {
    var plain = plainAmount(el.value);
    if (!/^\d+(\.\d{1,2})?$/.test(plain)) return;
    el.value = new Intl.NumberFormat(lang() === "en" ? "en-US" : "ru-RU", { maximumFractionDigits: 2 }).format(Number(plain));
  }
  document.addEventListener("focusout", function (e) {
    if (e.target.matches && e.target.matches("[data-grouped]")) groupAmount(e.target);
  });
  document.addEventListener("htmx:load", function (e) {
    (e.detail.elt.querySelectorAll ? e.detail.elt : document).querySelectorAll("[data-grouped]").forEach(groupAmount);
  });
  document.addEventListener("DOMContentLoaded", function () { document.querySelectorAll("[data-grouped]").forEach(groupAmount); });
  document.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt.closest ? e.detail.elt.closest("form") : null;
    if (!form) return;
    form.querySelectorAll("[data-grouped]").forEach(function (el) {
      if (el.name && e.detail.parameters[el.name] !== undefined) e.detail.parameters[el.name] = plainAmount(el.value);
    });
  });
  document.addEventListener("submit", function (e) {
    e.target.querySelectorAll && e.target.querySelectorAll("[data-grouped]").forEach(function (el) { el.value = plainAmount(el.value); });
  });

  // ---- Board: drag a card to another column with the mouse, a pen or a finger. ----
  var drag = null;
  var THRESHOLD = 5;

  function columnAt(x, y) {
    var el = document.elementFromPoint(x, y);
    return el ? el.closest(".column[data-stage-id], .drop-zone[data-close-status]") : null;
  }

  // An answer that carries a form for the dialog (a stage's required fields) opens it there.
  function intoDialog(html) {
    var d = dialog(), body = document.getElementById("dialog-body");
    if (!d || !body) return false;
    body.innerHTML = html;
    if (window.htmx) window.htmx.process(body);
    var back = location.pathname + location.search;
    body.querySelectorAll("[data-back]").forEach(function (el) { el.value = back; });
    if (!d.open) d.showModal();
    var first = body.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
    return true;
  }

  // Dropped on "Won", "Lost" or "Frozen": lost and frozen ask for the reason in the dialog.
  function closeDeal(d, status) {
    d.placeholder.replaceWith(d.card);
    var id = d.card.dataset.dealId;
    if (status !== "won") {
      if (window.htmx) window.htmx.ajax("GET", "/deals/" + id + "/close?status=" + status, { target: "#dialog-body" });
      return;
    }
    var body = new URLSearchParams();
    body.set("status", "won");
    body.set("back", location.pathname + location.search);
    fetch("/deals/" + id + "/close", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf(), "HX-Request": "true" },
      body: body.toString(),
      credentials: "same-origin",
    }).then(function (resp) {
      var to = resp.headers.get("HX-Redirect");
      if (to) { location.href = to; return; }
      return resp.text().then(function (text) {
        if (resp.headers.get("HX-Retarget") === "#dialog-body" && intoDialog(text)) return;
        toast(messageOf(text, resp.status));
      });
    });
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
    document.body.classList.add("dragging-deal");
    d.active = true;
    moveDrag(d, e);
  }

  function moveDrag(d, e) {
    d.card.style.left = (e.clientX - d.dx) + "px";
    d.card.style.top = (e.clientY - d.dy) + "px";
    var col = columnAt(e.clientX, e.clientY);
    if (col !== d.over) {
      if (d.over) d.over.classList.remove("drop-target", "drop-locked");
      d.over = col;
      // A stage beyond the role's range shows so before the drop (the server still explains why).
      if (col && col !== d.from) col.classList.add(col.hasAttribute("data-locked") ? "drop-locked" : "drop-target");
    }
  }

  function restore(d) {
    document.body.classList.remove("dragging-deal");
    d.card.classList.remove("dragging");
    d.card.style.left = d.card.style.top = d.card.style.width = "";
    if (d.over) d.over.classList.remove("drop-target", "drop-locked");
  }

  function endDrag(d) {
    restore(d);
    var target = d.over;
    if (!target || target === d.from) {
      d.placeholder.replaceWith(d.card);
      return;
    }
    if (target.dataset.closeStatus) {
      closeDeal(d, target.dataset.closeStatus);
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
          // A stage that needs fields: the card goes back, and the dialog asks for them.
          if (!(resp.headers.get("HX-Retarget") === "#dialog-body" && intoDialog(text))) toast(messageOf(text, resp.status));
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
  // ---- Lists: bulk actions on the ticked rows, and the column picker. ----
  function bulkSync() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var ticked = document.querySelectorAll("[data-bulk-one]:checked").length;
    form.hidden = ticked === 0;
    var count = form.querySelector("[data-bulk-count]");
    if (count) count.textContent = count.dataset.template.replace("{n}", ticked);
    var all = document.querySelector("[data-bulk-all]");
    var boxes = document.querySelectorAll("[data-bulk-one]");
    if (all) {
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t.matches) return;
    if (t.matches("[data-bulk-all]")) {
      document.querySelectorAll("[data-bulk-one]").forEach(function (b) { b.checked = t.checked; });
    }
    if (t.matches("[data-bulk-all], [data-bulk-one]")) bulkSync();
    // A picked set of columns is kept for this list (a year), and the list shows it at once.
    var picker = t.closest && t.closest("[data-columns-cookie]");
    if (picker) {
      var ids = Array.prototype.map.call(picker.querySelectorAll("input:checked"), function (i) { return i.value; });
      document.cookie = picker.dataset.columnsCookie + "=" + ids.join(".") + "; path=/; max-age=31536000; samesite=lax";
      if (window.htmx) window.htmx.ajax("GET", location.pathname + location.search, { target: "#list", swap: "outerHTML" });
    }
  });
  document.addEventListener("htmx:afterSettle", bulkSync);
  // Deleting many records asks first.
  document.addEventListener("htmx:confirm", function (e) {
    var form = e.detail.elt;
    if (!form || form.id !== "bulk-form") return;
    var action = form.querySelector("[name=action]");
    if (action && action.value === "delete") {
      e.preventDefault();
      var btn = form.querySelector("[data-confirm-delete]");
      if (window.confirm(btn ? btn.dataset.confirmDelete : "?")) e.detail.issueRequest(true);
    }
  });
  // ---- Live events: the bell's count and toasts for a client's call or message, as they happen. ----
  function toastWithLink(text, link) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text + " ";
    if (link && link.charAt(0) === "/" && link.charAt(1) !== "/") {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = document.body.dataset.lang === "en" ? "Open" : "Открыть";
      el.appendChild(a);
    }
    el.className = "ok";
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 12000);
  }
  // One stream per browser, not per tab: the tab holding the "poryadok-live" lock listens and
  // passes what it hears to the other tabs (a browser opens only six connections to a server, and
  // a CRM lives in many tabs). A page leaving (or going into the back-forward cache) lets go.
  function onLive(kind, data) {
    if (kind === "bell") {
      var count = document.getElementById("bell-count");
      if (!count) return;
      count.textContent = data.unread;
      count.hidden = data.unread === 0;
    } else if (kind === "toast") {
      toastWithLink(data.text, data.link);
    }
  }
  var liveSource = null, liveRelease = null, liveWaiting = null;
  var liveChannel = window.BroadcastChannel ? new BroadcastChannel("poryadok-live") : null;
  if (liveChannel) liveChannel.onmessage = function (e) { onLive(e.data.kind, e.data.data); };
  function listen(url) {
    liveSource = new EventSource(url);
    ["bell", "toast"].forEach(function (kind) {
      liveSource.addEventListener(kind, function (e) {
        var data = JSON.parse(e.data);
        onLive(kind, data);
        if (liveChannel) liveChannel.postMessage({ kind: kind, data: data });
      });
    });
  }
  function startLive() {
    var url = document.body.dataset.live;
    if (!url || !window.EventSource || liveSource || liveWaiting) return;
    if (!(navigator.locks && liveChannel && window.AbortController)) { listen(url); return; }
    liveWaiting = new AbortController();
    navigator.locks.request("poryadok-live", { signal: liveWaiting.signal }, function () {
      liveWaiting = null;
      listen(url);
      return new Promise(function (resolve) { liveRelease = resolve; });
    }).catch(function () { liveWaiting = null; });
  }
  function stopLive() {
    if (liveWaiting) { liveWaiting.abort(); liveWaiting = null; }
    if (liveSource) { liveSource.close(); liveSource = null; }
    if (liveRelease) { liveRelease(); liveRelease = null; }
  }
  document.addEventListener("DOMContentLoaded", startLive);
  window.addEventListener("pageshow", function (e) { if (e.persisted) startLive(); });
  window.addEventListener("pagehide", stopLive);
})();

// ---- The violations inbox: "tick all" for a rule's bulk answer; dismissing an inline offer. ----
(function () {
  "use strict";
  function showTickAll(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-check-all]").forEach(function (el) { el.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { showTickAll(document); });
  document.addEventListener("htmx:load", function (e) { showTickAll(e.detail.elt); });
  document.addEventListener("change", function (e) {
    var label = e.target.closest && e.target.closest("[data-check-all]");
    if (!label) return;
    var form = label.getAttribute("data-check-all");
    document.querySelectorAll('input[type=checkbox][name=ids][form="' + form + '"]').forEach(function (box) {
      box.checked = e.target.checked;
    });
  });
  // The offer of the next step asks for its subject first.
  document.addEventListener("htmx:load", function (e) {
    var subject = e.detail.elt && e.detail.elt.querySelector ? e.detail.elt.querySelector("#next-subject") : null;
    if (subject) subject.focus();
  });
  // A link that closes an offer in place (the deal card's "schedule the next step"); without a
  // script it simply reloads the page, which no longer shows the offer.
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("[data-dismiss]");
    if (!link) return;
    var box = document.getElementById(link.getAttribute("data-dismiss"));
    if (!box) return;
    e.preventDefault();
    box.remove();
  });
})();
