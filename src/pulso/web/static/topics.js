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

  function syncDates(form) {
    var period = form.querySelector("[data-period]");
    if (!period) { return; }
    form.querySelectorAll("[data-custom-date]").forEach(function (input) { input.disabled = period.value !== "custom"; });
  }

  function submit(form) { if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); } }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = document.getElementById(FORM_ID);
    if (!form || target.form !== form) { return; }
    if (target.matches("[data-period]")) {
      syncDates(form);
      if (target.value === "custom") { return; }
    }
    if (target.matches("[data-custom-date]")) {
      if (!form.elements.namedItem("from").value || !form.elements.namedItem("to").value) { return; }
    }
    submit(form);
  });

  // A sort link swaps the results: keep the form's sort in step, so the next filter keeps it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-sort]");
    var form = document.getElementById(FORM_ID);
    if (!link || !form) { return; }
    var sort = new URL(link.href, window.location.href).searchParams.get("sort");
    if (sort) { form.elements.namedItem("sort").value = sort; }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== RESULTS_ID || !window.echarts) { return; }
    target.querySelectorAll("[data-topics-chart]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) { chart.dispose(); }
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== RESULTS_ID) { return; }
    initCharts(target);
    var range = target.querySelector("[data-range-start]");
    var form = document.getElementById(FORM_ID);
    if (range && form && form.elements.namedItem("period").value !== "custom") {
      form.elements.namedItem("from").value = range.getAttribute("data-range-start");
      form.elements.namedItem("to").value = range.getAttribute("data-range-end");
    }
  });

  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () {
      if (!window.echarts) { return; }
      document.querySelectorAll("[data-topics-chart]").forEach(function (el) {
        var chart = window.echarts.getInstanceByDom(el);
        if (chart) { chart.resize(); }
      });
    }, 150);
  });

  function start() {
    document.documentElement.classList.add("ov-js");
    var form = document.getElementById(FORM_ID);
    if (form) { syncDates(form); }
    initCharts(document);
  }
  if (document.readyState !== "loading") { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
