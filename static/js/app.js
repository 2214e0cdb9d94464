// Platform behaviour without inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-print]");
  if (target) { event.preventDefault(); window.print(); }
});
