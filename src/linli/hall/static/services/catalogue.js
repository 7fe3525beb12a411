// Catalogue pages: the print button (the CSP allows no inline scripts).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
