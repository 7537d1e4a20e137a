// Dashboard charts: the numbers come from the json_script element the page renders (the same numbers as the
// tables beside the charts); series names from the canvases' data-* attributes (translated by the server).
// Charts are drawn again after every htmx swap of the dashboard's body. Each chart is drawn when its canvas
// comes near the screen: on a phone most of them are far below the headline figures, and drawing them all at
// once held the page's main thread for about 300 ms (Lighthouse's total blocking time).
(() => {
  const charts = [];
  let observer = null;

  const draw = () => {
    const source = document.getElementById("dashboard-data");
    charts.splice(0).forEach((chart) => chart.destroy());
    if (observer) observer.disconnect();
    if (!source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const builders = {};
    // No animation: the numbers are what matters, and a chart redrawn after each filter change should not
    // move (nor catch a screenshot or a reader mid-way).
    Chart.defaults.animation = false;
    // Numbers on the axes the page's way: 5.000 in Indonesian, 5,000 in English.
    Chart.defaults.locale = document.documentElement.lang || "id";
    const green = "#1b7a4a";
    const amber = "#e0a100";
    const blue = "#2f6fb0";
    const grey = "#8a8f98";

    builders["chart-trend"] = (trend) =>
      charts.push(
        new Chart(trend, {
          data: {
            labels: data.trend.labels,
            datasets: [
              { type: "bar", label: trend.dataset.awarded, data: data.trend.awarded, backgroundColor: blue, yAxisID: "t" },
              { type: "bar", label: trend.dataset.completed, data: data.trend.completed, backgroundColor: green, yAxisID: "t" },
              { type: "line", label: trend.dataset.banten, data: data.trend.banten, borderColor: amber, yAxisID: "pct", spanGaps: true },
              { type: "line", label: trend.dataset.japnas, data: data.trend.japnas, borderColor: grey, yAxisID: "pct", spanGaps: true },
            ],
          },
          options: {
            maintainAspectRatio: false,
            scales: {
              t: { position: "left", beginAtZero: true },
              pct: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } },
            },
          },
        }),
      );
    builders["chart-routes"] = (routes) =>
      charts.push(
        new Chart(routes, {
          type: "bar",
          data: { labels: data.routes.labels, datasets: [{ label: routes.dataset.tonnes, data: data.routes.tonnes, backgroundColor: green }] },
          options: { indexAxis: "y", maintainAspectRatio: false, plugins: { legend: { display: false } } },
        }),
      );
    builders["chart-categories"] = (categories) =>
      charts.push(
        new Chart(categories, {
          type: "bar",
          data: {
            labels: data.categories.labels,
            datasets: [
              { label: categories.dataset.listed, data: data.categories.listed, backgroundColor: grey },
              { label: categories.dataset.awarded, data: data.categories.awarded, backgroundColor: blue },
              { label: categories.dataset.completed, data: data.categories.completed, backgroundColor: green },
            ],
          },
          options: { maintainAspectRatio: false },
        }),
      );
    const build = (canvas) => builders[canvas.id](canvas);
    const canvases = Object.keys(builders).map((id) => document.getElementById(id)).filter(Boolean);
    if (!("IntersectionObserver" in window)) {
      canvases.forEach(build);
      return;
    }
    observer = new IntersectionObserver(
      (entries) =>
        entries.forEach((entry) => {
          if (!entry.isIntersecting) return;
          observer.unobserve(entry.target);
          build(entry.target);
        }),
      { rootMargin: "200px 0px" },
    );
    canvases.forEach((canvas) => observer.observe(canvas));
  };

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target && event.target.id === "dashboard-body") draw();
  });
})();
