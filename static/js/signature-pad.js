// Signature pad for the mediation room's tablet (issue 19): draw with a finger, stylus or
// mouse (Pointer Events), then the drawing is put in the form's hidden "png" field as a
// PNG data URL and posted. No inline script (CSP); no library.
(function () {
  function setup(form) {
    var canvas = form.querySelector("canvas[data-signature]");
    var field = form.querySelector("input[name=png]");
    var clear = form.querySelector("[data-signature-clear]");
    if (!canvas || !field) { return; }
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false, last = null;

    function fit() {
      // Draw at the device's pixel density so the stroke is sharp on a tablet.
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var rect = canvas.getBoundingClientRect();
      canvas.width = Math.round(rect.width * ratio);
      canvas.height = Math.round(rect.height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
      drawn = false;
    }
    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1.2, 0, 2 * Math.PI);
      ctx.fill();
      drawn = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      event.preventDefault();
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
    if (clear) {
      clear.addEventListener("click", function (event) {
        event.preventDefault();
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        field.value = "";
      });
    }
    form.addEventListener("submit", function (event) {
      if (!drawn) {
        event.preventDefault();
        var message = form.querySelector("[data-signature-empty]");
        if (message) { message.classList.remove("d-none"); }
        return;
      }
      field.value = canvas.toDataURL("image/png");
    });
    fit();
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-signature-form]"), setup);
  });
})();
