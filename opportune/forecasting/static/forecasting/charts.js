// Draws every <canvas data-chart="ID"> from the JSON config in <script id="ID">: those of the
// page, and those of each report card htmx swaps in later (the analytics pages load each report
// by its own request). Chart.js is served from this folder (chart.umd.min.js, v4.6.1); no build
// step, no CDN.
(function () {
  "use strict";
  const palette = ["#1f9d55", "#b7791f", "#7c4dd6", "#2f6fdb", "#d6404a", "#5b5bd6", "#7b7e8a"];
  const money = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart || window.Chart.getChart(canvas)) return;
    const config = JSON.parse(source.textContent);
    config.data.datasets.forEach(function (dataset, index) {
      const colour = dataset.color || palette[index % palette.length];
      dataset.backgroundColor = dataset.backgroundColor || colour + (config.type === "line" ? "33" : "cc");
      dataset.borderColor = dataset.borderColor || colour;
    });
    config.options = config.options || {};
    config.options.maintainAspectRatio = false;
    config.options.plugins = Object.assign({ legend: { position: "bottom" } }, config.options.plugins);
    if (config.money) {
      const axis = config.options.indexAxis === "y" ? "x" : "y";
      config.options.scales = config.options.scales || {};
      config.options.scales[axis] = Object.assign(config.options.scales[axis] || {}, {
        ticks: { callback: function (value) { return money.format(value); } },
      });
    }
    new window.Chart(canvas, config);
  }
  function drawAll(root) { root.querySelectorAll("canvas[data-chart]").forEach(draw); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else drawAll(document);
  document.addEventListener("htmx:load", function (event) { drawAll(event.detail.elt); });
})();
