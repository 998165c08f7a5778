/* A person's screening results over time (templates/wellbeing/screening/person.html): one Apache
   ECharts line chart per questionnaire, drawn from the page's JSON data block
   (#screening-chart-data, written by Django's json_script), with the questionnaire's bands shaded
   and labelled and each result coloured and shaped by its tier. The table beside each chart holds
   the same figures for screen readers and printing. No inline script: this file is the only code. */
(function () {
  "use strict";

  function escape(text) {
    return window.echarts.format.encodeHTML(String(text));
  }

  function tooltip(labels, point) {
    var lines = [
      "<strong>" + escape(point.date) + "</strong>",
      escape(labels.score) + ": " + escape(point.score),
      escape(labels.band) + ": " + escape(point.band),
      escape(labels.tier) + ": " + escape(point.tierLabel) + (point.reviewed ? " (" + escape(labels.reviewed) + ")" : ""),
    ];
    return lines.join("<br>");
  }

  // A y-axis step that divides the scale evenly, so its top (27 for PHQ-9) is labelled like the rest.
  function step(min, max) {
    var span = max - min;
    var nice = [1, 2, 5, 10, 20, 25, 50];
    var other = [3, 4, 6, 7, 8, 9];
    var i;
    for (i = 0; i < nice.length; i++) {
      if (span % nice[i] === 0 && span / nice[i] <= 8) { return nice[i]; }
    }
    for (i = 0; i < other.length; i++) {
      if (span % other[i] === 0 && span / other[i] <= 10) { return other[i]; }
    }
    return null;
  }

  function option(data, chart, narrow) {
    var labels = data.labels;
    var areas = chart.bands.map(function (band) {
      return [
        {
          name: band.label,
          yAxis: band.from,
          itemStyle: { color: band.colour, opacity: 0.12 },
          label: { color: "#495057", fontSize: narrow ? 10 : 11 },
        },
        { yAxis: band.to },
      ];
    });
    var points = chart.points.map(function (point) {
      return {
        value: [point.time, point.score],
        point: point,
        symbol: point.symbol,
        symbolSize: point.tier === "red" ? 14 : 11,
        itemStyle: { color: point.colour, borderColor: "#212529", borderWidth: 1 },
      };
    });
    var day = 24 * 3600 * 1000;
    var times = chart.points.map(function (p) { return p.time; });
    var first = Math.min.apply(null, times);
    var last = Math.max.apply(null, times);
    // A little room either side, so the first and last points are not on the chart's edges.
    var pad = Math.max((last - first) * 0.06, 3 * day);
    return {
      animation: false,
      aria: { enabled: false },
      grid: { left: narrow ? 34 : 44, right: narrow ? 18 : 28, top: 14, bottom: 30, containLabel: false },
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: function (params) {
          return params.data && params.data.point ? tooltip(labels, params.data.point) : "";
        },
      },
      xAxis: {
        type: "time",
        min: first - pad,
        max: last + pad,
        splitNumber: narrow ? 3 : 5,
        axisLabel: { hideOverlap: true, fontSize: narrow ? 10 : 12 },
        splitLine: { show: false },
      },
      yAxis: {
        type: "value",
        min: chart.min,
        max: chart.max,
        interval: step(chart.min, chart.max) || undefined,
        name: labels.score,
        nameLocation: "middle",
        nameGap: narrow ? 24 : 32,
        axisLabel: { fontSize: narrow ? 10 : 12 },
        splitLine: { lineStyle: { type: "dashed", opacity: 0.5 } },
      },
      series: [
        {
          type: "line",
          name: chart.title,
          data: points,
          lineStyle: { color: "#6c757d", width: 2 },
          emphasis: { scale: 1.3 },
          markArea: {
            silent: true,
            label: { show: true, position: "insideTopLeft", overflow: "truncate" },
            data: areas,
          },
          markLine: {
            silent: true,
            symbol: "none",
            label: { show: false },
            lineStyle: { color: "#adb5bd", type: "solid", width: 1 },
            data: chart.bands.slice(1).map(function (band) { return { yAxis: band.from }; }),
          },
        },
      ],
    };
  }

  function draw() {
    var block = document.getElementById("screening-chart-data");
    if (!block || !window.echarts) {
      return;
    }
    var data = JSON.parse(block.textContent);
    var byCode = {};
    data.charts.forEach(function (chart) { byCode[chart.code] = chart; });
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var chart = byCode[element.getAttribute("data-chart")];
      if (!chart || !chart.points.length) {
        return;
      }
      var narrow = element.clientWidth < 480;
      element.style.width = "100%";
      element.style.height = (narrow ? 240 : 300) + "px";
      var instance = window.echarts.init(element, null, { renderer: "svg", locale: data.locale });
      instance.setOption(option(data, chart, narrow));
      instance.on("click", function (params) {
        if (params.data && params.data.point && params.data.point.url) {
          window.location.href = params.data.point.url;
        }
      });
      if (window.ResizeObserver) {
        var wasNarrow = narrow;
        new window.ResizeObserver(function () {
          var nowNarrow = element.clientWidth < 480;
          if (nowNarrow !== wasNarrow) {
            wasNarrow = nowNarrow;
            instance.setOption(option(data, chart, nowNarrow), { notMerge: true });
          }
          instance.resize();
        }).observe(element);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
