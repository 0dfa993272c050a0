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
