// Canned replies in the staff reply box: an htmx active-search combobox. Arrow keys move
// through the results, Enter or a click inserts the chosen reply (already filled in for this
// ticket) at the cursor, keeping what the agent typed, and its field changes wait as
// "Will also set: …" until the reply is sent, with a button to drop them. No inline scripts.
(function () {
  function insert(box, text) {
    if (box.value.trim() === "") {
      box.value = text;
      box.setSelectionRange(text.length, text.length);
    } else if (window.portalInsertAtCursor) {
      window.portalInsertAtCursor(box, text); // app.js: at the cursor, replacing only a selection
    } else {
      box.value = box.value.replace(/\s*$/, "") + "\n\n" + text;
    }
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function parts(el) {
    var picker = el.closest ? el.closest("[data-canned-picker]") : null;
    if (!picker) return null;
    return {
      picker: picker,
      form: picker.closest("form"),
      input: picker.querySelector("[role=combobox]"),
      list: picker.querySelector("[role=listbox]"),
    };
  }

  function options(p) {
    return Array.prototype.slice.call(p.list.querySelectorAll(".canned-option"));
  }

  function open(p, show) {
    p.list.hidden = !show;
    p.input.setAttribute("aria-expanded", show ? "true" : "false");
    if (!show) p.input.removeAttribute("aria-activedescendant");
  }

  function highlight(p, index) {
    var opts = options(p);
    if (!opts.length) return;
    index = (index + opts.length) % opts.length;
    opts.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
    p.input.setAttribute("aria-activedescendant", opts[index].id);
    if (opts[index].scrollIntoView) opts[index].scrollIntoView({ block: "nearest" });
  }

  // Results answer the text they were asked for (data-canned-q): an older answer that arrives
  // after more typing is shown but not pre-selected, so Enter never inserts a stale match.
  function fresh(p, option) {
    return (option.getAttribute("data-canned-q") || "") === p.input.value.trim();
  }

  function current(p) {
    return p.list.querySelector(".canned-option[aria-selected=true]");
  }

  function choose(p, option) {
    var box = p.form && p.form.querySelector("textarea[name=content]");
    if (!box || !option) return;
    insert(box, option.getAttribute("data-canned-text") || "");
    var changes = option.getAttribute("data-canned-changes") || "";
    var id = p.form.querySelector("input[name=canned_reply_id]");
    var apply = p.form.querySelector("input[name=canned_apply]");
    if (id) id.value = option.getAttribute("data-canned-id") || "";
    if (apply) apply.value = changes ? "1" : "";
    var pending = p.picker.querySelector("[data-canned-pending]");
    if (pending) {
      pending.hidden = false;
      pending.querySelector("[data-canned-used]").textContent =
        "Used \u201c" + (option.getAttribute("data-canned-title") || "") + "\u201d.";
      pending.querySelector("[data-canned-changes]").textContent = changes;
      pending.querySelector("[data-canned-changes-row]").hidden = !changes;
    }
    p.input.value = "";
    open(p, false);
    box.focus();
  }

  // The picker needs JavaScript to insert anything: shown only when it runs.
  function reveal() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-canned-picker][hidden]"), function (el) {
      el.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", reveal);
  document.addEventListener("htmx:afterSettle", reveal);

  document.addEventListener("htmx:afterSwap", function (e) {
    var p = parts(e.detail.target);
    if (!p || e.detail.target !== p.list) return;
    open(p, document.activeElement === p.input);
    if (options(p).length && fresh(p, options(p)[0])) highlight(p, 0);
  });

  // Typing makes the shown results stale: nothing is highlighted (so Enter inserts nothing)
  // until the results for the new text arrive.
  document.addEventListener("input", function (e) {
    var p = e.target.getAttribute && e.target.getAttribute("role") === "combobox" ? parts(e.target) : null;
    if (!p) return;
    options(p).forEach(function (o) { o.setAttribute("aria-selected", "false"); });
    p.input.removeAttribute("aria-activedescendant");
  });

  document.addEventListener("keydown", function (e) {
    var p = e.target.getAttribute && e.target.getAttribute("role") === "combobox" ? parts(e.target) : null;
    if (!p) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (p.list.hidden && options(p).length) open(p, true);
      var opts = options(p);
      var at = opts.indexOf(current(p));
      highlight(p, at < 0 ? 0 : at + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === "Enter") {
      e.preventDefault(); // never sends the reply from the search field
      var chosen = current(p);
      // A highlighted stale result was chosen with the arrow keys: that is a choice too.
      if (!p.list.hidden && chosen) choose(p, chosen);
    } else if (e.key === "Escape") {
      if (!p.list.hidden) {
        e.preventDefault();
        e.stopPropagation();
        open(p, false);
      }
    }
  });

  // mousedown, not click: the option is chosen before the field loses focus and closes.
  document.addEventListener("mousedown", function (e) {
    var option = e.target.closest ? e.target.closest(".canned-option") : null;
    var p = option ? parts(option) : null;
    if (!p) return;
    e.preventDefault();
    choose(p, option);
  });

  document.addEventListener("focusout", function (e) {
    var p = e.target.getAttribute && e.target.getAttribute("role") === "combobox" ? parts(e.target) : null;
    if (p) open(p, false);
  });

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("[data-canned-remove]") : null;
    var p = button ? parts(button) : null;
    if (!p) return;
    var apply = p.form.querySelector("input[name=canned_apply]");
    if (apply) apply.value = "";
    button.closest("[data-canned-changes-row]").hidden = true;
    var box = p.form.querySelector("textarea[name=content]");
    if (box) box.focus();
    document.dispatchEvent(new CustomEvent("toast", {
      detail: { message: "The canned reply's field changes will not be applied." }
    }));
  });
})();
