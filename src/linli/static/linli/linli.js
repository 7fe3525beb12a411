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
