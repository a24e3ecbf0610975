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

  // --- behaviour that used to sit in inline handlers (the Content-Security-Policy allows no inline
  // script and no eval): pages mark elements with data- attributes, this file gives them their behaviour.

  // Live boards poll (hx-trigger "every Ns") only while the page is in view, and not while someone
  // is in the middle of something on the board: data-poll-pause holds a selector that, when it
  // matches, skips that poll. A poll is the one request htmx makes with no triggering event.
  document.body.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (event.detail.triggeringEvent || !elt || !/(^|,)\s*every\s/.test(elt.getAttribute("hx-trigger") || "")) return;
    var pause = elt.getAttribute("data-poll-pause");
    if (document.visibilityState !== "visible" || (pause && document.querySelector(pause))) event.preventDefault();
  });

  // data-reset-on-success: an htmx form that empties itself once the server took it (200).
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.matches && elt.matches("form[data-reset-on-success]") && event.detail.xhr && event.detail.xhr.status === 200) {
      elt.reset();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : event.target.parentElement;
    if (!target) return;
    // data-confirm="question" on a plain (non-htmx) submit button or link: ask first.
    var asking = target.closest("[data-confirm]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    // data-print: the page's print button.
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    // data-fill="#field" data-value="…": a quick-choice button that fills a field.
    var filler = target.closest("[data-fill]");
    if (filler) {
      var field = document.querySelector(filler.getAttribute("data-fill"));
      if (field) {
        field.value = filler.getAttribute("data-value");
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
  }, true);

  // data-autosubmit on a select or input: a change sends its form (filters that need no button).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-autosubmit]") || !field.form) return;
    if (field.form.requestSubmit) field.form.requestSubmit(); else field.form.submit();
  });

  // data-fit-content on a same-origin iframe (a digest's e-mail): as tall as what it shows.
  function fitFrame(frame) {
    try {
      var doc = frame.contentDocument;
      if (doc && doc.documentElement) frame.style.height = (doc.documentElement.scrollHeight + 8) + "px";
    } catch (e) { /* another origin: leave its height */ }
  }
  document.addEventListener("load", function (event) {
    if (event.target.matches && event.target.matches("iframe[data-fit-content]")) fitFrame(event.target);
  }, true);
  document.querySelectorAll("iframe[data-fit-content]").forEach(fitFrame);

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

