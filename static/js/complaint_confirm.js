// A complaint's closing confirmation: the customer signs with a finger, or a recorded call is named.
(function () {
  "use strict";
  var form = document.getElementById("confirm-form");
  if (!form) return;
  var pad = document.getElementById("signature-pad");
  var ctx = pad.getContext("2d"), drawing = false, signed = false;
  ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#14213d";
  function point(e) { var b = pad.getBoundingClientRect(); return [(e.clientX - b.left) * pad.width / b.width, (e.clientY - b.top) * pad.height / b.height]; }
  pad.addEventListener("pointerdown", function (e) { e.preventDefault(); drawing = true; signed = true; pad.setPointerCapture(e.pointerId); var p = point(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); });
  pad.addEventListener("pointermove", function (e) { if (!drawing) return; var p = point(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (t) { pad.addEventListener(t, function () { drawing = false; }); });
  document.getElementById("clear-signature").addEventListener("click", function () { ctx.clearRect(0, 0, pad.width, pad.height); signed = false; });
  function show() {
    var kind = (form.querySelector("input[name=kind]:checked") || {}).value;
    form.querySelectorAll("[data-kind]").forEach(function (el) { el.hidden = el.dataset.kind !== kind; });
  }
  form.addEventListener("change", show); show();
  form.addEventListener("submit", function () { document.getElementById("signature").value = signed ? pad.toDataURL("image/png") : ""; });
})();
