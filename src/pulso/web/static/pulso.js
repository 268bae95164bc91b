// Pulso's page behaviour: no inline scripts (the CSP forbids them), so pages mark elements with data-* attributes.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // The phone menu.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle-nav]");
    if (!toggle) { return; }
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = nav.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // Ask before a destructive action: <button data-confirm="...">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
  }, true);

  // An HTMX request that fails shows the server's message instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var toast = document.getElementById("toast");
    if (!toast) { return; }
    var holder = document.createElement("div");
    holder.innerHTML = event.detail.xhr.responseText;
    toast.textContent = (holder.textContent || "").trim() || ("HTTP " + event.detail.xhr.status);
    toast.hidden = false;
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var toast = document.getElementById("toast");
    if (toast) { toast.hidden = true; }
  });

  // Clickable table rows: <tr data-href="..."> opens the link (Enter too, rows get tabindex).
  function follow(event) {
    var row = event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, button, input, select")) { return; }
    if (event.type === "keydown" && event.key !== "Enter") { return; }
    window.location.href = row.getAttribute("data-href");
  }
  document.addEventListener("click", follow);
  document.addEventListener("keydown", follow);

  // Submit a form when one of its controls changes: <form data-autosubmit>.
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-autosubmit]");
    if (form && !event.target.matches("[data-no-autosubmit]")) { form.requestSubmit(); }
  });

  window.Pulso = { onReady: onReady };
})();
