// Toasts from the server's HX-Trigger header, and small htmx wiring. No inline scripts (CSP).
(function () {
  function showToast(detail) {
    var area = document.getElementById("toasts");
    if (!area || !detail || !detail.message) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (detail.level || "info");
    el.setAttribute("role", "status");
    el.textContent = detail.message; // text, never HTML
    area.appendChild(el);
    setTimeout(function () { el.remove(); }, 4000);
  }
  document.addEventListener("toast", function (e) { showToast(e.detail); });
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    if (xhr && xhr.getResponseHeader && xhr.getResponseHeader("HX-Trigger")) return;
    showToast({ level: "error", message: "Something went wrong (" + (xhr ? xhr.status : "network") + "). Nothing was lost; try again." });
  });
  document.addEventListener("htmx:sendError", function () {
    showToast({ level: "error", message: "Cannot reach the server. Check your connection and try again." });
  });
})();

// AI panel: "Insert into reply" puts the suggestion's text into the reply box and remembers
// which suggestion it came from (the hidden suggestion_id), so the edit can be measured. An
// empty box gets the suggestion; a box with the agent's text keeps it, and the suggestion goes
// in at the cursor (replacing only a selection), so nothing typed is ever lost.
(function () {
  var GREETING = /^(?:hello|hi|hey|dear|good (?:morning|afternoon|evening))\b[^\n]*\n+/i;

  function insertAtCursor(box, text) {
    var value = box.value;
    var start = typeof box.selectionStart === "number" ? box.selectionStart : value.length;
    var end = typeof box.selectionEnd === "number" ? box.selectionEnd : start;
    var before = value.slice(0, start);
    var after = value.slice(end);
    var lead = !before || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var tail = !after || /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
    var inserted = lead + text + tail;
    box.value = before + inserted + after;
    var caret = before.length + lead.length + text.length;
    box.setSelectionRange(caret, caret);
  }
  window.portalInsertAtCursor = insertAtCursor; // also used by canned.js

  function syncPublicOnly(form) {
    var internal = form.querySelector("input[name=internal]");
    var noted = !!(internal && internal.checked);
    Array.prototype.forEach.call(form.querySelectorAll("[data-public-only]"), function (b) {
      b.disabled = noted;
      b.title = noted ? "An internal note cannot resolve the ticket" : "";
    });
  }

  function syncAll() {
    Array.prototype.forEach.call(document.querySelectorAll("form.reply-form"), syncPublicOnly);
  }

  document.addEventListener("change", function (e) {
    var form = e.target.closest ? e.target.closest("form.reply-form") : null;
    if (form && e.target.name === "internal") syncPublicOnly(form);
  });
  document.addEventListener("DOMContentLoaded", syncAll);
  document.addEventListener("htmx:afterSettle", syncAll);

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("[data-ai-insert]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-ai-insert"));
    var form = document.getElementById(button.getAttribute("data-ai-form") || "reply");
    if (!source || !form) return;
    var box = form.querySelector("textarea[name=content]");
    var hidden = form.querySelector("input[name=suggestion_id]");
    if (box) {
      var text = source.textContent.trim(); // text, never HTML
      var kept = box.value.trim() !== "";
      // After the agent's own words the suggestion's greeting would be a second one.
      var typedBefore = box.value.slice(0, box.selectionStart || 0).trim() !== "";
      if (kept && typedBefore) text = text.replace(GREETING, "") || text;
      if (kept) insertAtCursor(box, text);
      else box.value = text;
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.focus();
      if (kept) {
        document.dispatchEvent(new CustomEvent("toast", {
          detail: { message: "Suggestion inserted at the cursor; your text was kept." }
        }));
      }
    }
    if (hidden) hidden.value = button.getAttribute("data-suggestion-id") || "";
    var internal = form.querySelector("input[name=internal]");
    if (internal) internal.checked = false;
    syncPublicOnly(form);
  });
})();

// Chat: the newest message is in view, on load and after every htmx swap (a sent message, a
// thumbs-down). The message list scrolls inside itself; the page follows to its last message.
(function () {
  function scrollChats() {
    var lists = document.querySelectorAll(".chat-messages");
    Array.prototype.forEach.call(lists, function (list) {
      list.scrollTop = list.scrollHeight;
      var last = list.lastElementChild;
      if (last && last.scrollIntoView) last.scrollIntoView({ block: "nearest" });
    });
  }
  document.addEventListener("DOMContentLoaded", scrollChats);
  document.addEventListener("htmx:afterSettle", scrollChats);
})();
