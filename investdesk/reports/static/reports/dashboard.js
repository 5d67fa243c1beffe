// Draws the dashboard's ECharts charts from the options the server computed (each panel's
// data-charts, JSON), also in a panel fetched after the page (a section computed on its own), and the
// projector mode: one click to full screen with large type.
(function () {
  const charts = [];

  function draw(root) {
    if (!window.echarts || !root.querySelectorAll) return;
    const panels = root.matches && root.matches(".id-panel") ? [root] : root.querySelectorAll(".id-panel");
    for (const panel of panels) {
      if (!panel.dataset.charts) continue;
      for (const spec of JSON.parse(panel.dataset.charts)) {
        const el = document.getElementById(spec.id);
        if (!el || el.dataset.drawn) continue;
        const chart = echarts.init(el, null, {renderer: "svg"});
        chart.setOption(Object.assign({animation: false}, spec.option));
        el.dataset.drawn = "1";
        charts.push(chart);
      }
    }
  }

  draw(document);
  // A pending panel replaced by its section (htmx), or one whose section could not be computed.
  document.addEventListener("htmx:load", (event) => draw(event.detail.elt));
  for (const failure of ["htmx:responseError", "htmx:sendError", "htmx:timeout"]) {
    document.addEventListener(failure, (event) => {
      const panel = event.detail.elt;
      if (!panel.classList || !panel.classList.contains("id-pending")) return;
      panel.removeAttribute("aria-busy");
      const text = panel.querySelector(".id-pending-text");
      if (text) text.textContent = panel.dataset.failed;
    });
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
