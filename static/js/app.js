// Page behaviour shared by every screen. htmx does the talking; this file adds:
// conditional polling of live boards (ETag), toasts, and a clear word when the network is gone.
(function () {
  "use strict";

  // Boards carry their ETag; polls send it so an unchanged board costs a 304 and no swap.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var etag = event.detail.elt && event.detail.elt.getAttribute("data-etag");
    if (etag && event.detail.verb === "get") {
      event.detail.headers["If-None-Match"] = '"' + etag + '"';
    }
  });

  var toastBox = document.getElementById("toasts");
  function toast(message, level) {
    if (!toastBox || !message) return;
    var item = document.createElement("div");
    item.className = "toast toast-" + (level || "info");
    item.setAttribute("role", level === "error" ? "alert" : "status");
    item.textContent = message;
    toastBox.appendChild(item);
    setTimeout(function () { item.classList.add("toast-out"); }, 5000);
    setTimeout(function () { item.remove(); }, 5600);
  }
  window.intranetToast = toast;

  document.body.addEventListener("toast", function (event) {
    toast(event.detail.message, event.detail.level);
  });

  // A tap on a form marked data-retry (the workshop tablets) that never reached the server is
  // kept, shown as not saved, and sent again when the network is back. Its one-time token makes
  // the server apply it once even if the first try did arrive and only the answer was lost.
  var unsent = new Set();
  function retryForm(elt) {
    return elt && elt.closest ? elt.closest("form[data-retry]") : null;
  }
  function resend() {
    unsent.forEach(function (form) {
      unsent.delete(form);
      if (document.body.contains(form)) htmx.trigger(form, "submit");
    });
  }
  window.addEventListener("online", resend);
  setInterval(function () { if (unsent.size && navigator.onLine) resend(); }, 4000);

  // The tablet lost Wi-Fi: say that nothing was saved rather than failing silently.
  document.body.addEventListener("htmx:sendError", function (event) {
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    var form = retryForm(event.detail.elt);
    if (form) {
      form.classList.add("is-unsaved");
      form.setAttribute("data-unsaved-short", document.body.dataset.msgUnsavedShort);
      unsent.add(form);
      toast(document.body.dataset.msgRetrying, "error");
    } else if (verb && verb !== "get") {
      toast(document.body.dataset.msgNotSaved, "error");
    }
    document.body.classList.add("is-offline");
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.xhr && event.detail.xhr.status) {
      document.body.classList.remove("is-offline");
      var form = retryForm(event.detail.elt);
      if (form) form.classList.remove("is-unsaved");
    }
  });
  window.addEventListener("offline", function () { document.body.classList.add("is-offline"); });
  window.addEventListener("online", function () { document.body.classList.remove("is-offline"); });

  // A tapped submit button is disabled until the answer arrives: no double submits.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post") || form.hasAttribute("data-no-lock")) return;
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; b.classList.add("is-busy"); }); }, 0);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button.is-busy").forEach(function (b) { b.disabled = false; b.classList.remove("is-busy"); });
  });
})();

