/* Supervisor dashboard charts (Apache ECharts, vendored). Data comes from the page's
   json_script block; clicking a bar or slice opens the filtered case list. No inline JS. */
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);

  function open(param, code) {
    if (!param || !code) { return; }
    var url = new URL(data.case_list, window.location.origin);
    url.searchParams.set(param, code);
    window.location.href = url.toString();
  }

  document.querySelectorAll(".chart").forEach(function (el) {
    var kind = el.getAttribute("data-kind");
    var param = el.getAttribute("data-param");
    var rows = data[kind] || [];
    var chart = echarts.init(el);
    var option;
    if (kind === "trend") {
      option = {
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: rows.map(function (r) { return r.day; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "line", smooth: true, areaStyle: {}, data: rows.map(function (r) { return r.value; }) }]
      };
    } else if (kind === "channel") {
      option = {
        tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["35%", "70%"],
          data: rows.map(function (r) { return { name: r.name, value: r.value, code: r.code }; }) }]
      };
    } else {
      option = {
        tooltip: { trigger: "axis" },
        grid: { left: 90, right: 20, top: 10, bottom: 20 },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.name; }) },
        series: [{ type: "bar", data: rows.map(function (r) { return { value: r.value, code: r.code }; }) }]
      };
    }
    chart.setOption(option);
    chart.on("click", function (p) { open(param, p.data && p.data.code); });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
