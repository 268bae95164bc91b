// The wiring every page of a data view shares (the overview, Topics): the period presets enable the
// custom dates, a changed filter submits the form (HTMX swaps the results), the results' charts are
// disposed before a swap and drawn after it, the dates follow the range the server chose, and charts
// follow the window's size. Each page passes its ids and its own chart drawing. No inline code (CSP).
(function () {
  "use strict";

  // The dates count only for "custom": other presets disable them (and keep them out of the URL).
  function syncDates(form) {
    var period = form.querySelector("[data-period]");
    if (!period) { return; }
    form.querySelectorAll("[data-custom-date]").forEach(function (input) {
      input.disabled = period.value !== "custom";
    });
  }

  function submit(form) {
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function eachChart(root, selector, fn) {
    if (!window.echarts) { return; }
    root.querySelectorAll(selector).forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) { fn(chart); }
    });
  }

  // options: formId, resultsId, chartSelector, initCharts(root)
  function wire(options) {
    document.addEventListener("change", function (event) {
      var target = event.target;
      var form = document.getElementById(options.formId);
      if (!form || !target.form || target.form !== form) { return; }
      if (target.matches("[data-period]")) {
        syncDates(form);
        if (target.value === "custom") {
          var first = form.querySelector("[data-custom-date]");
          if (first) { first.focus(); }
          return;
        }
      }
      if (target.matches("[data-custom-date]")) {
        if (!form.elements.namedItem("from").value || !form.elements.namedItem("to").value) { return; }
      }
      submit(form);
    });

    document.addEventListener("htmx:beforeSwap", function (event) {
      var target = event.detail.target;
      if (target && target.id === options.resultsId) {
        eachChart(target, options.chartSelector, function (chart) { chart.dispose(); });
      }
    });
    // After HTMX swapped the results: draw the new charts, show the range the server chose.
    document.addEventListener("htmx:afterSettle", function (event) {
      var target = event.detail.target;
      if (!target || target.id !== options.resultsId) { return; }
      options.initCharts(target);
      var range = target.querySelector("[data-range-start]");
      var form = document.getElementById(options.formId);
      if (range && form && form.elements.namedItem("period").value !== "custom") {
        form.elements.namedItem("from").value = range.getAttribute("data-range-start");
        form.elements.namedItem("to").value = range.getAttribute("data-range-end");
      }
    });

    var resizing = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(resizing);
      resizing = window.setTimeout(function () {
        eachChart(document, options.chartSelector, function (chart) { chart.resize(); });
      }, 150);
    });

    function start() {
      document.documentElement.classList.add("ov-js");
      var form = document.getElementById(options.formId);
      if (form) { syncDates(form); }
      options.initCharts(document);
    }
    if (document.readyState !== "loading") { start(); } else { document.addEventListener("DOMContentLoaded", start); }
  }

  window.PulsoView = { wire: wire };
})();
