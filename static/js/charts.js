// The evaluation page's charts (ECharts 5, vendored in static/vendor). The figures come from
// the page's JSON data block (#evaluation-chart-data, never executed), the boxes are the
// [data-chart] elements. Under the CSP (script-src 'self'; style-src 'self') nothing here is
// inline: ECharts sizes its own DOM through the CSSOM, draws on canvas, and its tooltips use
// the canvas (richText) renderer, because HTML tooltips carry style attributes the CSP refuses.
// htmx swaps the evaluation block (scope switch, scoring, 定稿): the charts are drawn again.
(function () {
  "use strict";

  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  var C = {
    accent: "#1f5fa8", weight: "#d5e0ee", ink: "#1f2933", soft: "#52606d", faint: "#7b8794", line: "#d9dee4",
    amber: "#d9822b", red: "#b42318", green: "#1e7b45", grey: "#9aa5b1"
  };
  var DAY = 24 * 3600 * 1000;
  var live = [];

  function readData() {
    var block = document.getElementById("evaluation-chart-data");
    if (!block) { return null; }
    try { return JSON.parse(block.textContent); } catch (e) { return null; }
  }

  function num(value, places) {
    if (value === null || value === undefined) { return "—"; }
    return Number(value).toLocaleString("zh-CN", { minimumFractionDigits: places, maximumFractionDigits: places });
  }

  function base() {
    return {
      animation: false,
      textStyle: { fontFamily: FONT, color: C.ink },
      tooltip: { renderMode: "richText", confine: true, backgroundColor: "#fff", borderColor: C.line,
                 textStyle: { fontFamily: FONT, color: C.ink, fontSize: 12 } }
    };
  }

  function axisLabel(extra) {
    var label = { color: C.soft, fontFamily: FONT, fontSize: 12 };
    for (var k in extra || {}) { label[k] = extra[k]; }
    return label;
  }

  // '2000万–5000万元' → '2000万–\n5000万': the band labels fit under their bars.
  function shortBand(label) {
    return label.replace(/元/g, "").replace("–", "–\n").replace("以下", "\n以下").replace("及以上", "\n及以上");
  }

  // 451 → 500, 87 → 90: an axis top that reads as a round number.
  function niceCeil(value) {
    if (!(value > 0)) { return 1; }
    var step = Math.pow(10, Math.floor(Math.log10(value))) / 2;
    return Math.ceil(value / step) * step;
  }

  // (a) 各一级指标：得分 against 分值, the score bar drawn over its weight.
  function levels(d) {
    var rows = d.levels || [];
    var option = base();
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.tooltip.formatter = function (params) {
      var i = params[0].dataIndex, r = rows[i];
      var rate = r.weight ? r.score / r.weight * 100 : 0;
      return r.name + "\n得分 " + num(r.score, 2) + " / 分值 " + r.weight + "（得分率 " + num(rate, 1) + "%）";
    };
    option.legend = { data: ["分值", "得分"], top: 0, right: 0, textStyle: { fontFamily: FONT, color: C.soft } };
    option.grid = { left: 44, right: 16, top: 36, bottom: 28 };
    option.xAxis = { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: axisLabel(),
                     axisTick: { show: false }, axisLine: { lineStyle: { color: C.line } } };
    option.yAxis = { type: "value", name: "分", min: 0, nameTextStyle: { color: C.faint }, axisLabel: axisLabel(),
                     splitLine: { lineStyle: { color: "#eef0f2" } } };
    option.series = [
      { name: "分值", type: "bar", barWidth: "46%", itemStyle: { color: C.weight },
        data: rows.map(function (r) { return r.weight; }), z: 1,
        label: { show: true, position: "top", color: C.faint, fontFamily: FONT, formatter: "分值 {c}" } },
      { name: "得分", type: "bar", barWidth: "30%", barGap: "-82%", z: 2,
        data: rows.map(function (r) {
          return { value: r.score, itemStyle: { color: r.score < r.weight ? C.amber : C.accent } };
        }),
        label: { show: true, position: "insideTop", color: "#fff", fontWeight: 600, fontFamily: FONT,
                 formatter: function (p) { return num(p.value, 2); } } }
    ];
    return option;
  }

  // (b) 营业收入分布: enterprises per band, median and mean marked, the top two's share beside it.
  function revenue(d) {
    var r = d.revenue || {};
    var bands = r.bands || [];
    var labels = bands.map(function (b) { return b.label; });
    var option = base();
    option.tooltip.trigger = "item";
    option.tooltip.formatter = function (p) {
      if (p.seriesType === "pie") { return p.name + "\n" + num(p.value, 2) + " 万元（" + num(p.percent, 2) + "%）"; }
      if (p.componentType === "markLine") { return p.name; }
      return p.name + "\n" + p.value + " 家";
    };
    option.grid = { left: 40, right: "34%", top: 40, bottom: 56 };
    option.xAxis = { type: "category", data: labels, axisTick: { show: false }, axisLine: { lineStyle: { color: C.line } },
                     axisLabel: axisLabel({ interval: 0, fontSize: 11, formatter: shortBand }) };
    // Headroom above the tallest bar, so the median and mean labels sit clear of the bars' own.
    option.yAxis = { type: "value", name: "企业数（家）", minInterval: 1, nameTextStyle: { color: C.faint }, axisLabel: axisLabel(),
                     max: function (v) { return Math.max(Math.ceil(v.max * 1.35), v.max + 2); },
                     splitLine: { lineStyle: { color: "#eef0f2" } } };
    var marks = [];
    var median = "中位数 " + num(r.median_wan, 0) + " 万元", mean = "平均值 " + num(r.mean_wan, 0) + " 万元";
    if (r.median_band && r.median_band === r.mean_band) {
      marks.push({ xAxis: r.median_band, name: median + "；" + mean, label: { formatter: median + "\n" + mean } });
    } else {
      if (r.median_band) {
        marks.push({ xAxis: r.median_band, name: median, lineStyle: { color: C.green },
                     label: { formatter: median, color: C.green, position: "end" } });
      }
      if (r.mean_band) {
        marks.push({ xAxis: r.mean_band, name: mean + "（被收入最高的企业拉高）", lineStyle: { color: C.red },
                     label: { formatter: mean, color: C.red, position: "end" } });
      }
    }
    option.series = [{
      name: "企业数", type: "bar", barWidth: "56%", itemStyle: { color: C.accent },
      data: bands.map(function (b) { return b.count; }),
      label: { show: true, position: "top", color: C.ink, fontFamily: FONT, formatter: function (p) { return p.value ? p.value + " 家" : ""; } },
      markLine: { symbol: "none", silent: false, data: marks,
                  lineStyle: { type: "dashed", width: 1.5, color: C.amber },
                  label: { position: "end", fontFamily: FONT, fontSize: 11, color: C.amber } }
    }];
    if (r.top_two_share !== null && r.top_two_share !== undefined && r.total_wan) {
      var rest = Math.max(r.total_wan - r.top_two_wan, 0);
      var others = Math.max((r.enterprises || 0) - (r.top_two || []).length, 0);
      var topName = "收入最高两家", restName = "其余 " + others + " 家";
      option.series.push({
        name: "营业收入集中度", type: "pie", center: ["83%", "50%"], radius: ["30%", "52%"], startAngle: 90,
        data: [
          { name: topName, value: r.top_two_wan, itemStyle: { color: C.red } },
          { name: restName, value: rest, itemStyle: { color: C.grey } }
        ],
        label: { position: "inside", fontFamily: FONT, fontSize: 11, fontWeight: 600, color: "#fff",
                 formatter: function (p) { return p.percent >= 8 ? num(p.percent, 0) + "%" : ""; } },
        labelLine: { show: false }
      });
      option.legend = { data: [topName, restName], orient: "vertical", right: 4, bottom: 4, itemWidth: 12, itemHeight: 10,
                        textStyle: { fontFamily: FONT, fontSize: 11, color: C.soft } };
      option.title = { text: "收入最高两家占 " + num(r.top_two_share, 2) + "%", right: 4, top: 4,
                       textStyle: { fontFamily: FONT, fontSize: 12, fontWeight: 600, color: C.red } };
    }
    return option;
  }

  // (c) 拨付进度: payments per date, the cumulative amount, the deadline (and the budget).
  function payments(d) {
    var p = d.payments || {};
    var points = p.timeline || [];
    var times = points.map(function (x) { return Date.parse(x.date); });
    if (p.deadline) { times.push(Date.parse(p.deadline)); }
    var option = base();
    option.tooltip.trigger = "axis";
    option.tooltip.formatter = function (params) {
      var i = params[0].dataIndex, x = points[i];
      if (!x) { return ""; }
      return x.date + "\n拨付 " + x.payments + " 笔，" + num(x.amount_wan, 2) + " 万元\n累计 " + num(x.cumulative_wan, 2) + " 万元";
    };
    option.legend = { data: ["拨付笔数", "累计拨付金额"], top: 0, left: "center", textStyle: { fontFamily: FONT, color: C.soft } };
    option.grid = { left: 48, right: 64, top: 52, bottom: 32 };
    option.xAxis = { type: "time", min: Math.min.apply(null, times) - 7 * DAY, max: Math.max.apply(null, times) + 7 * DAY,
                     axisLabel: axisLabel({ hideOverlap: true, formatter: "{yyyy}-{MM}-{dd}" }),
                     axisLine: { lineStyle: { color: C.line } }, splitLine: { show: false } };
    option.yAxis = [
      { type: "value", name: "笔", minInterval: 1, nameTextStyle: { color: C.faint }, axisLabel: axisLabel(),
        splitLine: { lineStyle: { color: "#eef0f2" } } },
      { type: "value", name: "万元", min: 0, nameTextStyle: { color: C.faint }, axisLabel: axisLabel(), splitLine: { show: false } }
    ];
    var marks = [];
    if (p.deadline) {
      marks.push({ xAxis: p.deadline, name: "拨付期限 " + p.deadline, lineStyle: { color: C.red },
                   label: { formatter: "拨付期限\n" + p.deadline, color: C.red, position: "end" } });
    }
    if (p.budget_wan) {
      marks.push({ yAxis: p.budget_wan, name: "预算 " + num(p.budget_wan, 2) + " 万元", lineStyle: { color: C.green },
                   label: { formatter: "预算 " + num(p.budget_wan, 0) + " 万元", color: C.green, position: "insideEndTop" } });
      option.yAxis[1].max = function (v) { return niceCeil(Math.max(v.max, p.budget_wan) * 1.1); };
    }
    option.series = [
      { name: "拨付笔数", type: "bar", barMaxWidth: 22, itemStyle: { color: C.accent },
        data: points.map(function (x) { return [x.date, x.payments]; }),
        label: { show: true, position: "top", fontFamily: FONT, color: C.ink, formatter: function (q) { return q.value[1] + " 笔"; } } },
      { name: "累计拨付金额", type: "line", yAxisIndex: 1, step: "end", symbolSize: 7, itemStyle: { color: C.amber },
        data: points.map(function (x) { return [x.date, x.cumulative_wan]; }),
        markLine: { symbol: "none", data: marks, lineStyle: { type: "dashed", width: 1.5 },
                    label: { fontFamily: FONT, fontSize: 11 } } }
    ];
    return option;
  }

  var BUILDERS = { levels: levels, revenue: revenue, payments: payments };

  function render() {
    if (!window.echarts) { return; }
    live = live.filter(function (chart) {
      if (chart.isDisposed()) { return false; }
      if (!document.body.contains(chart.getDom())) { chart.dispose(); return false; }
      return true;
    });
    var boxes = document.querySelectorAll("[data-chart]");
    if (!boxes.length) { return; }
    var data = readData();
    if (!data) { return; }
    Array.prototype.forEach.call(boxes, function (box) {
      var build = BUILDERS[box.getAttribute("data-chart")];
      if (!build || window.echarts.getInstanceByDom(box)) { return; }
      var chart = window.echarts.init(box, null, { renderer: "canvas", locale: "ZH" });
      chart.setOption(build(data));
      box.setAttribute("data-rendered", "true");
      live.push(chart);
    });
  }

  document.addEventListener("htmx:load", render);
  document.addEventListener("htmx:afterSwap", render);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { live.forEach(function (chart) { if (!chart.isDisposed()) { chart.resize(); } }); }, 150);
  });
})();
