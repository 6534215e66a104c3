/* Charts of the statistics page and the monthly report (Chart.js, served from our static files).
   The data come from <script type="application/json" id="chart-data"> (json_script): the CSP
   allows no inline script. Each chart draws into its <canvas data-chart="...">, if the page has one. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var printing = document.body.classList.contains("print");
  var palette = ["#1f5fa8", "#2e8b57", "#d08a00", "#b03a2e", "#6a4c93", "#00838f", "#7f8c8d", "#c2185b"];
  Chart.defaults.font.family = '"Noto Sans CJK SC","WenQuanYi Micro Hei","PingFang SC","Microsoft YaHei",sans-serif';
  Chart.defaults.animation = printing ? false : Chart.defaults.animation;
  Chart.defaults.maintainAspectRatio = false;

  function percentAxis() {
    return { min: 0, max: 100, title: { display: true, text: data.percent } };
  }

  var builders = {
    trend: function (d) {
      var sets = [{ type: "bar", label: d.registered.label, data: d.registered.data, yAxisID: "count",
                    backgroundColor: "rgba(31,95,168,0.35)", order: 2 }];
      d.rates.forEach(function (r, i) {
        sets.push({ type: "line", label: r.label, data: r.data, yAxisID: "rate", spanGaps: true,
                    borderColor: palette[i + 1], backgroundColor: palette[i + 1], tension: 0.2, order: 1 });
      });
      return { data: { labels: d.labels, datasets: sets },
               options: { scales: { count: { position: "left", beginAtZero: true },
                                    rate: Object.assign(percentAxis(), { position: "right", grid: { drawOnChartArea: false } }) } } };
    },
    departments: function (d) {
      return { type: "bar",
               data: { labels: d.labels, datasets: d.datasets.map(function (s, i) {
                 return { label: s.label, data: s.data, backgroundColor: palette[i + 1] }; }) },
               options: { indexAxis: "y", scales: { x: percentAxis() } } };
    },
    channels: function (d) {
      return { type: "doughnut",
               data: { labels: d.labels, datasets: [{ data: d.data, backgroundColor: palette }] },
               options: { plugins: { legend: { position: "right" } } } };
    },
    categories: function (d) {
      return { type: "bar",
               data: { labels: d.labels, datasets: [{ label: d.label, data: d.data, backgroundColor: palette[0] }] },
               options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } } };
    }
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var name = canvas.getAttribute("data-chart");
    var build = builders[name];
    if (!build || !data[name]) { return; }
    var config = build(data[name]);
    config.type = config.type || "bar";
    var chart = new Chart(canvas, config);
    canvas.setAttribute("data-drawn", "1");
    window.addEventListener("beforeprint", function () { chart.resize(); });
  });
})();
