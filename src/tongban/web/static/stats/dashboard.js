/* Statistics dashboard: draws every [data-chart] element with Apache ECharts from the
   JSON in #stats-charts (written by the server; web/pages/stats.py). Without ECharts (not
   installed: `make assets`) the data tables are opened instead. Clicking a bar or a cell
   that has a drill-down link opens the case list. */
(function () {
  "use strict";

  var PALETTE = ["#0b4f9c", "#c9a227", "#1a7f37", "#9a1c1c", "#6a4c93", "#e07b39", "#2a9d8f",
    "#5c6b7a"];
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function fmt(value, unit) {
    if (value === null || value === undefined || value === "-") { return "—"; }
    return Number(value).toLocaleString() + (unit ? " " + unit : "");
  }

  function base(spec) {
    return {
      color: spec.colors || PALETTE,
      animation: !reduceMotion,
      animationDuration: 400,
      textStyle: { fontFamily: "inherit" },
      grid: { left: 12, right: 24, top: 40, bottom: 12, containLabel: true },
      tooltip: { confine: true }
    };
  }

  function axisZoom(option, n) {
    if (n > 24) {
      option.dataZoom = [{ type: "inside" }, { type: "slider", height: 18, bottom: 4 }];
      option.grid.bottom = 36;
    }
  }

  var builders = {
    stacked: function (spec) {
      var option = base(spec);
      option.tooltip.trigger = "axis";
      option.tooltip.valueFormatter = function (v) { return fmt(v, spec.unit); };
      option.legend = { top: 0, type: "scroll" };
      option.xAxis = { type: "category", data: spec.categories };
      option.yAxis = { type: "value", name: spec.unit, minInterval: 1 };
      option.series = spec.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "total", data: s.data, barMaxWidth: 56,
          emphasis: { focus: "series" } };
      });
      axisZoom(option, spec.categories.length);
      return option;
    },
    grouped: function (spec) {
      var option = base(spec);
      option.tooltip.trigger = "axis";
      option.tooltip.valueFormatter = function (v) { return fmt(v, spec.unit); };
      option.legend = { top: 0, type: "scroll" };
      option.xAxis = { type: "category", data: spec.categories, axisLabel: { interval: 0 } };
      option.yAxis = { type: "value", name: spec.unit };
      option.series = spec.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data, barMaxWidth: 36 };
      });
      return option;
    },
    pie: function (spec) {
      var option = base(spec);
      option.tooltip.trigger = "item";
      option.tooltip.formatter = function (p) {
        return p.marker + p.name + ": " + fmt(p.value, spec.unit) + " (" + p.percent + "%)";
      };
      option.legend = { bottom: 0, type: "scroll" };
      option.series = [{
        type: "pie", radius: ["38%", "68%"], center: ["50%", "46%"],
        avoidLabelOverlap: true,
        label: { formatter: "{b}\n{d}%" },
        data: spec.items.filter(function (i) { return i.value > 0; })
          .map(function (i) { return { name: i.name, value: i.value }; })
      }];
      return option;
    },
    share: function (spec) {
      var option = base(spec);
      option.series = spec.items.map(function (item, index) {
        var x = (25 + index * 50) + "%";
        return {
          type: "gauge", center: [x, "58%"], radius: "70%", min: 0, max: 100,
          startAngle: 200, endAngle: -20, splitNumber: 5,
          progress: { show: true, width: 14 },
          axisLine: { lineStyle: { width: 14 } },
          axisTick: { show: false }, splitLine: { length: 8 },
          axisLabel: { distance: 18, fontSize: 11 },
          pointer: { show: false },
          title: { offsetCenter: [0, "70%"], fontSize: 14 },
          detail: { valueAnimation: true, formatter: "{value}%", offsetCenter: [0, "10%"], fontSize: 26 },
          itemStyle: { color: PALETTE[index] },
          data: [{ value: Math.round(item.value * 1000) / 10, name: item.name }]
        };
      });
      return option;
    },
    hbar: function (spec) {
      var option = base(spec);
      option.grid.right = 48;
      option.tooltip.trigger = "axis";
      option.tooltip.axisPointer = { type: "shadow" };
      option.tooltip.valueFormatter = function (v) { return fmt(v, spec.unit); };
      var categories = spec.categories.slice().reverse();
      var values = spec.values.slice().reverse();
      var highlight = (spec.highlight || []).slice().reverse();
      option.yAxis = { type: "category", data: categories, axisLabel: { width: 180, overflow: "truncate" } };
      option.xAxis = { type: "value", name: spec.unit, minInterval: 1 };
      option.series = [{
        type: "bar", barMaxWidth: 26, data: values.map(function (v, i) {
          return { value: v, itemStyle: { color: highlight[i] ? PALETTE[3] : PALETTE[0] } };
        }),
        label: { show: true, position: "right", formatter: function (p) { return fmt(p.value); } }
      }];
      if (spec.highlight_name) {
        option.graphic = [{
          type: "group", right: 10, top: 4, children: [
            { type: "rect", shape: { width: 12, height: 12 }, style: { fill: PALETTE[3] } },
            { type: "text", left: 16, style: { text: spec.highlight_name, fontSize: 12 } },
            { type: "rect", top: 18, shape: { width: 12, height: 12 }, style: { fill: PALETTE[0] } },
            { type: "text", left: 16, top: 18, style: { text: spec.other_name, fontSize: 12 } }
          ]
        }];
        option.grid.top = 44;
      }
      var links = (spec.links || []).slice().reverse();
      option._link = function (params) { return links[params.dataIndex]; };
      return option;
    },
    heatmap: function (spec) {
      var option = base(spec);
      var max = 1;
      spec.data.forEach(function (d) { if (d[2] > max) { max = d[2]; } });
      var rotate = spec.x.length > 6 ? 30 : 0;
      option.grid.right = 96;
      option.grid.bottom = rotate ? 50 : 36;
      option.tooltip.position = "top";
      option.tooltip.formatter = function (p) {
        return spec.y_name + ": " + spec.y[p.value[1]] + "<br>" + spec.x_name + ": " +
          spec.x[p.value[0]] + "<br>" + fmt(p.value[2], spec.unit);
      };
      option.xAxis = { type: "category", data: spec.x, name: spec.x_name, nameLocation: "middle",
        nameGap: rotate ? 70 : 36, splitArea: { show: true }, axisLabel: { interval: 0, rotate: rotate } };
      option.yAxis = { type: "category", data: spec.y, name: spec.y_name, splitArea: { show: true } };
      option.visualMap = { min: 0, max: max, calculable: true, orient: "vertical", right: 0,
        top: "middle", itemHeight: 160, inRange: { color: ["#eef4fb", "#0b4f9c"] } };
      option.series = [{ type: "heatmap", data: spec.data, label: { show: true },
        emphasis: { itemStyle: { shadowBlur: 6, shadowColor: "rgba(0,0,0,.4)" } } }];
      option._link = function (params) { return spec.links[params.value[0] + "," + params.value[1]]; };
      return option;
    },
    bar_line: function (spec) {
      var option = base(spec);
      option.tooltip.trigger = "axis";
      option.legend = { top: 0 };
      option.xAxis = { type: "category", data: spec.categories };
      option.yAxis = [
        { type: "value", name: spec.unit, minInterval: 1 },
        { type: "value", name: "%", min: 0, max: 100, splitLine: { show: false } }
      ];
      option.series = [
        { name: spec.bars.name, type: "bar", data: spec.bars.data, barMaxWidth: 56,
          itemStyle: { color: "#9db8da" },
          tooltip: { valueFormatter: function (v) { return fmt(v, spec.unit); } } },
        { name: spec.line.name, type: "line", yAxisIndex: 1, data: spec.line.data, connectNulls: true,
          itemStyle: { color: PALETTE[3] }, tooltip: { valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } } }
      ];
      if (spec.line2) {
        option.series.push({ name: spec.line2.name, type: "line", yAxisIndex: 1, data: spec.line2.data,
          connectNulls: true, itemStyle: { color: PALETTE[2] },
          tooltip: { valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } } });
      }
      axisZoom(option, spec.categories.length);
      return option;
    }
  };

  function draw() {
    var source = document.getElementById("stats-charts");
    if (!source) { return; }
    var specs = JSON.parse(source.textContent);
    var nodes = document.querySelectorAll("[data-chart]");
    if (!window.echarts) {
      nodes.forEach(function (node) {
        node.classList.add("chart-missing");
        node.removeAttribute("role");
        node.textContent = node.getAttribute("data-missing");
        var details = node.parentNode.querySelector("details");
        if (details) { details.open = true; }
      });
      return;
    }
    var locale = document.documentElement.lang === "en" ? "EN" : "ZH";
    var charts = [];
    nodes.forEach(function (node) {
      var spec = specs[node.getAttribute("data-chart")];
      var build = spec && builders[spec.type];
      if (!build || node.classList.contains("chart-hidden")) { return; }
      var option = build(spec);
      var link = option._link;
      delete option._link;
      var chart = window.echarts.init(node, null, { renderer: "svg", locale: locale });
      chart.setOption(option);
      if (link) {
        chart.on("click", function (params) {
          var href = link(params);
          if (href) { window.location.href = href; }
        });
        node.classList.add("chart-links");
      }
      chart.on("finished", function () { node.setAttribute("data-rendered", "true"); });
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
