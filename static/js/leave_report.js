/* The HR leave report (templates/leave/report.html): one Apache ECharts bar chart, a bar per unit
   split into the annual leave taken and the leave untaken (together the unit's entitlement), drawn
   from the page's JSON data block (#leave-report-data, written by Django's json_script). The table
   below the chart holds the same figures for screen readers and printing. Units run down the page
   (horizontal bars), so long names and many units fit a phone; the chart resizes with its box.
   No inline script: this file is the only code. */
(function () {
  "use strict";

  function escape(text) {
    return window.echarts.format.encodeHTML(String(text));
  }

  function height(count, narrow) {
    return Math.max(narrow ? 200 : 240, count * (narrow ? 30 : 26) + 70);
  }

  function option(data, narrow) {
    var labels = data.labels;
    var units = data.units;
    return {
      animation: false,
      aria: { enabled: false },
      color: ["#0d6efd", "#ffc107"],
      legend: { top: 0, itemWidth: 14, textStyle: { fontSize: narrow ? 11 : 12 } },
      grid: { left: 8, right: narrow ? 12 : 24, top: 30, bottom: 24, containLabel: true },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        confine: true,
        formatter: function (params) {
          var unit = units[params[0].dataIndex];
          return [
            "<strong>" + escape(unit.label) + "</strong>",
            escape(labels.people) + ": " + escape(unit.people),
            escape(labels.taken) + ": " + escape(unit.taken),
            escape(labels.untaken) + ": " + escape(unit.untaken),
            escape(labels.hours) + ": " + escape(unit.hours),
          ].join("<br>");
        },
      },
      xAxis: {
        type: "value",
        name: labels.days,
        nameLocation: "middle",
        nameGap: 22,
        axisLabel: { fontSize: narrow ? 10 : 12, hideOverlap: true },
        splitLine: { lineStyle: { type: "dashed", opacity: 0.5 } },
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: units.map(function (u) { return u.name; }),
        axisLabel: { fontSize: narrow ? 10 : 12, width: narrow ? 90 : 180, overflow: "truncate" },
        axisTick: { show: false },
      },
      series: [
        { type: "bar", name: labels.taken, stack: "days", barMaxWidth: 22, data: units.map(function (u) { return u.taken; }) },
        { type: "bar", name: labels.untaken, stack: "days", barMaxWidth: 22, data: units.map(function (u) { return u.untaken; }) },
      ],
    };
  }

  function draw() {
    var block = document.getElementById("leave-report-data");
    var element = document.querySelector(".leave-report-chart");
    if (!block || !element || !window.echarts) {
      return;
    }
    var data = JSON.parse(block.textContent);
    if (!data || !data.units || !data.units.length) {
      return;
    }
    var narrow = element.clientWidth < 480;
    element.style.width = "100%";
    element.style.height = height(data.units.length, narrow) + "px";
    var instance = window.echarts.init(element, null, { renderer: "svg", locale: data.locale });
    instance.setOption(option(data, narrow));
    if (window.ResizeObserver) {
      var wasNarrow = narrow;
      new window.ResizeObserver(function () {
        var nowNarrow = element.clientWidth < 480;
        if (nowNarrow !== wasNarrow) {
          wasNarrow = nowNarrow;
          element.style.height = height(data.units.length, nowNarrow) + "px";
          instance.setOption(option(data, nowNarrow), { notMerge: true });
        }
        instance.resize();
      }).observe(element);
    } else {
      window.addEventListener("resize", function () { instance.resize(); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
