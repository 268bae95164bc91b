// The cases pages: clocks that count down every minute, bulk selection in the queue, the rule editor's
// rows (a field brings its own comparisons and values), the resolution field of the status form, the
// dashboard's period and its compensation chart. No inline code: the CSP forbids it.
(function () {
  "use strict";

  // --- countdowns: <time data-due="running|overdue" datetime="..."> under [data-countdown-in] -------

  function words(seconds, format) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    if (minutes < 60) { return minutes + " min"; }
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    if (hours < 48) { return rest ? hours + " h " + rest + " min" : hours + " h"; }
    var days = Math.floor(hours / 24);
    hours = hours % 24;
    var dayText = format ? format.format(days) : String(days);
    return hours ? dayText + " d " + hours + " h" : dayText + " d";
  }

  function tick() {
    var format;
    try { format = new Intl.NumberFormat(document.body.getAttribute("data-locale") || undefined); } catch (e) { format = null; }
    document.querySelectorAll("time[data-due]").forEach(function (el) {
      var state = el.getAttribute("data-due");
      if (state !== "running" && state !== "overdue") { return; }
      var holder = el.closest("[data-countdown-in]");
      var due = Date.parse(el.getAttribute("datetime"));
      if (!holder || isNaN(due)) { return; }
      var left = (due - Date.now()) / 1000;
      var overdue = left < 0;
      var template = holder.getAttribute(overdue ? "data-countdown-overdue" : "data-countdown-in");
      el.textContent = template.replace("{time}", words(left, format));
      el.setAttribute("data-due", overdue ? "overdue" : "running");
      el.classList.toggle("due-overdue", overdue);
      el.classList.toggle("due-running", !overdue);
    });
  }
  window.setInterval(tick, 60 * 1000);

  // --- the queue: select all, how many are selected ----------------------------------------------

  function updateSelection() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) { return; }
    var checked = document.querySelectorAll("[data-case-check]:checked").length;
    label.textContent = checked ? label.getAttribute("data-some").replace("{num}", String(checked)) : label.getAttribute("data-none");
    var all = document.querySelector("[data-select-all]");
    var boxes = document.querySelectorAll("[data-case-check]");
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll("[data-case-check]").forEach(function (box) { box.checked = target.checked; });
      updateSelection();
    } else if (target.matches("[data-case-check]")) {
      updateSelection();
    }
  });
  // The filter form swaps the results: the selection starts again (and the count with it).
  document.addEventListener("htmx:afterSettle", updateSelection);

  // --- the status form: the resolution counts only when resolving ---------------------------------

  function syncStatus(form) {
    var select = form.querySelector("[data-status-select]");
    var field = form.querySelector("[data-resolution-field]");
    if (!select || !field) { return; }
    var hasError = field.classList.contains("has-error");
    field.hidden = select.value !== "resolved" && !hasError;
  }

  // --- the rule editor: each field brings its own comparisons and values ----------------------------

  var specs = null;
  function ruleSpecs() {
    if (specs === null) {
      var source = document.getElementById("rule-fields");
      specs = source ? JSON.parse(source.textContent) : {};
    }
    return specs;
  }

  function option(value, label, selected) {
    var el = document.createElement("option");
    el.value = value;
    el.textContent = label;
    if (selected) { el.selected = true; }
    return el;
  }

  function valueControl(row, name, op, keep) {
    var all = ruleSpecs();
    var spec = all.fields ? all.fields[name] : null;
    var index = row.getAttribute("data-row");
    var old = row.querySelector("[data-row-value]");
    var chosen = [];
    if (keep && old) {
      if (old.tagName === "SELECT") {
        Array.prototype.forEach.call(old.selectedOptions, function (o) { chosen.push(o.value); });
      } else if (old.value) {
        chosen.push(old.value);
      }
    }
    var control;
    var multi = all.multi && all.multi.indexOf(op) >= 0;
    if (!spec) {
      control = document.createElement("input");
      control.disabled = true;
    } else if (spec.kind === "topic") {
      control = document.createElement("select");
      control.multiple = true;
      control.size = 6;
      (all.groups || []).forEach(function (group) {
        var holder = document.createElement("optgroup");
        holder.label = group[0];
        group[1].forEach(function (entry) { holder.appendChild(option(entry[0], entry[1], chosen.indexOf(entry[0]) >= 0)); });
        control.appendChild(holder);
      });
    } else if (spec.choices) {
      control = document.createElement("select");
      if (multi) { control.multiple = true; control.size = 5; }
      spec.choices.forEach(function (entry) { control.appendChild(option(entry[0], entry[1], chosen.indexOf(entry[0]) >= 0)); });
    } else if (spec.kind === "int" || spec.kind === "float" || spec.kind === "id") {
      control = document.createElement("input");
      control.type = "number";
      control.inputMode = "decimal";
      control.step = spec.kind === "float" ? "0.05" : "1";
      if (spec.low !== null) { control.min = spec.low; control.max = spec.high; }
      if (chosen.length) { control.value = chosen[0]; }
    } else {
      control = document.createElement("input");
      if (chosen.length) { control.value = chosen.join(", "); }
    }
    control.id = "r" + index + "-value";
    control.name = "value_" + index;
    control.setAttribute("data-row-value", "");
    if (old) { old.replaceWith(control); }
  }

  function fieldChanged(row) {
    var all = ruleSpecs();
    var name = row.querySelector("[data-row-field]").value;
    var spec = all.fields ? all.fields[name] : null;
    var op = row.querySelector("[data-row-op]");
    op.innerHTML = "";
    op.disabled = !spec;
    if (spec) {
      spec.ops.forEach(function (key, i) { op.appendChild(option(key, all.ops[key] || key, i === 0)); });
    }
    valueControl(row, name, op.value, false);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var row = target.closest("[data-row]");
    if (row && target.matches("[data-row-field]")) { fieldChanged(row); return; }
    if (row && target.matches("[data-row-op]")) {
      valueControl(row, row.querySelector("[data-row-field]").value, target.value, true);
      return;
    }
    var statusForm = target.closest("[data-status-form]");
    if (statusForm) { syncStatus(statusForm); }
  });

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      var template = document.getElementById("condition-row-template");
      var list = document.querySelector("[data-condition-rows]");
      if (!template || !list) { return; }  // no script help: the form reloads with one more row
      event.preventDefault();
      var next = 0;
      list.querySelectorAll("[data-row]").forEach(function (row) {
        next = Math.max(next, parseInt(row.getAttribute("data-row"), 10) + 1);
      });
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replace(/__i__/g, String(next));
      var row = holder.firstElementChild;
      list.appendChild(row);
      row.querySelectorAll("[data-remove-row]").forEach(function (b) { b.hidden = false; });
      row.querySelector("[data-row-field]").focus();
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var current = remove.closest("[data-row]");
      var focus = current.previousElementSibling || current.nextElementSibling;
      current.remove();
      var field = focus ? focus.querySelector("[data-row-field]") : document.querySelector("[data-add-row]");
      if (field) { field.focus(); }
    }
  });

  // --- the dashboard: the custom dates count only for "custom"; its compensation chart --------------

  function syncPeriod(form) {
    var period = form.querySelector("[data-period]");
    form.querySelectorAll("[data-custom-date]").forEach(function (input) { input.disabled = period.value !== "custom"; });
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest("[data-period-form]");
    if (!form || !event.target.matches("[data-period]")) { return; }
    syncPeriod(form);
    if (event.target.value === "custom") {
      var first = form.querySelector("[data-custom-date]");
      if (first) { first.focus(); }
    } else {
      form.requestSubmit();
    }
  });

  var COLORS = ["#0b5cad", "#b42318", "#1a7f37", "#8a5a00", "#6b3fa0", "#0e7490"];
  function drawCharts() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-comp-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-comp-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var format;
      try { format = new Intl.NumberFormat(data.locale, { maximumFractionDigits: 2 }); } catch (e) { format = null; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        color: COLORS,
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        legend: { top: 0 },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return format ? format.format(v) : v; } },
        xAxis: { type: "category", data: data.labels },
        yAxis: { type: "value", axisLabel: { formatter: function (v) { return format ? format.format(v) : v; } } },
        series: data.series.map(function (s) { return { name: s.name, type: "bar", data: s.values }; })
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function start() {
    document.querySelectorAll("[data-status-form]").forEach(syncStatus);
    document.querySelectorAll("[data-period-form]").forEach(syncPeriod);
    document.querySelectorAll("[data-remove-row]").forEach(function (b) { b.hidden = false; });
    updateSelection();
    drawCharts();
    tick();
  }
  if (document.readyState !== "loading") { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
