// Walk-in registration page: add/remove party rows without leaving the page (Django
// formset: the new row is the formset's empty form with __prefix__ replaced), and show
// the answer box only for on-the-spot categories. No inline scripts (CSP).
(function () {
  "use strict";
  var form = document.getElementById("register-form");
  if (!form) { return; }
  var rows = document.getElementById("party-rows");
  var template = document.getElementById("party-template");
  var total = form.querySelector("input[name='parties-TOTAL_FORMS']");

  document.getElementById("add-party").addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var row = rows.lastElementChild;
    var role = row.querySelector("select[name$='-role']");
    if (role) { role.value = "applicant"; }
    var name = row.querySelector("input[name$='-name']");
    if (name) { name.focus(); }
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-party]");
    if (!button) { return; }
    // Blank rows are skipped by the server, so removing = clearing and hiding; the
    // formset's numbering stays intact.
    var row = button.closest("[data-party-row]");
    row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    row.hidden = true;
    form.dispatchEvent(new Event("input", { bubbles: true }));
  });

  var category = document.getElementById("id_category");
  var onSpot = document.getElementById("on-spot-block");
  function toggleOnSpot() {
    var allowed = (onSpot.getAttribute("data-on-spot-categories") || "").split(",");
    onSpot.hidden = allowed.indexOf(category.value) === -1;
  }
  if (category && onSpot) {
    category.addEventListener("change", toggleOnSpot);
    toggleOnSpot();
  }
})();
