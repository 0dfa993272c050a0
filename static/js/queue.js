// Staff queue: "select all on this page", the "N selected" count for the bulk action bar, and
// the "Save this view" form taking the filters as they are now (htmx changes them in place).
// No inline scripts (CSP); everything is delegated from document, so htmx swaps need no re-binding.
(function () {
  function boxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll('#queue-results input[name=ticket_ids]')
    );
  }

  function sync() {
    var all = document.getElementById("queue-select-all");
    var list = boxes();
    var n = list.filter(function (b) { return b.checked; }).length;
    if (all) {
      var wrap = all.closest("label");
      if (wrap) wrap.hidden = false; // useless without JavaScript, so the page ships it hidden
      all.checked = list.length > 0 && n === list.length;
      all.indeterminate = n > 0 && n < list.length;
    }
    var count = document.querySelector("[data-bulk-count]");
    if (count) count.textContent = n ? n + (n === 1 ? " ticket selected" : " tickets selected") : "Select tickets";
    Array.prototype.forEach.call(document.querySelectorAll("#queue-results tbody tr"), function (row) {
      var box = row.querySelector("input[name=ticket_ids]");
      row.classList.toggle("selected", !!(box && box.checked));
    });
  }

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.id === "queue-select-all") {
      boxes().forEach(function (b) { b.checked = t.checked; });
      sync();
    } else if (t.name === "ticket_ids") {
      sync();
    }
  });

  // Before the save form goes (as a boosted form or plainly), copy the live filter values in.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var sel = form.getAttribute && form.getAttribute("data-queue-args");
    var source = sel && document.querySelector(sel);
    if (!source) return;
    var data = new FormData(source);
    Array.prototype.forEach.call(form.querySelectorAll("[data-queue-arg]"), function (input) {
      var value = data.get(input.name);
      input.value = value === null ? "" : value;
    });
  }, true);

  document.addEventListener("DOMContentLoaded", sync);
  document.addEventListener("htmx:afterSettle", function (e) {
    sync();
    // A bulk action's answer: its summary sits above the rows; bring it into view.
    var summary = document.getElementById("bulk-summary");
    var path = (e.detail && e.detail.pathInfo && e.detail.pathInfo.requestPath) || "";
    if (summary && /\/staff\/bulk$/.test(path) && summary.scrollIntoView) {
      summary.scrollIntoView({ block: "nearest" });
    }
  });
})();
