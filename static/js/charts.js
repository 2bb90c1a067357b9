// Statistics charts (统计分析): drawn with the vendored ECharts from the data
// the page carries (<script type="application/json" id="chart-data">); each
// chart's numbers are the table beside it, and clicking a bar or a slice
// follows that row's link to the list behind the number.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") return;
  const charts = [];
  const rowLink = (key, index) => {
    const rows = document.querySelectorAll(`#table-${key} tbody tr`);
    const link = rows[index] && rows[index].querySelector("a.stat-link");
    return link ? link.href : "";
  };
  const narrow = () => window.matchMedia("(max-width: 576px)").matches;
  JSON.parse(source.textContent).forEach((spec) => {
    const box = document.querySelector(`[data-chart="${spec.key}"]`);
    if (!box) return;
    const chart = echarts.init(box, null, { renderer: "svg" });
    let option;
    if (spec.type === "pie") {
      option = {
        tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
        series: [
          {
            type: "pie",
            radius: narrow() ? "55%" : "65%",
            data: spec.labels.map((name, i) => ({ name, value: spec.values[i] })),
            label: { formatter: "{b}：{c}" },
          },
        ],
      };
    } else {
      const series = [
        { type: "bar", name: spec.title, data: spec.values, label: { show: true, position: "top" } },
      ];
      if (spec.target) {
        series[0].name = "交流比例(%)";
        series.push({ type: "bar", name: "目标(%)", data: spec.target, label: { show: true, position: "top" } });
      }
      option = {
        tooltip: { trigger: "axis" },
        legend: spec.target ? {} : undefined,
        grid: { left: 40, right: 10, top: 30, bottom: 60 },
        xAxis: {
          type: "category",
          data: spec.labels,
          axisLabel: { interval: 0, rotate: spec.labels.length > 4 || narrow() ? 30 : 0 },
        },
        yAxis: { type: "value", minInterval: 1 },
        series,
      };
    }
    chart.setOption(option);
    chart.on("click", (event) => {
      const href = rowLink(spec.key, event.dataIndex);
      if (href) window.location.href = href;
    });
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
});
