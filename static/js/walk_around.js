// Walk-around: tap a panel of the car to add a damage mark; the customer signs with a finger.
(function () {
  "use strict";
  var form = document.getElementById("walk-around");
  if (!form) return;
  var marks = document.getElementById("marks");
  var template = document.getElementById("mark-template");
  var none = document.getElementById("no-marks");
  var next = marks.children.length;

  function addMark(panel) {
    var html = template.innerHTML.replace(/__n__/g, String(next++));
    marks.insertAdjacentHTML("beforeend", html);
    var row = marks.lastElementChild;
    row.querySelector("select").value = panel;
    none.hidden = true;
    row.querySelector("input[type=text]").focus();
  }
  document.querySelectorAll(".car-diagram .panel").forEach(function (shape) {
    function pick() { shape.classList.add("is-marked"); addMark(shape.dataset.panel); }
    shape.addEventListener("click", pick);
    shape.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
  });
  marks.addEventListener("click", function (e) {
    if (!e.target.closest(".remove-mark")) return;
    e.target.closest(".mark-row").remove();
    none.hidden = marks.children.length > 0;
  });

  var pad = document.getElementById("signature-pad");
  var ctx = pad.getContext("2d");
  var drawing = false, signed = false;
  ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#14213d";
  function point(e) {
    var box = pad.getBoundingClientRect();
    return [(e.clientX - box.left) * pad.width / box.width, (e.clientY - box.top) * pad.height / box.height];
  }
  pad.addEventListener("pointerdown", function (e) {
    drawing = true; signed = true; pad.setPointerCapture(e.pointerId);
    var p = point(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
  });
  pad.addEventListener("pointermove", function (e) {
    if (!drawing) return;
    var p = point(e); ctx.lineTo(p[0], p[1]); ctx.stroke();
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (type) {
    pad.addEventListener(type, function () { drawing = false; });
  });
  document.getElementById("clear-signature").addEventListener("click", function () {
    ctx.clearRect(0, 0, pad.width, pad.height); signed = false;
  });
  form.addEventListener("submit", function () {
    document.getElementById("signature").value = signed ? pad.toDataURL("image/png") : "";
  });
})();
