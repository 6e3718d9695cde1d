// Charts for the dashboards and the KPI page, drawn with Chart.js (served locally).
//
// Each chart is a <canvas data-chart="ID"> whose figures sit in a JSON script tag with
// that id (Django's json_script), so no inline script is needed and a strict
// Content-Security-Policy can forbid it. Every chart has a data table next to it: the
// page is complete without JavaScript, and the chart only adds a picture.
//
// The JSON: {kind: "line"|"bar", labels: [...], yLabel, unit, yMin, yMax, colon,
//            thresholds: {green, yellow} (reference lines, optional), thresholdLabels: {green, yellow},
//            datasets: [{label, data, type, style, emphasis}]}
// style: "target" | "actual" | "pending" | "pace" | "target-line" | (none: a department).
(function () {
  "use strict";

  var INK = "#1f2933";
  var MUTED = "#52606d";
  var GRID = "#d9e2ec";
  // Distinct hues, all dark enough for 3:1 against white, each with its own dash and
  // point shape so that lines can be told apart without colour.
  var PALETTE = ["#0b4f8a", "#7b3294", "#00695c", "#8c510a", "#b0186b", "#3e4c59", "#1f5fa8", "#5b3a1a"];
  var DASHES = [[], [6, 3], [2, 3], [8, 3, 2, 3], [4, 4], [1, 3]];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "crossRot", "star"];

  function reduceMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function hatch(colour) {
    // A diagonal hatching for "not yet approved" bars: told apart from solid ones without colour.
    var c = document.createElement("canvas");
    c.width = c.height = 8;
    var x = c.getContext("2d");
    x.fillStyle = "#ffffff";
    x.fillRect(0, 0, 8, 8);
    x.strokeStyle = colour;
    x.lineWidth = 2;
    x.beginPath();
    x.moveTo(-2, 10);
    x.lineTo(10, -2);
    x.moveTo(-2, 2);
    x.lineTo(2, -2);
    x.moveTo(6, 10);
    x.lineTo(10, 6);
    x.stroke();
    return x.createPattern(c, "repeat");
  }

  function styled(ds, index, kind) {
    var out = { label: ds.label, data: ds.data, spanGaps: false };
    var type = ds.type || kind;
    out.type = type;
    switch (ds.style) {
      case "target":
        return Object.assign(out, {
          backgroundColor: "#ffffff",
          borderColor: MUTED,
          borderWidth: 2,
          borderDash: [4, 3],
          pointStyle: "rect",
          order: 2,
        });
      case "actual":
        return Object.assign(out, {
          backgroundColor: "#0b4f8a",
          borderColor: "#0b4f8a",
          borderWidth: 1,
          pointStyle: "rect",
          order: 2,
        });
      case "pending":
        return Object.assign(out, {
          backgroundColor: hatch("#0b4f8a"),
          borderColor: "#0b4f8a",
          borderWidth: 2,
          pointStyle: "rect",
          order: 2,
        });
      case "pace":
        return Object.assign(out, {
          type: "line",
          borderColor: "#8a6100",
          backgroundColor: "#8a6100",
          borderWidth: 2,
          borderDash: [6, 4],
          pointStyle: "triangle",
          pointRadius: 5,
          order: 1,
        });
      case "target-line":
        return Object.assign(out, {
          type: "line",
          borderColor: MUTED,
          backgroundColor: MUTED,
          borderWidth: 2,
          borderDash: [2, 3],
          pointStyle: "line",
          pointRadius: 0,
          order: 1,
        });
      default:
        var colour = ds.emphasis ? INK : PALETTE[index % PALETTE.length];
        return Object.assign(out, {
          borderColor: colour,
          backgroundColor: colour,
          borderWidth: ds.emphasis ? 4 : 2,
          borderDash: ds.emphasis ? [] : DASHES[index % DASHES.length],
          pointStyle: ds.emphasis ? "circle" : POINTS[index % POINTS.length],
          pointRadius: ds.emphasis ? 5 : 4,
          tension: 0,
        });
    }
  }

  // Dashed reference lines at the light thresholds, labelled with their text.
  var thresholdLines = {
    id: "thresholdLines",
    afterDatasetsDraw: function (chart, args, options) {
      if (!options || !options.lines) return;
      var y = chart.scales.y;
      var area = chart.chartArea;
      var ctx = chart.ctx;
      ctx.save();
      options.lines.forEach(function (line) {
        if (line.value < y.min || line.value > y.max) return;
        var py = y.getPixelForValue(line.value);
        ctx.strokeStyle = line.colour;
        ctx.lineWidth = 1;
        ctx.setLineDash([5, 4]);
        ctx.beginPath();
        ctx.moveTo(area.left, py);
        ctx.lineTo(area.right, py);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = line.colour;
        ctx.font = "12px system-ui, sans-serif";
        ctx.textAlign = "right";
        ctx.fillText(line.text, area.right - 4, py - 4);
      });
      ctx.restore();
    },
  };

  function format(value, unit) {
    if (value === null || value === undefined) return "—";
    var text = Number(value).toLocaleString("zh-TW", { maximumFractionDigits: 2 });
    if (!unit) return text;
    return unit === "%" ? text + "%" : text + " " + unit;
  }

  function build(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") return;
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (e) {
      return;
    }
    var kind = spec.kind || "line";
    var lines = [];
    var colon = spec.colon || ": ";
    if (spec.thresholds) {
      var names = spec.thresholdLabels || {};
      var green = spec.thresholds.green, yellow = spec.thresholds.yellow;
      lines.push({ value: green, colour: "#1e7b34", text: (green + "% " + (names.green || "")).trim() });
      lines.push({ value: yellow, colour: "#8a6100", text: (yellow + "% " + (names.yellow || "")).trim() });
    }
    var unit = spec.unit || "";
    var y = { beginAtZero: true, grid: { color: GRID }, ticks: { color: INK } };
    if (spec.yMin !== undefined && spec.yMin !== null) y.min = spec.yMin;
    if (spec.yMax !== undefined && spec.yMax !== null) y.suggestedMax = spec.yMax;
    if (spec.yLabel) y.title = { display: true, text: spec.yLabel, color: INK };
    y.ticks.callback = function (v) {
      return unit === "%" ? v + "%" : v;
    };
    new window.Chart(canvas, {
      type: kind,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (ds, i) {
          return styled(ds, i, kind);
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion() ? false : { duration: 400 },
        interaction: { mode: "index", intersect: false },
        scales: { x: { grid: { display: false }, ticks: { color: INK } }, y: y },
        plugins: {
          legend: { position: "bottom", labels: { color: INK, usePointStyle: true, boxWidth: 28 } },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + colon + format(item.raw, unit);
              },
            },
          },
          thresholdLines: { lines: lines },
        },
      },
      plugins: [thresholdLines],
    });
  }

  function init() {
    if (typeof window.Chart === "undefined") return;
    document.documentElement.classList.add("charts-ready");
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), build);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
