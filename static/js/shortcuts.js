// Staff keyboard shortcuts. Queue: j/k move a highlight through the rows, Enter opens the
// highlighted ticket, x ticks its checkbox. Ticket: r reply, n internal note, a assign to me.
// "?" opens the help (an accessible dialog: focus moves in, Tab stays inside, Esc closes and
// focus goes back). Never while typing in a field, nor with Ctrl, Alt or Meta held.
// Everything is delegated from document and read from the DOM at each key, so pages swapped
// in by hx-boost or htmx need no re-binding. Inert on pages without the staff help dialog.
(function () {
  var current = null; // the highlighted row's id ("ticket-12"), kept across htmx swaps
  var returnFocus = null;

  // Inputs nobody types into: a ticked checkbox must not stop j/k.
  var NOT_TYPED = /^(checkbox|radio|button|submit|reset|image)$/i;

  function typing(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    if (tag === "INPUT") return !NOT_TYPED.test(el.type || "");
    return tag === "TEXTAREA" || tag === "SELECT";
  }

  function help() { return document.getElementById("shortcuts-help"); }
  function helpOpen() { var h = help(); return !!(h && !h.hidden); }

  function focusable(root) {
    return Array.prototype.filter.call(
      root.querySelectorAll("a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex]:not([tabindex='-1'])"),
      function (el) { return !el.hidden && el.offsetParent !== null; }
    );
  }

  function openHelp() {
    var h = help();
    if (!h || !h.hidden) return;
    returnFocus = document.activeElement;
    h.hidden = false;
    document.body.classList.add("kbd-help-open");
    var first = h.querySelector("[data-shortcuts-close]") || h;
    first.focus();
  }

  function closeHelp() {
    var h = help();
    if (!h || h.hidden) return;
    h.hidden = true;
    document.body.classList.remove("kbd-help-open");
    var back = returnFocus;
    returnFocus = null;
    if (back && document.contains(back) && back.focus) back.focus();
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-results tbody tr[id^='ticket-']"));
  }

  function highlight(row) {
    rows().forEach(function (r) { r.classList.remove("kbd-current"); });
    if (!row) { current = null; return; }
    row.classList.add("kbd-current");
    current = row.id;
    var link = row.querySelector(".col-title a, td a");
    if (link) link.focus({ preventScroll: true });
    if (row.scrollIntoView) row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = rows();
    if (!list.length) return false;
    var at = current ? list.findIndex(function (r) { return r.id === current; }) : -1;
    var next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(Math.max(at + step, 0), list.length - 1);
    highlight(list[next]);
    return true;
  }

  function currentRow() {
    if (!current) return null;
    var row = document.getElementById(current);
    return row && row.closest("#queue-results tbody") ? row : null;
  }

  function toast(message) {
    document.dispatchEvent(new CustomEvent("toast", { detail: { message: message } }));
  }

  function replyBox(internal) {
    var form = document.querySelector("form.reply-form");
    var box = form && form.querySelector("textarea[name=content]");
    if (!box) return false;
    var toggle = form.querySelector("input[name=internal]");
    if (toggle && toggle.checked !== internal) {
      toggle.checked = internal;
      toggle.dispatchEvent(new Event("change", { bubbles: true }));
    }
    box.focus();
    if (box.scrollIntoView) box.scrollIntoView({ block: "center" });
    return true;
  }

  function assignToMe() {
    var button = document.querySelector("form[action$='/assign'] button[name=assignee][value=me]");
    if (button) { button.click(); return true; }
    if (document.querySelector("form[action$='/assign']")) {
      toast("This ticket is already assigned to you.");
      return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (e) {
    if (!help()) return; // not a staff page
    if (helpOpen()) {
      if (e.key === "Escape") { e.preventDefault(); closeHelp(); return; }
      if (e.key === "Tab") { // keep focus inside the dialog
        var items = focusable(help());
        if (!items.length) { e.preventDefault(); return; }
        var first = items[0], last = items[items.length - 1];
        if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
        else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
        else if (!help().contains(document.activeElement)) { e.preventDefault(); first.focus(); }
      }
      return;
    }
    if (e.ctrlKey || e.altKey || e.metaKey || e.defaultPrevented || e.isComposing) return;
    if (typing(e.target)) return;
    var handled = false;
    switch (e.key) {
      case "?": openHelp(); handled = true; break;
      case "j": handled = move(1); break;
      case "k": handled = move(-1); break;
      case "x": {
        var row = currentRow();
        var box = row && row.querySelector("input[name=ticket_ids]");
        if (box) { box.click(); handled = true; }
        break;
      }
      case "Enter": {
        var r = currentRow();
        // On a link, a button or a checkbox Enter already means something: leave it alone.
        if (r && !(e.target.closest && e.target.closest("a, button, input, summary"))) {
          var link = r.querySelector(".col-title a, td a");
          if (link) { link.click(); handled = true; }
        }
        break;
      }
      case "r": handled = replyBox(false); break;
      case "n": handled = replyBox(true); break;
      case "a": handled = assignToMe(); break;
    }
    if (handled) e.preventDefault();
  });

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!t.closest) return;
    if (t.closest("[data-shortcuts-open]")) { e.preventDefault(); openHelp(); return; }
    if (t.closest("[data-shortcuts-close]")) { e.preventDefault(); closeHelp(); return; }
    var h = help();
    if (h && !h.hidden && t === h) closeHelp(); // a click on the backdrop
  });

  // Focus moving into a row (a click on its checkbox, Tab onto its link) makes it the current one.
  document.addEventListener("focusin", function (e) {
    var row = e.target.closest && e.target.closest("#queue-results tbody tr[id^='ticket-']");
    if (!row || row.id === current) return;
    rows().forEach(function (r) { r.classList.toggle("kbd-current", r === row); });
    current = row.id;
  });

  // After htmx replaces the rows (a filter, a poll, a bulk action) keep the same ticket
  // highlighted if it is still there; a new page (hx-boost) starts afresh.
  document.addEventListener("htmx:afterSettle", function () {
    var row = currentRow();
    rows().forEach(function (r) { r.classList.toggle("kbd-current", r === row); });
    if (!row) current = null;
  });
  // The "Keyboard shortcuts" buttons do nothing without JavaScript: the page ships them hidden.
  function showOpeners() {
    if (!help()) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-shortcuts-open][hidden]"), function (b) {
      b.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", showOpeners);
  document.addEventListener("htmx:afterSettle", showOpeners);

  document.addEventListener("htmx:beforeHistorySave", function () {
    rows().forEach(function (r) { r.classList.remove("kbd-current"); });
    var h = help();
    if (h) h.hidden = true;
  });
})();
