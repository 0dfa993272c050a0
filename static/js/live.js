// Live pages without a reload (portal/live/routes.py explains the server side).
//
// Elements marked data-live="<scope>" carry the version they were rendered at. Every
// data-live-interval seconds (slower while the tab is hidden) one small request asks the
// server whether any of them changed: 204 No Content when nothing did, else JSON naming the
// changed scopes, whose fresh fragment is then fetched from the element's data-live-url (the
// current address by default: the queue keeps its filters, view and page) and merged in.
//
// Merging never clobbers what a person is doing: a part that has focus, a field someone
// changed, a checked row or a loaded AI panel stays as it is, and only its sub-parts marked
// data-live-region are refreshed. A root with data-live-offer (the queue) shows a "show
// changes" button instead. A staff ticket page also sends a presence heartbeat (who views,
// who types) and shows who else is there. Without JavaScript nothing polls; a reload shows
// current data.
(function () {
  "use strict";
  var HIDDEN_FACTOR = 6; // as portal/services/presence.py
  var TYPING_MS = 10000; // "is typing" for this long after the last keystroke
  var timer = null;
  var inflight = false;
  var stopped = false;
  var lastInput = 0;
  var lastPresence = null; // [ticket id, leave url] of the presence being kept alive
  var pending = {}; // region id -> fresh element held back (the AI panel's refresh)

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function roots() { return document.querySelectorAll("[data-live]"); }
  function presenceEl() { return document.querySelector("[data-presence]"); }
  function anyLive() { return document.querySelector("[data-live-poll]"); }

  function interval() {
    var el = anyLive();
    var s = el ? parseFloat(el.getAttribute("data-live-interval")) : 5;
    return (s > 0 ? s : 5) * 1000;
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function typingState() {
    var form = document.getElementById("reply");
    var box = form && form.querySelector("textarea[name=content]");
    if (!box || !box.value.trim() || Date.now() - lastInput > TYPING_MS) return "";
    var internal = form.querySelector("input[name=internal]");
    return internal && internal.checked ? "note" : "reply";
  }

  function pollUrl() {
    var el = anyLive();
    if (!el) return null;
    var params = new URLSearchParams();
    each(roots(), function (root) {
      params.append("s", root.getAttribute("data-live") + ":" + (root.getAttribute("data-live-version") || ""));
    });
    var p = presenceEl();
    if (p) {
      params.set("p", p.getAttribute("data-presence"));
      params.set("pv", p.getAttribute("data-presence-version") || "");
      var typing = typingState();
      if (typing) params.set("typing", typing);
      if (document.hidden) params.set("hidden", "1");
    }
    return el.getAttribute("data-live-poll") + "?" + params.toString();
  }

  function schedule(ms) {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(poll, typeof ms === "number" ? ms : interval() * (document.hidden ? HIDDEN_FACTOR : 1));
  }

  function poll() {
    if (inflight) return schedule();
    leaveIfMoved();
    var url = pollUrl();
    if (!url) return schedule();
    inflight = true;
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (resp) {
        if (resp.status === 204) return null;
        if (resp.status === 401) { stopped = true; return null; } // logged out: stop asking
        if (!resp.ok) return null; // a ticket deleted meanwhile, a server hiccup: try later
        return resp.json();
      })
      .then(function (data) { return data ? apply(data) : null; })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { inflight = false; schedule(); });
  }

  function apply(data) {
    var jobs = [];
    var changed = data.changed || {};
    Object.keys(changed).forEach(function (scope) {
      each(roots(), function (root) {
        if (root.getAttribute("data-live") === scope) jobs.push(refresh(root, changed[scope], false));
      });
    });
    if (data.presence) showPresence(data.presence);
    return Promise.all(jobs);
  }

  // --- merging fresh markup ---------------------------------------------------------------

  function dirty(f) {
    var type = (f.type || "").toLowerCase();
    if (type === "hidden" || type === "submit" || type === "button" || type === "reset") return false;
    if (type === "checkbox" || type === "radio") return f.checked !== f.defaultChecked;
    if (f.tagName === "SELECT") {
      if (f.multiple) {
        for (var i = 0; i < f.options.length; i++) {
          if (f.options[i].selected !== f.options[i].defaultSelected) return true;
        }
        return false;
      }
      var initial = 0;
      for (var k = f.options.length - 1; k >= 0; k--) if (f.options[k].defaultSelected) initial = k;
      return f.selectedIndex !== initial;
    }
    // Text in a text box is someone's work, even when the server sent it back (a form that
    // came back with an error or the stale-reply question holds the agent's words).
    if (f.tagName === "TEXTAREA") return f.value.trim() !== "";
    return f.value !== f.defaultValue;
  }

  function loaded(el) {
    // A lazily loaded part (the AI panel) that has loaded: the agent may be reading it.
    return el.hasAttribute("data-live-sig") && !el.querySelector("[data-live-placeholder]");
  }

  function busy(el) {
    if (el.closest("[data-live-keep]") || el.querySelector("[data-live-keep]")) return true;
    var active = document.activeElement;
    if (active && active !== document.body && el.contains(active)) return true;
    if (loaded(el)) return true;
    var sigs = el.querySelectorAll("[data-live-sig]");
    for (var i = 0; i < sigs.length; i++) if (loaded(sigs[i])) return true;
    var fields = el.querySelectorAll("input, textarea, select");
    for (var j = 0; j < fields.length; j++) if (dirty(fields[j])) return true;
    return false;
  }

  function outermostRegions(fresh) {
    var found = [];
    each(fresh.querySelectorAll("[data-live-region][id]"), function (el) {
      var parent = el.parentElement ? el.parentElement.closest("[data-live-region][id]") : null;
      if (!parent || parent === fresh || !fresh.contains(parent)) found.push(el);
    });
    return found;
  }

  function swap(old, fresh) {
    old.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
  }

  // Returns true when something had to be held back.
  function replaceRegion(fresh, force) {
    var old = document.getElementById(fresh.id);
    if (!old) return false;
    if (old.hasAttribute("data-live-sig")) {
      if (old.getAttribute("data-live-sig") === fresh.getAttribute("data-live-sig")) return false;
      if (!force && busy(old)) { offerRefresh(old, fresh); return false; }
      swap(old, fresh);
      return false;
    }
    if (force || !busy(old)) { swap(old, fresh); return false; }
    var held = true;
    each(outermostRegions(fresh), function (child) {
      if (document.getElementById(child.id)) replaceRegion(child, false);
    });
    return held;
  }

  function refresh(root, version, force) {
    var url = root.getAttribute("data-live-url") || location.pathname + location.search;
    return fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "HX-Request": "true", "HX-Current-URL": location.href },
    })
      .then(function (resp) { return resp.status === 200 ? resp.text() : null; })
      .then(function (html) {
        if (html === null || !document.body.contains(root)) return;
        var tpl = document.createElement("template");
        tpl.innerHTML = html;
        var held = false;
        each(Array.prototype.slice.call(tpl.content.children), function (fresh) {
          if (fresh.id && replaceRegion(fresh, force)) held = true;
        });
        if (version) root.setAttribute("data-live-version", version);
        if (held && root.hasAttribute("data-live-offer")) offerChanges(root);
        else clearOffer(root);
        root.dispatchEvent(new CustomEvent("live-updated", { bubbles: true }));
      });
  }

  function offerChanges(root) {
    if (root.querySelector(":scope > .live-offer")) return;
    var box = document.createElement("div");
    box.className = "live-offer";
    box.setAttribute("role", "status");
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = root.getAttribute("data-live-offer");
    button.addEventListener("click", function () {
      button.disabled = true;
      refresh(root, null, true).then(function () { clearOffer(root); });
    });
    box.appendChild(button);
    root.insertBefore(box, root.firstChild);
  }

  function clearOffer(root) {
    var box = root.querySelector(":scope > .live-offer");
    if (box) box.remove();
  }

  function offerRefresh(old, fresh) {
    pending[old.id] = fresh;
    if (old.querySelector(".live-stale")) return;
    var note = document.createElement("p");
    note.className = "live-stale";
    note.setAttribute("role", "status");
    note.textContent = "The ticket changed since this was loaded. ";
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "Refresh";
    button.addEventListener("click", function () {
      var next = pending[old.id];
      delete pending[old.id];
      if (next && document.body.contains(old)) swap(old, next);
    });
    note.appendChild(button);
    old.insertBefore(note, old.firstChild);
  }

  // --- presence ---------------------------------------------------------------------------

  function showPresence(p) {
    var el = presenceEl();
    if (!el) return;
    el.setAttribute("data-presence-version", p.token || "");
    var list = document.createElement("ul");
    (p.lines || []).forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line; // text, never HTML
      list.appendChild(li);
    });
    el.replaceChildren(list);
    el.hidden = !(p.lines && p.lines.length);
  }

  function leave(url, beacon) {
    var body = new FormData();
    body.append("csrf_token", csrfToken());
    if (beacon && navigator.sendBeacon) { navigator.sendBeacon(url, body); return; }
    fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true }).catch(function () {});
  }

  function leaveIfMoved() {
    var p = presenceEl();
    var now = p ? [p.getAttribute("data-presence"), p.getAttribute("data-presence-leave")] : null;
    if (lastPresence && (!now || now[0] !== lastPresence[0])) leave(lastPresence[1], false);
    lastPresence = now;
  }

  // --- wiring -----------------------------------------------------------------------------

  document.addEventListener("input", function (e) {
    var form = e.target.closest ? e.target.closest("#reply") : null;
    if (!form || e.target.name !== "content") return;
    var wasTyping = Date.now() - lastInput <= TYPING_MS;
    lastInput = Date.now();
    if (!wasTyping && presenceEl()) schedule(300); // others see "typing" at once
  });

  // Someone working in the AI panel keeps it as it is.
  ["click", "input", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      var panel = e.target.closest ? e.target.closest(".ai-panel") : null;
      if (panel && !(e.target.closest && e.target.closest(".live-stale"))) panel.setAttribute("data-live-keep", "");
    });
  });

  // "Cancel" on the stale-reply notice: hide it; the agent's text stays in the box.
  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("[data-live-dismiss]") : null;
    if (!link) return;
    var target = document.getElementById(link.getAttribute("data-live-dismiss"));
    if (!target) return;
    e.preventDefault();
    target.remove();
    var box = document.querySelector("#reply textarea[name=content]");
    if (box) box.focus();
  });

  // Logged in again (a boosted login form swaps the body): start asking again.
  document.addEventListener("htmx:afterSettle", function () {
    if (stopped && anyLive()) { stopped = false; schedule(); }
  });

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) schedule(0);
  });

  window.addEventListener("pagehide", function () {
    var p = presenceEl();
    if (p) leave(p.getAttribute("data-presence-leave"), true);
  });

  function start() {
    lastPresence = null;
    var p = presenceEl();
    if (p) lastPresence = [p.getAttribute("data-presence"), p.getAttribute("data-presence-leave")];
    schedule();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
