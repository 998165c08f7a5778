/* The leading group's dashboard (templates/programme/dashboard.html): one Apache ECharts stacked
   bar chart per area, drawn from the page's JSON block (#dashboard-chart-data, written by Django's
   json_script) - the same figures as the table beside it. A figure not shown (too few people) is a
   gap in its bar, never a number. No inline script: this file is the only code. */
(function () {
  "use strict";

  function draw(element, chart, labels) {
    var narrow = element.clientWidth < 480;
    var instance = window.echarts.init(element, null, { renderer: "svg" });
    instance.setOption({
      animation: false,
      grid: { left: narrow ? 90 : 150, right: 16, top: 30, bottom: 24 },
      legend: { top: 0, type: "scroll", textStyle: { fontSize: narrow ? 10 : 11 } },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: function (value) {
          return value === null || value === undefined ? labels.suppressed : value;
        },
      },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        inverse: true,
        data: chart.units,
        axisLabel: { width: narrow ? 84 : 140, overflow: "truncate", fontSize: narrow ? 10 : 11 },
      },
      series: chart.series.map(function (series) {
        return {
          name: series.name,
          type: "bar",
          stack: "people",
          itemStyle: { color: series.colour },
          data: series.values.map(function (v) { return v === null ? "-" : v; }),
        };
      }),
    });
    window.addEventListener("resize", function () { instance.resize(); });
  }

  function start() {
    var block = document.getElementById("dashboard-chart-data");
    if (!block || !window.echarts) { return; }
    var data = JSON.parse(block.textContent);
    data.charts.forEach(function (chart) {
      var element = document.querySelector('[data-chart="' + chart.key + '"]');
      if (element && chart.units.length) { draw(element, chart, data.labels); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
