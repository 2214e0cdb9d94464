// Platform behaviour without inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-print]");
  if (target) { event.preventDefault(); window.print(); }
});

// Wide tables on a phone (issue 23): each row becomes a card of "label: value" lines, the
// labels taken from the table's own header, so nothing scrolls sideways. A table that
// still overflows (a ranking with many figures) becomes a focusable, named region, so a
// keyboard user can scroll it too (axe: scrollable-region-focusable).
(function () {
  function label(table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!heads.length) { return; }
    table.classList.add("table-stack");
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (tr) {
      Array.prototype.forEach.call(tr.children, function (cell, i) {
        if (heads[i] && !cell.hasAttribute("colspan")) { cell.setAttribute("data-label", heads[i]); }
      });
    });
  }
  function focusable(wrapper) {
    var table = wrapper.querySelector("table");
    var caption = table && table.querySelector("caption");
    var heading = wrapper.closest(".card") && wrapper.closest(".card").querySelector(".card-header, h2, h3");
    if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
      wrapper.setAttribute("tabindex", "0");
      wrapper.setAttribute("role", "region");
      wrapper.setAttribute("aria-label", (caption || heading) ? (caption || heading).textContent.trim() : document.title);
    } else if (wrapper.getAttribute("role") === "region") {
      wrapper.removeAttribute("tabindex");
      wrapper.removeAttribute("role");
      wrapper.removeAttribute("aria-label");
    }
  }
  function all() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-responsive, .card-body"), focusable);
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.table:not(.table-no-stack)"), label);
    all();
  });
  window.addEventListener("resize", all);
  document.addEventListener("htmx:afterSwap", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.table:not(.table-no-stack)"), label);
    all();
  });
})();
