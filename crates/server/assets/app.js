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

  // ---- The top menu's "More": closes on a click elsewhere and on Escape. ----
  document.addEventListener("click", function (e) {
    var more = document.getElementById("nav-more");
    if (more && more.open && !more.contains(e.target)) more.open = false;
  });
  document.addEventListener("keydown", function (e) {
    var more = document.getElementById("nav-more");
    if (e.key === "Escape" && more && more.open) { more.open = false; more.querySelector("summary").focus(); }
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
  // The texts this script shows, in the reader's language, from the catalogue (layout.html).
  function uiTexts() {
    var el = document.querySelector('meta[name="ui-texts"]');
    try { return el ? JSON.parse(el.content) : {}; } catch (e) { return {}; }
  }
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
  // ---- The filter box: the condition builder ("Conditions") and suggestions while typing. ----
  // Both read GET /filter/fields/{entity}: the fields a filter may name (labels in the reader's
  // language, kinds, operators, values), the joining words and the texts; with ?q= the box's
  // expression read back as rows (absent when the builder cannot show it).
  var fieldsCache = {};
  function loadFields(url) {
    if (!fieldsCache[url]) {
      fieldsCache[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
      fieldsCache[url].catch(function () { delete fieldsCache[url]; });
    }
    return fieldsCache[url];
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // A string literal of the filter language: double quotes, with \" and \\ the only escapes.
  function quoteText(s) { return '"' + String(s).replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"'; }
  var KEYWORDS = ["and", "or", "not", "in", "is", "empty", "exists", "count", "true", "false", "now", "today", "me"];
  // How a value is written for a field of this kind.
  function literal(field, value, raw) {
    var v = String(value).trim();
    if (raw) return v;
    switch (field.kind) {
      case "int": case "number": case "money": case "id": case "ref":
        v = v.replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
        return /^-?\d+(\.\d+)?$/.test(v) ? v : null;
      case "date": case "timestamp":
        return /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null;
      case "bool":
        return v === "true" || v === "false" ? v : null;
      case "user":
        return v === "me" || /^\d+$/.test(v) ? v : null;
      case "enum":
        if (v === "") return null;
        return /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) && KEYWORDS.indexOf(v.toLowerCase()) < 0 ? v : quoteText(v);
      default:
        return v === "" ? null : quoteText(v);
    }
  }
  function condition(field, op, value, raw) {
    if (op === "is empty" || op === "is not empty") return field.name + " " + op;
    var lit = literal(field, value, raw);
    return lit === null ? null : field.name + " " + op + " " + lit;
  }
  function fieldByName(data, name) {
    for (var i = 0; i < data.fields.length; i++) if (data.fields[i].name === name) return data.fields[i];
    return null;
  }

  // -- The builder: rows of [field] [operator] [value], all or any, written into the box. --
  function fbPanel(btn) { return document.getElementById(btn.dataset.fbOpen); }
  function fbRow(panel, data, row) {
    var T = data.texts, li = el("li", { class: "fb-row" });
    var fieldSel = el("select", { "aria-label": T.field, "data-fb-field": "" });
    fieldSel.appendChild(el("option", { value: "" }, T.choose));
    var groups = {};
    data.fields.forEach(function (f) {
      if (f.kind === "ref" || f.kind === "id") return;
      var g = groups[f.group];
      if (!g) { g = groups[f.group] = el("optgroup", { label: T["group_" + f.group] || f.group }); fieldSel.appendChild(g); }
      g.appendChild(el("option", { value: f.name }, f.label));
    });
    var opSel = el("select", { "aria-label": T.op, "data-fb-op": "" });
    var valueBox = el("span", { class: "fb-value" });
    var remove = el("button", { type: "button", class: "fb-remove", "aria-label": T.remove, title: T.remove, "data-fb-remove": "" }, "×");
    li.appendChild(fieldSel);
    li.appendChild(opSel);
    li.appendChild(valueBox);
    li.appendChild(remove);
    function fillOps(keep) {
      var f = fieldByName(data, fieldSel.value);
      opSel.innerHTML = "";
      opSel.disabled = !f;
      if (!f) return;
      f.ops.forEach(function (o) {
        if (o.op === "in" || o.op === "not in") return;
        opSel.appendChild(el("option", { value: o.op }, o.label));
      });
      if (keep) opSel.value = keep;
    }
    function fillValue(value, raw) {
      var f = fieldByName(data, fieldSel.value), op = opSel.value;
      var old = valueBox.querySelector("[data-fb-val]");
      if (value === undefined && old) { value = old.value; raw = old.dataset.raw === "1"; }
      valueBox.innerHTML = "";
      var none = !f || op === "is empty" || op === "is not empty";
      valueBox.classList.toggle("fb-none", none);
      if (none) return;
      var input;
      if (f.options && f.options.length) {
        input = el("select", { "aria-label": T.value, "data-fb-val": "" });
        input.appendChild(el("option", { value: "" }, T.choose));
        var parent = input, group = null;
        f.options.forEach(function (o) {
          if (o.group && o.group !== group) { group = o.group; parent = el("optgroup", { label: group }); input.appendChild(parent); }
          parent.appendChild(el("option", { value: o.value }, o.label));
        });
        if (value) input.value = value;
        if (input.value !== value) input.value = "";
      } else if ((f.kind === "date" || f.kind === "timestamp") && !raw) {
        input = el("input", { type: "date", "aria-label": T.value, "data-fb-val": "" });
        if (value && /^\d{4}-\d{2}-\d{2}$/.test(value)) input.value = value;
      } else {
        var numeric = f.kind === "int" || f.kind === "number" || f.kind === "money";
        input = el("input", { type: "text", "aria-label": T.value, "data-fb-val": "", inputmode: numeric ? "decimal" : null, spellcheck: "false" });
        if (value !== undefined) input.value = value;
        if (raw) input.dataset.raw = "1";
      }
      valueBox.appendChild(input);
    }
    fieldSel.addEventListener("change", function () { fillOps(); fillValue(""); });
    opSel.addEventListener("change", function () { fillValue(); });
    if (row) {
      fieldSel.value = row.field;
      fillOps(row.op);
      fillValue(row.value, row.raw);
    } else {
      fillOps();
      fillValue("");
    }
    return li;
  }
  function fbBuild(panel, data) {
    var T = data.texts;
    panel.innerHTML = "";
    panel.appendChild(el("h2", { class: "fb-title", id: panel.id + "-title" }, T.title));
    panel.setAttribute("role", "group");
    panel.setAttribute("aria-labelledby", panel.id + "-title");
    var join = el("label", { class: "fb-join" }, T.match + " ");
    var joinSel = el("select", { "data-fb-join": "" });
    joinSel.appendChild(el("option", { value: "and" }, T.all));
    joinSel.appendChild(el("option", { value: "or" }, T.any));
    join.appendChild(joinSel);
    panel.appendChild(join);
    var replaces = el("p", { class: "notice fb-replace", "data-fb-replace": "" }, T.replaces);
    replaces.hidden = true;
    panel.appendChild(replaces);
    panel.appendChild(el("ol", { class: "fb-rows", "data-fb-rows": "" }));
    var empty = el("p", { class: "muted small fb-empty", "data-fb-empty": "" }, T.empty);
    panel.appendChild(empty);
    var error = el("p", { class: "field-error fb-error", role: "alert", "data-fb-error": "" });
    error.hidden = true;
    panel.appendChild(error);
    var actions = el("div", { class: "fb-actions" });
    actions.appendChild(el("button", { type: "button", "data-fb-add": "" }, T.add));
    actions.appendChild(el("span", { class: "spacer" }));
    actions.appendChild(el("button", { type: "button", "data-fb-cancel": "" }, T.cancel));
    actions.appendChild(el("button", { type: "button", class: "primary", "data-fb-apply": "" }, T.apply));
    panel.appendChild(actions);
  }
  function fbSyncEmpty(panel) {
    var empty = panel.querySelector("[data-fb-empty]");
    if (empty) empty.hidden = panel.querySelectorAll(".fb-row").length > 0;
  }
  function fbOpen(btn) {
    var panel = fbPanel(btn), box = panel && document.getElementById(panel.dataset.for);
    if (!panel || !box) return;
    if (!panel.hidden) { fbClose(panel); return; }
    var url = panel.dataset.fields + "?q=" + encodeURIComponent(box.value);
    panel.hidden = false;
    btn.setAttribute("aria-expanded", "true");
    panel.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        panel.fbData = data;
        fbBuild(panel, data);
        var list = panel.querySelector("[data-fb-rows]");
        var back = data.rows;
        if (back) {
          panel.querySelector("[data-fb-join]").value = back.join;
          back.rows.forEach(function (r) { list.appendChild(fbRow(panel, data, r)); });
        } else {
          panel.querySelector("[data-fb-replace]").hidden = false;
        }
        if (!list.children.length) list.appendChild(fbRow(panel, data, null));
        fbSyncEmpty(panel);
        panel.removeAttribute("aria-busy");
        var first = list.querySelector("select");
        if (first) first.focus();
      })
      .catch(function () {
        panel.removeAttribute("aria-busy");
        fbClose(panel);
        toast(uiTexts().fieldsLoadError);
      });
  }
  function fbClose(panel, focusBox) {
    panel.hidden = true;
    var btn = document.querySelector('[data-fb-open="' + panel.id + '"]');
    if (btn) {
      btn.setAttribute("aria-expanded", "false");
      if (focusBox !== false) btn.focus();
    }
  }
  function fbApply(panel) {
    var data = panel.fbData, box = document.getElementById(panel.dataset.for);
    if (!data || !box) return;
    var parts = [], bad = null;
    panel.querySelectorAll(".fb-row").forEach(function (li) {
      var f = fieldByName(data, li.querySelector("[data-fb-field]").value);
      var val = li.querySelector("[data-fb-val]");
      if (val) val.removeAttribute("aria-invalid");
      if (!f) return;
      var c = condition(f, li.querySelector("[data-fb-op]").value, val ? val.value : "", val && val.dataset.raw === "1");
      if (c === null) { if (val) val.setAttribute("aria-invalid", "true"); bad = bad || val; return; }
      parts.push(c);
    });
    var error = panel.querySelector("[data-fb-error]");
    if (bad) {
      error.textContent = data.texts.need_value;
      error.hidden = false;
      bad.focus();
      return;
    }
    error.hidden = true;
    box.value = parts.join(" " + panel.querySelector("[data-fb-join]").value + " ");
    fbClose(panel, false);
    box.focus();
    var form = box.form;
    if (form) { if (form.requestSubmit) form.requestSubmit(); else form.submit(); }
  }
  function fbShowButtons() {
    document.querySelectorAll("[data-fb-open]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", fbShowButtons);
  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target : null;
    if (!t) return;
    var open = t.closest("[data-fb-open]");
    if (open) { e.preventDefault(); fbOpen(open); return; }
    var panel = t.closest(".filter-builder");
    if (!panel || !panel.fbData) return;
    if (t.closest("[data-fb-add]")) {
      var li = fbRow(panel, panel.fbData, null);
      panel.querySelector("[data-fb-rows]").appendChild(li);
      fbSyncEmpty(panel);
      li.querySelector("select").focus();
    } else if (t.closest("[data-fb-remove]")) {
      var row = t.closest(".fb-row"), next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      fbSyncEmpty(panel);
      var focus = next ? next.querySelector("select") : panel.querySelector("[data-fb-add]");
      if (focus) focus.focus();
    } else if (t.closest("[data-fb-cancel]")) {
      fbClose(panel);
    } else if (t.closest("[data-fb-apply]")) {
      fbApply(panel);
    }
  });
  document.addEventListener("keydown", function (e) {
    var panel = e.target.closest && e.target.closest(".filter-builder");
    if (!panel) return;
    if (e.key === "Escape") { e.preventDefault(); fbClose(panel); }
    // Enter in a value applies, as it would in the box.
    if (e.key === "Enter" && e.target.matches("input[data-fb-val]")) { e.preventDefault(); fbApply(panel); }
  });

  // -- Suggestions while typing in the box: fields, then operators, then values. --
  var acSeq = 0;
  function acUrl(box) {
    if (box.dataset.filterFields) return box.dataset.filterFields;
    var from = box.dataset.filterEntityFrom && document.getElementById(box.dataset.filterEntityFrom);
    return from && from.value ? "/filter/fields/" + encodeURIComponent(from.value) : null;
  }
  // The text before the caret as tokens; the last one may be unfinished (a word, a quoted text).
  function acTokens(src) {
    var out = [], i = 0, m;
    var re = /\s+|"(?:[^"\\]|\\.)*"?|\d{4}-\d{2}-\d{2}|\d+(?:\.\d+)?[A-Za-z]*|[\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}_]?[\p{L}\p{N}_]*)?|!=|!~|<=|>=|[=<>~(),+\-!]|./gu;
    while (i < src.length && (m = re.exec(src))) {
      i = re.lastIndex;
      if (!/^\s+$/.test(m[0])) out.push({ text: m[0], start: m.index, end: re.lastIndex });
    }
    return out;
  }
  var OPS = ["=", "!=", "<", "<=", ">", ">=", "~", "!~"];
  function isWord(tok, w) { return tok && tok.text.toLowerCase() === w; }
  // What to suggest at the caret: {kind, field, start, prefix}.
  function acContext(box, data) {
    var caret = box.selectionStart === null ? box.value.length : box.selectionStart;
    var before = box.value.slice(0, caret);
    var toks = acTokens(before);
    var last = toks[toks.length - 1], partial = null;
    // The token under the caret is being typed unless a blank follows it.
    if (last && last.end === before.length && !/^[=<>~(),!+\-]+$/.test(last.text)) {
      partial = toks.pop();
    }
    var start = partial ? partial.start : caret, prefix = partial ? partial.text : "";
    var prev = toks[toks.length - 1], prev2 = toks[toks.length - 2];
    var ctx = { start: start, end: caret, prefix: prefix, typed: !!partial };
    var depth = 0;
    // The innermost collection the caret is inside (exists activity(…)) names whose fields apply.
    var stack = [];
    toks.forEach(function (t, i) {
      if (t.text === "(") stack.push(toks[i - 1] ? toks[i - 1].text : "");
      if (t.text === ")") stack.pop();
    });
    depth = stack.length;
    var inner = depth ? stack[depth - 1] : "";
    ctx.collection = data.collections.filter(function (c) { return c.name === inner || c.name + "s" === inner; })[0] || null;
    if (prev && (prev.text === "exists" || prev.text === "count")) { ctx.kind = "collection"; return ctx; }
    if (!prev || prev.text === "(" && !(prev2 && /^in$/i.test(prev2.text)) || isWord(prev, "and") || isWord(prev, "or") || isWord(prev, "not") && !(prev2 && /^(is|in)$/i.test(prev2.text))) {
      ctx.kind = "field";
      return ctx;
    }
    if (isWord(prev, "is")) { ctx.kind = "empty"; ctx.not = true; return ctx; }
    if (isWord(prev, "not") && isWord(prev2, "is")) { ctx.kind = "empty"; return ctx; }
    // After an operator (or inside "in (…)"): the values of the field before it.
    var opAt = -1;
    if (OPS.indexOf(prev.text) >= 0) opAt = toks.length - 2;
    else if ((prev.text === "(" || prev.text === ",") ) {
      for (var j = toks.length - 1; j >= 1; j--) {
        if (toks[j].text === "(" && /^in$/i.test(toks[j - 1].text)) { opAt = j - 2; if (isWord(toks[opAt], "not")) opAt--; break; }
        if (toks[j].text === ")") break;
      }
    }
    if (opAt >= 0 && toks[opAt]) {
      ctx.kind = "value";
      ctx.fieldName = toks[opAt].text;
      ctx.op = OPS.indexOf(prev.text) >= 0 ? prev.text : "in";
      return ctx;
    }
    // After a field: its operators.
    if (/^[\p{L}_][\p{L}\p{N}_.]*$/u.test(prev.text) && KEYWORDS.indexOf(prev.text.toLowerCase()) < 0 && !(prev2 && OPS.indexOf(prev2.text) >= 0)) {
      ctx.kind = "op";
      ctx.fieldName = prev.text;
      return ctx;
    }
    // After a whole condition: the joining words, once the reader starts one.
    ctx.kind = ctx.typed ? "join" : null;
    return ctx;
  }
  // A suggestion fits what is typed when its name, or a word of its label, begins with it.
  function matches(prefix, text, label) {
    var p = prefix.replace(/^"/, "").toLowerCase();
    if (!p) return true;
    if (text.toLowerCase().indexOf(p) === 0) return true;
    return (label || "").toLowerCase().split(/[\s·,()«»"—.]+/).some(function (w) { return w && w.indexOf(p) === 0; });
  }
  function acSuggestions(ctx, data) {
    var out = [];
    var fields = ctx.fieldsData || data;
    if (ctx.kind === "field") {
      fields.fields.forEach(function (f) {
        if (f.kind === "ref") return;
        if (matches(ctx.prefix, f.name, f.label)) out.push({ insert: f.name + " ", name: f.name, label: f.label });
      });
      if (!ctx.collection) {
        data.words.forEach(function (w) {
          if ((w.value === "not" || w.value === "exists" || w.value === "count") && ctx.prefix && matches(ctx.prefix, w.value, "")) {
            out.push({ insert: w.value + " ", name: w.value, label: w.label });
          }
        });
      }
    } else if (ctx.kind === "collection") {
      data.collections.forEach(function (c) {
        if (matches(ctx.prefix, c.name, c.label)) out.push({ insert: c.name + "(", name: c.name + "(…)", label: c.label });
      });
    } else if (ctx.kind === "op") {
      var f = fieldByName(fields, ctx.fieldName);
      if (f) f.ops.forEach(function (o) {
        var ins = o.op === "in" || o.op === "not in" ? o.op + " (" : o.op + " ";
        if (!ctx.prefix || o.op.indexOf(ctx.prefix.toLowerCase()) === 0) out.push({ insert: ins, name: o.op, label: o.label });
      });
    } else if (ctx.kind === "empty") {
      (ctx.not ? ["empty", "not empty"] : ["empty"]).forEach(function (w) {
        if (matches(ctx.prefix, w, "")) out.push({ insert: w + " ", name: w, label: "" });
      });
    } else if (ctx.kind === "value") {
      var fv = fieldByName(fields, ctx.fieldName);
      if (!fv) return out;
      var seen = {};
      (fv.options || []).forEach(function (o) {
        var lit = literal(fv, o.value, false);
        if (lit === null || seen[lit]) return;
        seen[lit] = true;
        var shown = o.group ? o.label + " · " + o.group : o.label;
        if (matches(ctx.prefix, lit.replace(/^"/, ""), shown)) out.push({ insert: lit + (ctx.op === "in" ? "" : " "), name: lit, label: shown === o.value ? "" : shown });
      });
      if (fv.kind === "date" || fv.kind === "timestamp") {
        data.times.forEach(function (w) {
          if (matches(ctx.prefix, w.value, w.label)) out.push({ insert: w.value + " ", name: w.value, label: w.label });
        });
      }
    } else if (ctx.kind === "join") {
      data.words.forEach(function (w) {
        if ((w.value === "and" || w.value === "or") && matches(ctx.prefix, w.value, "")) out.push({ insert: w.value + " ", name: w.value, label: w.label });
      });
    }
    // Names that begin with what is typed come before labels that do.
    var p = ctx.prefix.replace(/^"/, "").toLowerCase();
    out.sort(function (a, b) { return (a.name.toLowerCase().indexOf(p) === 0 ? 0 : 1) - (b.name.toLowerCase().indexOf(p) === 0 ? 0 : 1); });
    return out.slice(0, 50);
  }
  function acList(box) {
    var id = box.id + "-suggest", list = document.getElementById(id);
    if (!list) {
      list = el("ul", { id: id, class: "ac-list", role: "listbox" });
      list.hidden = true;
      document.body.appendChild(list);
      box.setAttribute("role", "combobox");
      box.setAttribute("aria-autocomplete", "list");
      box.setAttribute("aria-controls", id);
      box.setAttribute("aria-expanded", "false");
    }
    return list;
  }
  function acClose(box) {
    var list = document.getElementById(box.id + "-suggest");
    if (list) { list.hidden = true; list.innerHTML = ""; }
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    box.acItems = null;
  }
  function acPlace(box, list) {
    var r = box.getBoundingClientRect();
    list.style.left = Math.max(4, r.left + window.scrollX) + "px";
    list.style.top = (r.bottom + window.scrollY + 2) + "px";
    var room = window.innerWidth - Math.max(4, r.left) - 4;
    list.style.minWidth = Math.min(r.width, room) + "px";
    list.style.maxWidth = Math.max(room, 200) + "px";
  }
  function acShow(box, items, ctx, data) {
    var list = acList(box);
    if (!items.length) { acClose(box); return; }
    list.innerHTML = "";
    list.setAttribute("aria-label", data.texts.suggestions);
    items.forEach(function (it, i) {
      var li = el("li", { id: box.id + "-opt-" + i, role: "option", "aria-selected": "false", class: "ac-item" });
      li.appendChild(el("span", { class: "ac-name" }, it.name));
      if (it.label) li.appendChild(el("span", { class: "ac-label" }, it.label));
      li.dataset.index = i;
      list.appendChild(li);
    });
    list.appendChild(el("li", { class: "ac-hint", role: "presentation" }, data.texts.hint));
    box.acItems = items;
    box.acCtx = ctx;
    box.acActive = -1;
    acPlace(box, list);
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
  }
  function acActivate(box, i) {
    var list = document.getElementById(box.id + "-suggest");
    if (!list || !box.acItems) return;
    var n = box.acItems.length;
    box.acActive = (i + n) % n;
    list.querySelectorAll(".ac-item").forEach(function (li, k) {
      li.setAttribute("aria-selected", k === box.acActive ? "true" : "false");
      if (k === box.acActive) { box.setAttribute("aria-activedescendant", li.id); li.scrollIntoView({ block: "nearest" }); }
    });
  }
  function acAccept(box, i) {
    var it = box.acItems && box.acItems[i], ctx = box.acCtx;
    if (!it) return;
    var v = box.value, rest = v.slice(ctx.end);
    // The word under the caret is replaced whole, up to the next blank.
    var tail = rest.match(/^[^\s()]*/)[0];
    rest = rest.slice(tail.length);
    var insert = it.insert;
    if (/^\s/.test(rest) && /\s$/.test(insert)) insert = insert.replace(/\s+$/, "");
    box.value = v.slice(0, ctx.start) + insert + rest;
    var at = ctx.start + insert.length;
    box.setSelectionRange(at, at);
    acClose(box);
    box.focus();
    // htmx refreshes the list as for typing, and the next suggestions follow.
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function acUpdate(box, explicit) {
    var url = acUrl(box);
    if (!url) return;
    var seq = ++acSeq;
    loadFields(url).then(function (data) {
      if (seq !== acSeq || document.activeElement !== box) return;
      var ctx = acContext(box, data);
      if (!ctx.kind || (!ctx.typed && !explicit && box.value.trim() === "")) { acClose(box); return; }
      if (ctx.collection) {
        // Inside exists activity(…): the fields of the collection's entity.
        return loadFields(url.replace(/[^/]+$/, ctx.collection.entity)).then(function (inner) {
          if (seq !== acSeq) return;
          ctx.fieldsData = inner;
          acShow(box, acSuggestions(ctx, data), ctx, data);
        });
      }
      acShow(box, acSuggestions(ctx, data), ctx, data);
    }).catch(function () { acClose(box); });
  }
  function acBox(t) { return t && t.matches && t.matches("[data-filter-fields], [data-filter-entity-from]") ? t : null; }
  document.addEventListener("input", function (e) {
    var box = acBox(e.target);
    if (box) acUpdate(box, false);
  });
  document.addEventListener("keydown", function (e) {
    var box = acBox(e.target);
    if (!box) return;
    var open = !!box.acItems;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!open) { if (e.key === "ArrowDown") { e.preventDefault(); acUpdate(box, true); } return; }
      e.preventDefault();
      acActivate(box, box.acActive + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === " " && e.ctrlKey) {
      e.preventDefault();
      acUpdate(box, true);
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      e.stopPropagation();
      acClose(box);
    } else if ((e.key === "Enter" && open && box.acActive >= 0) || (e.key === "Tab" && open && !e.shiftKey)) {
      e.preventDefault();
      acAccept(box, Math.max(0, box.acActive));
    }
  });
  document.addEventListener("focusout", function (e) {
    var box = acBox(e.target);
    if (box) setTimeout(function () { if (document.activeElement !== box) acClose(box); }, 150);
  });
  // A pointer picks without taking the focus from the box.
  document.addEventListener("mousedown", function (e) {
    var item = e.target.closest && e.target.closest(".ac-list .ac-item");
    if (!item) return;
    e.preventDefault();
    var box = document.getElementById(item.parentNode.id.replace(/-suggest$/, ""));
    if (box) acAccept(box, Number(item.dataset.index));
  });
  window.addEventListener("resize", function () {
    var box = acBox(document.activeElement);
    if (box) acClose(box);
  });
  // The rule form's entity changes which fields the expression may name.
  document.addEventListener("change", function (e) {
    if (e.target.id && document.querySelector('[data-filter-entity-from="' + e.target.id + '"]')) acSeq++;
  });

  // ---- Dates in the UI's language, not the browser's. ----
  // Every <input type=date> and <input type=datetime-local> becomes a text field that reads and
  // writes the date as the page shows dates (05.12.2026 / Dec 5, 2026, times as 14:05), with a
  // calendar beside it. The original input stays in the form as a hidden input under the same
  // name with the ISO value the server has always received; the visible field takes its id, so
  // labels still point at what the user types into. Without this script the native inputs work.
  (function () {
    var MON_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    var TX = uiTexts();
    function tx() { return TX; }
    function locale() { return lang() === "en" ? "en-US" : "ru-RU"; }
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
    function daysIn(y, m) { return new Date(Date.UTC(y, m, 0)).getUTCDate(); }
    function utc(v) { var d = new Date(Date.UTC(2000, v.m - 1, v.d)); d.setUTCFullYear(v.y); return d; }
    function fromUtc(d) { return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() }; }
    function addDays(v, n) { var d = utc(v); d.setUTCDate(d.getUTCDate() + n); return fromUtc(d); }
    function addMonths(v, n) {
      var t = v.y * 12 + (v.m - 1) + n, y = Math.floor(t / 12), m = t - y * 12 + 1;
      return { y: y, m: m, d: Math.min(v.d, daysIn(y, m)) };
    }
    function todayV() { var n = new Date(); return { y: n.getFullYear(), m: n.getMonth() + 1, d: n.getDate() }; }
    function fullYear(yy) { var y = 2000 + yy; return y > new Date().getFullYear() + 50 ? y - 100 : y; }

    // Month names as both languages write them (standalone, in a date, short), for typing "5 дек".
    var monthNames = null;
    function monthIndex(word) {
      var w = word.replace(/\.$/, "");
      if (w.length < 3) return 0;
      if (!monthNames) {
        monthNames = [];
        ["ru-RU", "en-US"].forEach(function (loc) {
          var styles = [{ month: "long" }, { month: "short" }, { day: "numeric", month: "long" }];
          styles.forEach(function (o) {
            o.timeZone = "UTC";
            var f = new Intl.DateTimeFormat(loc, o);
            for (var m = 1; m <= 12; m++) {
              var name = f.format(new Date(Date.UTC(2026, m - 1, 5))).toLowerCase().replace(/[\d.\s]/g, "");
              if (name) monthNames.push([name, m]);
            }
          });
        });
        MON_EN.forEach(function (n, i) { monthNames.push([n.toLowerCase(), i + 1]); });
      }
      var found = 0;
      for (var i = 0; i < monthNames.length; i++) {
        if (monthNames[i][0].indexOf(w) === 0) {
          if (found && found !== monthNames[i][1]) return 0;
          found = monthNames[i][1];
        }
      }
      return found;
    }

    // What a person typed: 5.12.26, 05/12/2026, 5-12, 051226, 2026-12-05, 5 дек 2026, Dec 5, 2026,
    // with a time after it for date-and-time fields. Day first; in English a second number over
    // 12 (12/25/2026) can only be the day, so that is read month first. Null when it is no date.
    function parse(text, withTime, defaultTime) {
      var s = String(text || "").trim().toLowerCase().replace(/[\s\u00a0]+/g, " ");
      if (!s) return null;
      var y, m, d, rest = "", r;
      if ((r = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ](.*))?$/.exec(s))) {
        y = +r[1]; m = +r[2]; d = +r[3]; rest = r[4] || "";
      } else if ((r = /^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}|\d{2}))?\.?(?:[ ,t]+(.*))?$/.exec(s))) {
        d = +r[1]; m = +r[2]; rest = r[4] || "";
        y = r[3] === undefined ? todayV().y : r[3].length === 2 ? fullYear(+r[3]) : +r[3];
        if (lang() === "en" && m > 12 && d <= 12) { var t = d; d = m; m = t; }
      } else if ((r = /^(\d{2})(\d{2})(\d{4}|\d{2})(?: (.*))?$/.exec(s))) {
        d = +r[1]; m = +r[2]; y = r[3].length === 2 ? fullYear(+r[3]) : +r[3]; rest = r[4] || "";
      } else if (/[a-zа-яё]/.test(s)) {
        var nums = [], bad = false;
        m = 0;
        s.replace(/,/g, " ").split(" ").forEach(function (tok) {
          if (!tok) return;
          if (/^\d{1,2}:\d{2}$/.test(tok) && !rest) rest = tok;
          else if (/^\d+$/.test(tok) && !rest) nums.push(tok);
          else if (/^(г|года?)\.?$/.test(tok)) return;
          else { var k = monthIndex(tok); if (k && !m && !rest) m = k; else bad = true; }
        });
        if (bad || !m || nums.length < 1 || nums.length > 2 || nums[0].length > 2) return null;
        d = +nums[0];
        y = nums.length === 1 ? todayV().y : nums[1].length === 2 ? fullYear(+nums[1]) : nums[1].length === 4 ? +nums[1] : NaN;
      } else {
        return null;
      }
      var h = null, mi = null;
      rest = rest.trim();
      if (rest) {
        if (!withTime) return null;
        var tm = /^(\d{1,2})[:.](\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(rest);
        if (!tm) return null;
        h = +tm[1]; mi = +tm[2];
      } else if (withTime) {
        var dt = /(\d{1,2}):(\d{2})/.exec(defaultTime || "09:00");
        h = dt ? +dt[1] : 9; mi = dt ? +dt[2] : 0;
      }
      if (!(y >= 1000 && y <= 9999) || !(m >= 1 && m <= 12) || !(d >= 1 && d <= daysIn(y, m))) return null;
      if (withTime && !(h >= 0 && h <= 23 && mi >= 0 && mi <= 59)) return null;
      return { y: y, m: m, d: d, h: h, mi: mi };
    }
    // The way format.rs shows it: 05.12.2026 14:05 / Dec 5, 2026 14:05.
    function show(v, withTime) {
      var day = lang() === "en" ? MON_EN[v.m - 1] + " " + v.d + ", " + v.y : pad(v.d) + "." + pad(v.m) + "." + v.y;
      return withTime && v.h !== null ? day + " " + pad(v.h) + ":" + pad(v.mi) : day;
    }
    function isoDay(v) { return v.y + "-" + pad(v.m) + "-" + pad(v.d); }
    function iso(v, withTime) { return isoDay(v) + (withTime ? "T" + pad(v.h) + ":" + pad(v.mi) : ""); }

    var valueProp = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
    function rawSet(input, v) { valueProp.set.call(input, v); }
    function rawGet(input) { return valueProp.get.call(input); }

    function wrapOf(el) { return el.closest ? el.closest(".datefield") : null; }
    function hiddenOf(vis) { var w = wrapOf(vis); return w ? w.querySelector("input[data-date-iso]") : null; }
    function textOf(hid) { var w = wrapOf(hid); return w ? w.querySelector("input[data-date-text]") : null; }
    function timed(vis) { return vis.getAttribute("data-date-text") === "datetime"; }
    function timeOf(hid) { var r = /T(\d{2}:\d{2})/.exec(rawGet(hid)); return r ? r[1] : ""; }

    var uid = 0;
    function upgrade(orig) {
      if (orig.type !== "date" && orig.type !== "datetime-local") return;
      var withTime = orig.type === "datetime-local", focused = document.activeElement === orig;
      var vis = document.createElement("input");
      vis.type = "text";
      vis.className = "date-text" + (withTime ? " date-text-time" : "");
      vis.setAttribute("data-date-text", withTime ? "datetime" : "date");
      vis.setAttribute("autocomplete", "off");
      vis.setAttribute("spellcheck", "false");
      vis.setAttribute("placeholder", withTime ? tx().phTime : tx().ph);
      ["required", "aria-required", "aria-describedby", "aria-invalid", "aria-label", "aria-labelledby", "title", "disabled", "readonly", "form"].forEach(function (a) {
        if (!orig.hasAttribute(a)) return;
        vis.setAttribute(a, orig.getAttribute(a));
        if (a !== "disabled" && a !== "form") orig.removeAttribute(a);
      });
      var id = orig.id || "date-" + (++uid);
      if (orig.id) orig.id = id + "-iso";
      vis.id = id;
      orig.removeAttribute("autofocus");
      orig.type = "hidden";
      orig.setAttribute("data-date-iso", withTime ? "datetime" : "date");

      var wrap = document.createElement("span");
      wrap.className = "datefield";
      var row = document.createElement("span");
      row.className = "datefield-row";
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "date-open";
      btn.setAttribute("aria-label", tx().open);
      btn.setAttribute("title", tx().open);
      btn.setAttribute("aria-haspopup", "dialog");
      btn.setAttribute("aria-expanded", "false");
      btn.setAttribute("aria-controls", id + "-cal");
      if (orig.disabled || orig.readOnly) btn.disabled = true;
      var msg = document.createElement("span");
      msg.className = "field-error date-error";
      msg.id = id + "-date-error";
      msg.hidden = true;
      orig.parentNode.insertBefore(wrap, orig);
      row.appendChild(vis);
      row.appendChild(btn);
      wrap.appendChild(row);
      wrap.appendChild(orig);
      wrap.appendChild(msg);
      var v = parse(rawGet(orig), withTime);
      vis.value = v ? show(v, withTime) : rawGet(orig);

      // A script that sets the hidden input's value (or focuses it) reaches the visible field.
      Object.defineProperty(orig, "value", {
        configurable: true,
        get: function () { return rawGet(this); },
        set: function (x) {
          rawSet(this, x);
          var p = parse(x, withTime);
          vis.value = p ? show(p, withTime) : String(x || "");
          markOk(vis);
        },
      });
      orig.focus = function () { vis.focus(); };
      if (focused) vis.focus();
    }
    function upgradeIn(root) {
      if (!root || !root.querySelectorAll) return;
      if (root.matches && root.matches("input[type=date], input[type=datetime-local]")) upgrade(root);
      root.querySelectorAll("input[type=date], input[type=datetime-local]").forEach(upgrade);
    }

    function markBad(vis, text) {
      var w = wrapOf(vis), msg = w && w.querySelector(".date-error");
      vis.setAttribute("aria-invalid", "true");
      vis.setAttribute("data-date-bad", "");
      vis.setCustomValidity(text);
      if (!msg) return;
      msg.textContent = text;
      msg.hidden = false;
      var by = (vis.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (by.indexOf(msg.id) < 0) { by.push(msg.id); vis.setAttribute("aria-describedby", by.join(" ")); }
    }
    function markOk(vis) {
      if (!vis.hasAttribute("data-date-bad")) return;
      var w = wrapOf(vis), msg = w && w.querySelector(".date-error");
      vis.removeAttribute("data-date-bad");
      vis.removeAttribute("aria-invalid");
      vis.setCustomValidity("");
      if (!msg) return;
      msg.hidden = true;
      msg.textContent = "";
      var by = (vis.getAttribute("aria-describedby") || "").split(" ").filter(function (x) { return x && x !== msg.id; });
      if (by.length) vis.setAttribute("aria-describedby", by.join(" ")); else vis.removeAttribute("aria-describedby");
    }
    function outOfRange(hid, value, withTime) {
      var min = hid.getAttribute("min"), max = hid.getAttribute("max");
      var cut = function (s) { return withTime ? s : s.slice(0, 10); };
      if (min && value < cut(min)) { var a = parse(min, withTime); return tx().min.replace("{d}", a ? show(a, withTime) : min); }
      if (max && value > cut(max)) { var b = parse(max, withTime); return tx().max.replace("{d}", b ? show(b, withTime) : max); }
      return "";
    }
    // Reads the visible field into the hidden one. A date that is not one (31.02) or out of
    // range is pointed out and blocks the form; the hidden value is left as it was.
    function commit(vis) {
      var hid = hiddenOf(vis);
      if (!hid) return true;
      var withTime = timed(vis), text = vis.value.trim();
      if (!text) { rawSet(hid, ""); markOk(vis); return true; }
      var v = parse(text, withTime, timeOf(hid));
      if (!v) { markBad(vis, withTime ? tx().badTime : tx().bad); return false; }
      var value = iso(v, withTime), range = outOfRange(hid, value, withTime);
      if (range) { markBad(vis, range); return false; }
      rawSet(hid, value);
      vis.value = show(v, withTime);
      markOk(vis);
      return true;
    }

    // -- The calendar: a month grid in the UI's language, Monday first. --
    var cal = null; // { pop, vis, view: {y, m}, focus: {y, m, d} }
    function bounds(hid) {
      var min = parse((hid.getAttribute("min") || "").slice(0, 10), false);
      var max = parse((hid.getAttribute("max") || "").slice(0, 10), false);
      return { min: min ? isoDay(min) : "", max: max ? isoDay(max) : "" };
    }
    function allowed(hid, v) { var b = bounds(hid), s = isoDay(v); return !(b.min && s < b.min) && !(b.max && s > b.max); }
    function el(tag, attrs, text) {
      var e = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function (k) { if (attrs[k] !== null) e.setAttribute(k, attrs[k]); });
      if (text !== undefined) e.textContent = text;
      return e;
    }
    function openCal(vis) {
      closeCal(false);
      var hid = hiddenOf(vis), w = wrapOf(vis);
      if (!hid || !w || vis.disabled || vis.readOnly) return;
      var v = parse(vis.value, timed(vis), timeOf(hid)) || parse(rawGet(hid), timed(vis)) || todayV();
      var b = bounds(hid);
      if (b.min && isoDay(v) < b.min) v = parse(b.min, false);
      if (b.max && isoDay(v) > b.max) v = parse(b.max, false);
      var t = tx();
      var pop = el("div", { class: "datepop", id: vis.id + "-cal", role: "dialog", "aria-modal": "false", "aria-label": t.dialog });
      var head = el("div", { class: "datepop-head" });
      head.appendChild(el("button", { type: "button", class: "datepop-nav", "data-nav": "-12", "aria-label": t.prevYear, title: t.prevYear }, "«"));
      head.appendChild(el("button", { type: "button", class: "datepop-nav", "data-nav": "-1", "aria-label": t.prevMonth, title: t.prevMonth }, "‹"));
      head.appendChild(el("span", { class: "datepop-title", id: vis.id + "-cal-title", "aria-live": "polite" }));
      head.appendChild(el("button", { type: "button", class: "datepop-nav", "data-nav": "1", "aria-label": t.nextMonth, title: t.nextMonth }, "›"));
      head.appendChild(el("button", { type: "button", class: "datepop-nav", "data-nav": "12", "aria-label": t.nextYear, title: t.nextYear }, "»"));
      pop.appendChild(head);
      var grid = el("table", { class: "datepop-grid", role: "grid", "aria-labelledby": vis.id + "-cal-title" });
      var hr = el("tr");
      var long = new Intl.DateTimeFormat(locale(), { weekday: "long", timeZone: "UTC" });
      var short = new Intl.DateTimeFormat(locale(), { weekday: "short", timeZone: "UTC" });
      for (var i = 0; i < 7; i++) {
        var wd = new Date(Date.UTC(2024, 0, 1 + i)); // 1 January 2024 was a Monday
        hr.appendChild(el("th", { scope: "col", abbr: long.format(wd) }, cap(short.format(wd).replace(/\.$/, ""))));
      }
      var thead = el("thead");
      thead.appendChild(hr);
      grid.appendChild(thead);
      grid.appendChild(el("tbody"));
      pop.appendChild(grid);
      var foot = el("div", { class: "datepop-foot" });
      foot.appendChild(el("button", { type: "button", class: "datepop-today", "data-today": "" }, t.today));
      pop.appendChild(foot);
      w.appendChild(pop);
      cal = { pop: pop, vis: vis, view: { y: v.y, m: v.m }, focus: { y: v.y, m: v.m, d: v.d } };
      renderCal();
      var btn = w.querySelector(".date-open");
      if (btn) btn.setAttribute("aria-expanded", "true");
      placeCal();
      focusDay();
    }
    function renderCal() {
      var c = cal, hid = hiddenOf(c.vis), body = c.pop.querySelector("tbody");
      var title = new Intl.DateTimeFormat(locale(), { month: "long", timeZone: "UTC" }).format(new Date(Date.UTC(2026, c.view.m - 1, 1)));
      c.pop.querySelector(".datepop-title").textContent = cap(title) + " " + c.view.y;
      var chosen = parse(rawGet(hid), timed(c.vis)), today = isoDay(todayV());
      var label = new Intl.DateTimeFormat(locale(), { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
      body.innerHTML = "";
      var first = utc({ y: c.view.y, m: c.view.m, d: 1 }), lead = (first.getUTCDay() + 6) % 7, n = daysIn(c.view.y, c.view.m);
      var tr = null;
      for (var cell = 0; cell < lead + n; cell++) {
        if (cell % 7 === 0) { tr = el("tr"); body.appendChild(tr); }
        if (cell < lead) { tr.appendChild(el("td", { class: "datepop-blank" })); continue; }
        var v = { y: c.view.y, m: c.view.m, d: cell - lead + 1 }, s = isoDay(v);
        var sel = !!chosen && isoDay(chosen) === s;
        var td = el("td", { "aria-selected": sel ? "true" : "false" });
        var b = el("button", {
          type: "button", class: "datepop-day", "data-day": s, tabindex: v.d === c.focus.d ? "0" : "-1",
          "aria-label": label.format(utc(v)), "aria-current": s === today ? "date" : null,
          "aria-disabled": allowed(hid, v) ? null : "true",
        }, String(v.d));
        td.appendChild(b);
        tr.appendChild(td);
      }
      while (tr && tr.children.length < 7) tr.appendChild(el("td", { class: "datepop-blank" }));
    }
    function focusDay() {
      if (!cal) return;
      var b = cal.pop.querySelector('[data-day="' + isoDay(cal.focus) + '"]');
      if (b) b.focus();
    }
    function moveTo(v) {
      cal.focus = v;
      if (v.y !== cal.view.y || v.m !== cal.view.m) cal.view = { y: v.y, m: v.m };
      renderCal();
      focusDay();
    }
    function placeCal() {
      if (!cal) return;
      var r = cal.vis.getBoundingClientRect(), pop = cal.pop;
      var w = pop.offsetWidth, h = pop.offsetHeight, vw = document.documentElement.clientWidth, vh = window.innerHeight;
      var left = Math.max(4, Math.min(r.left, vw - w - 4)), top = r.bottom + 4;
      if (top + h > vh - 4 && r.top - h - 4 >= 4) top = r.top - h - 4;
      pop.style.left = left + "px";
      pop.style.top = top + "px";
    }
    function closeCal(refocus) {
      if (!cal) return;
      var c = cal;
      cal = null;
      var btn = wrapOf(c.vis) && wrapOf(c.vis).querySelector(".date-open");
      if (btn) btn.setAttribute("aria-expanded", "false");
      c.pop.remove();
      if (refocus) c.vis.focus();
    }
    function pick(v) {
      var c = cal, hid = hiddenOf(c.vis);
      if (!allowed(hid, v)) return;
      var withTime = timed(c.vis), old = parse(c.vis.value, withTime, timeOf(hid));
      var keep = old ? { h: old.h, mi: old.mi } : parse("01.01.2000", withTime, timeOf(hid)) || { h: null, mi: null };
      c.vis.value = show({ y: v.y, m: v.m, d: v.d, h: keep.h, mi: keep.mi }, withTime);
      commit(c.vis);
      closeCal(true);
      c.vis.dispatchEvent(new Event("change", { bubbles: true }));
    }

    document.addEventListener("click", function (e) {
      var t = e.target.closest ? e.target : null;
      if (!t) return;
      var open = t.closest(".date-open");
      if (open) {
        var vis = wrapOf(open).querySelector("input[data-date-text]");
        if (cal && cal.vis === vis) closeCal(true); else openCal(vis);
        return;
      }
      if (!cal || !cal.pop.contains(t)) return;
      var day = t.closest("[data-day]"), nav = t.closest("[data-nav]");
      if (day) { if (day.getAttribute("aria-disabled") !== "true") pick(parse(day.getAttribute("data-day"), false)); }
      else if (nav) { cal.focus = addMonths(cal.focus, +nav.getAttribute("data-nav")); cal.view = { y: cal.focus.y, m: cal.focus.m }; renderCal(); }
      else if (t.closest("[data-today]")) pick(todayV());
    });
    // A click anywhere else closes it.
    document.addEventListener("mousedown", function (e) {
      if (!cal || cal.pop.contains(e.target) || (wrapOf(e.target) === wrapOf(cal.vis) && e.target.closest(".date-open"))) return;
      closeCal(false);
    }, true);
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (cal && cal.pop.contains(t)) {
        var f = cal.focus, day = t.closest("[data-day]"), next = null;
        if (e.key === "Escape") next = "close";
        else if (e.key === "Tab") {
          var stops = Array.prototype.slice.call(cal.pop.querySelectorAll("button.datepop-nav, .datepop-day[tabindex='0'], .datepop-today"));
          var at = stops.indexOf(t), to = (at + (e.shiftKey ? -1 : 1) + stops.length) % stops.length;
          stops[to].focus();
          next = "done";
        } else if (day) {
          if (e.key === "ArrowLeft") next = addDays(f, -1);
          else if (e.key === "ArrowRight") next = addDays(f, 1);
          else if (e.key === "ArrowUp") next = addDays(f, -7);
          else if (e.key === "ArrowDown") next = addDays(f, 7);
          else if (e.key === "PageUp") next = addMonths(f, e.shiftKey ? -12 : -1);
          else if (e.key === "PageDown") next = addMonths(f, e.shiftKey ? 12 : 1);
          else if (e.key === "Home") next = addDays(f, -((utc(f).getUTCDay() + 6) % 7));
          else if (e.key === "End") next = addDays(f, 6 - ((utc(f).getUTCDay() + 6) % 7));
          else if (e.key === "Enter" || e.key === " ") { pick(parse(day.getAttribute("data-day"), false)); next = "done"; }
        }
        if (!next) return;
        e.preventDefault();
        e.stopPropagation();
        if (next === "close") closeCal(true);
        else if (next !== "done") moveTo(next);
        return;
      }
      if (!t.matches || !t.matches("input[data-date-text]")) return;
      if (e.key === "ArrowDown" && !(cal && cal.vis === t)) { e.preventDefault(); openCal(t); return; }
      if (e.key === "Escape" && cal && cal.vis === t) { e.preventDefault(); e.stopPropagation(); closeCal(true); return; }
      if (e.key === "Enter") {
        if (!commit(t)) { e.preventDefault(); return; }
        // The condition builder applies on Enter in its value; it listens on the original input.
        var hid = hiddenOf(t);
        if (hid && hid.hasAttribute("data-fb-val")) hid.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
      }
    }, true);
    // Read before anything else hears the change (an hx-trigger="change" form sends the hidden value).
    document.addEventListener("change", function (e) {
      if (e.target.matches && e.target.matches("input[data-date-text]")) commit(e.target);
    }, true);
    document.addEventListener("focusout", function (e) {
      if (e.target.matches && e.target.matches("input[data-date-text]")) commit(e.target);
    });
    document.addEventListener("input", function (e) {
      if (e.target.matches && e.target.matches("input[data-date-text]") && e.target.hasAttribute("data-date-bad") && parse(e.target.value, timed(e.target), "")) markOk(e.target);
    });
    // A form is sent only with every date read; one that is not a date stops it, pointed out.
    document.addEventListener("submit", function (e) {
      var form = e.target, bad = null;
      if (!form.querySelectorAll) return;
      form.querySelectorAll("input[data-date-text]").forEach(function (vis) {
        if (!commit(vis) && !bad) bad = vis;
      });
      if (!bad) return;
      e.preventDefault();
      e.stopPropagation();
      bad.focus();
    }, true);
    window.addEventListener("resize", placeCal);
    document.addEventListener("scroll", function (e) {
      if (cal && !cal.pop.contains(e.target)) placeCal();
    }, true);
    document.addEventListener("htmx:beforeHistorySave", function () { closeCal(false); });
    document.addEventListener("htmx:beforeSwap", function () {
      if (cal && !document.body.contains(cal.vis)) closeCal(false);
    });

    document.addEventListener("DOMContentLoaded", function () { upgradeIn(document.body); });
    if (document.readyState !== "loading") upgradeIn(document.body);
    document.addEventListener("htmx:load", function (e) { upgradeIn(e.detail.elt); });
    // Inputs made by scripts (the condition builder's date values) too.
    new MutationObserver(function (records) {
      records.forEach(function (r) {
        r.addedNodes.forEach(function (n) { if (n.nodeType === 1) upgradeIn(n); });
      });
    }).observe(document.documentElement, { childList: true, subtree: true });
  })();
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
