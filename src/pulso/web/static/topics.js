// The Topics page: the weekly chart of the most mentioned topics (ECharts), the period presets, and
// submitting the filters when one changes. No inline code: the CSP forbids it.
(function () {
  "use strict";

  var FORM_ID = "topics-filters";
  var RESULTS_ID = "topics-results";
  var COLORS = ["#0b5cad", "#b42318", "#1a7f37", "#8a5a00", "#6b3fa0", "#0e7490"];

  function initCharts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-topics-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-topics-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var old = window.echarts.getInstanceByDom(el);
      if (old) { old.dispose(); }
      var format;
      try { format = new Intl.NumberFormat(data.locale, { maximumFractionDigits: 1 }); } catch (e) { format = null; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        color: COLORS,
        grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true },
        legend: { type: "scroll", top: 0 },
        tooltip: {
          trigger: "axis",
          valueFormatter: function (v) { return v === null || v === undefined ? "—" : (format ? format.format(v) : v) + " %"; }
        },
        xAxis: { type: "category", data: data.labels, boundaryGap: false },
        yAxis: { type: "value", name: data.unit, axisLabel: { formatter: function (v) { return (format ? format.format(v) : v) + " %"; } } },
        series: data.series.map(function (s) {
          return { name: s.name, type: "line", data: s.values, symbol: "circle", symbolSize: 5, connectNulls: true };
        })
      });
    });
  }

  // A sort link swaps the results: keep the form's sort in step, so the next filter keeps it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-sort]");
    var form = document.getElementById(FORM_ID);
    if (!link || !form) { return; }
    var sort = new URL(link.href, window.location.href).searchParams.get("sort");
    if (sort) { form.elements.namedItem("sort").value = sort; }
  });

  window.PulsoView.wire({ formId: FORM_ID, resultsId: RESULTS_ID, chartSelector: "[data-topics-chart]", initCharts: initCharts });
})();
