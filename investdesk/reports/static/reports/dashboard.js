// Draws the dashboard's ECharts charts from the options the server computed (json_script), and the
// projector mode: one click to full screen with large type.
(function () {
  const data = document.getElementById("charts-data");
  const charts = [];
  if (data && window.echarts) {
    for (const spec of JSON.parse(data.textContent)) {
      const el = document.getElementById(spec.id);
      if (!el) continue;
      const chart = echarts.init(el, null, {renderer: "svg"});
      chart.setOption(Object.assign({animation: false}, spec.option));
      charts.push(chart);
    }
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  const big = document.getElementById("big-screen");
  if (big) {
    big.addEventListener("click", () => {
      document.body.classList.toggle("id-big");
      if (document.body.classList.contains("id-big") && document.documentElement.requestFullscreen) {
        document.documentElement.requestFullscreen().catch(() => {});
      } else if (document.fullscreenElement) {
        document.exitFullscreen();
      }
      setTimeout(() => charts.forEach((c) => c.resize()), 200);
    });
  }
})();
