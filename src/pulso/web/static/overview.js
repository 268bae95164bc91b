// The overview page: the trend chart (ECharts), its PNG export, the period presets and the controls
// that live in the results but belong to the filter form. No inline code: the CSP forbids it.
(function () {
  "use strict";

  var FORM_ID = "overview-filters";

  function numberFormat(locale) {
    try { return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }); } catch (e) { return null; }
  }

  function minus(a, b) { return a === null || b === null ? null : Math.round((a - b) * 10000) / 10000; }

  function chartOption(data) {
    var format = numberFormat(data.locale);
    var brand = "#0b5cad";
    var points = data.values.map(function (value, i) {
      if (value === null) { return null; }
      // Small samples are drawn hollow and amber, so they read as "take with care".
      return data.small[i]
        ? { value: value, symbol: "emptyCircle", symbolSize: 9, itemStyle: { color: "#8a5a00" } }
        : { value: value };
    });
    var series = [
      { name: "low", type: "line", data: data.low, stack: "ci", stackStrategy: "all", symbol: "none",
        lineStyle: { opacity: 0 }, silent: true, tooltip: { show: false }, connectNulls: false },
      { name: data.band, type: "line", data: data.high.map(function (h, i) { return minus(h, data.low[i]); }),
        stack: "ci", stackStrategy: "all", symbol: "none", lineStyle: { opacity: 0 },
        itemStyle: { color: "rgba(11, 92, 173, 0.35)" },
        areaStyle: { color: "rgba(11, 92, 173, 0.18)" }, silent: true, tooltip: { show: false } },
      { name: data.name, type: "line", data: points, symbol: "circle", symbolSize: 7, connectNulls: true,
        itemStyle: { color: brand }, lineStyle: { color: brand, width: 2 }, cursor: "pointer" }
    ];
    if (data.previous !== null) {
      series[2].markLine = {
        silent: true, symbol: "none",
        lineStyle: { type: "dashed", color: "#4f5b6b" },
        label: { formatter: data.previous_label, position: "insideEndTop", color: "#4f5b6b" },
        data: [{ yAxis: data.previous }]
      };
    }
    return {
      animation: false,
      color: [brand],
      grid: { left: 8, right: 36, top: 36, bottom: 8, containLabel: true },
      legend: { data: [data.name, data.band], top: 0 },
      tooltip: {
        trigger: "axis",
        formatter: function (params) {
          var index = params.length ? params[0].dataIndex : 0;
          return data.tooltips[index];
        }
      },
      xAxis: { type: "category", data: data.labels, boundaryGap: false },
      yAxis: {
        type: "value", name: data.unit, scale: true,
        axisLabel: { formatter: function (v) { return format ? format.format(v) : String(v); } }
      },
      series: series
    };
  }

  function initCharts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-trend-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-trend-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var old = window.echarts.getInstanceByDom(el);
      if (old) { old.dispose(); }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(chartOption(data));
      chart.on("click", function (params) {
        var link = data.links[params.dataIndex];
        if (link && params.seriesIndex === 2) { window.location.href = link; }
      });
      var panel = el.closest("section");
      var button = panel && panel.querySelector("[data-export-png]");
      if (button) { button.hidden = false; button.setAttribute("data-filename", data.filename); }
    });
  }

  // Download a chart as PNG: <button data-export-png="chart-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-export-png]");
    if (!button || !window.echarts) { return; }
    var el = document.getElementById(button.getAttribute("data-export-png"));
    var chart = el && window.echarts.getInstanceByDom(el);
    if (!chart) { return; }
    var link = document.createElement("a");
    link.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
    link.download = button.getAttribute("data-filename") || "pulso-chart.png";
    document.body.appendChild(link);
    link.click();
    link.remove();
  });

  window.PulsoView.wire({ formId: FORM_ID, resultsId: "overview-results", chartSelector: "[data-trend-chart]", initCharts: initCharts });
})();
