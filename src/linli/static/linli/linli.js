// Small behaviours shared by every page; no inline scripts (the CSP forbids them).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches("[data-autosubmit]") && el.form) { el.form.submit(); }
});
// Charts: <div class="chart" data-chart="id-of-json-script"> renders the ECharts option in that script.
function linliRenderCharts(root) {
  if (!window.echarts) { return; }
  (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.dataset.chart);
    if (!source || el.dataset.rendered) { return; }
    var chart = window.echarts.init(el);
    chart.setOption(JSON.parse(source.textContent));
    // A drill-down: a click on a bar or slice opens the URL given for its category.
    var links = el.dataset.chartLinks && document.getElementById(el.dataset.chartLinks);
    if (links) {
      var urls = JSON.parse(links.textContent);
      chart.on("click", function (p) { if (urls[p.dataIndex]) { window.location.href = urls[p.dataIndex]; } });
    }
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
}
document.addEventListener("DOMContentLoaded", function () { linliRenderCharts(); });
document.addEventListener("htmx:afterSwap", function (e) { linliRenderCharts(e.target); });
// Progress bars give their width as data-width (a percentage): the CSP allows no inline styles.
function linliSizeBars(root) {
  (root || document).querySelectorAll("[data-width]").forEach(function (el) {
    el.style.width = Math.max(0, Math.min(100, Number(el.dataset.width) || 0)) + "%";
  });
}
document.addEventListener("DOMContentLoaded", function () { linliSizeBars(); });
document.addEventListener("htmx:afterSwap", function (e) { linliSizeBars(e.target.parentNode || e.target); });
// A partial the server could not answer because the database is away (503): htmx leaves error
// answers unswapped, so show the 503 page's notice at the top of the page instead of nothing;
// what the person typed stays where it is, and "try again" reloads the page they are on.
document.addEventListener("htmx:responseError", function (e) {
  if (e.detail.xhr.status !== 503) { return; }
  var html = new DOMParser().parseFromString(e.detail.xhr.responseText, "text/html");
  var notice = html.querySelector("[data-testid=unavailable]");
  var main = document.querySelector("main");
  if (!notice || !main) { return; }
  notice.className = "alert alert-warning";
  notice.setAttribute("role", "alert");
  notice.querySelectorAll("a").forEach(function (a) { a.href = window.location.href; });
  var shown = main.querySelector("[data-testid=unavailable]");
  if (shown) { shown.replaceWith(notice); } else { main.prepend(notice); }
  notice.scrollIntoView({ block: "nearest" });
});
