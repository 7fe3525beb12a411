// Registry pages. A refused reveal answers 400 with the form again and the reason; HTMX leaves
// error responses unswapped by default, so let forms marked data-swap-errors show that answer.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  // detail.elt is the swap target here; the element that sent the request is in requestConfig.
  var source = event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt;
  if ((status === 400 || status === 409) && source && source.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// After a refused reveal the reason box is back in the page: put the cursor in it. The swap
// replaced the target element, so look its successor up by id.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail.target;
  if (!target || !target.id || event.detail.xhr.status !== 400) { return; }
  var fresh = document.getElementById(target.id);
  var reason = fresh ? fresh.querySelector(".reveal-reason") : null;
  if (reason) { reason.focus(); }
});
