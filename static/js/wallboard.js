/* The wallboard's charts (Chart.js, vendored) from the page's json_script data, redrawn after each
 * live refetch (live.js replaces #live-region and fires "live:updated"). The board is greyed out
 * and says so whenever the live indicator is not "live": a room must never read stale figures as
 * current. */
(function () {
  "use strict";
  var COLOURS = ["#60a5fa", "#34d399", "#fbbf24", "#f472b6", "#a78bfa", "#f87171"];
  var charts = [];

  function data() {
    var el = document.getElementById("wallboard-data");
    try { return el ? JSON.parse(el.textContent) : null; } catch (e) { return null; }
  }

  function draw() {
    var d = data();
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    if (!d || typeof Chart === "undefined") return;
    Chart.defaults.color = "#e6edf7";
    Chart.defaults.font.size = 18;
    var intake = document.getElementById("chart-intake");
    if (intake) {
      charts.push(new Chart(intake, {
        type: "bar",
        data: {
          labels: d.hours,
          datasets: d.intake.map(function (s, i) {
            return { label: s.label, data: s.counts, backgroundColor: COLOURS[i % COLOURS.length], stack: "intake" };
          })
        },
        options: { animation: false, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
      }));
    }
    var depts = document.getElementById("chart-departments");
    if (depts) {
      charts.push(new Chart(depts, {
        type: "bar",
        data: {
          labels: d.departments.map(function (r) { return r.name; }),
          datasets: [
            { label: depts.getAttribute("data-open-label") || "在办", data: d.departments.map(function (r) { return r.open; }), backgroundColor: "#60a5fa" },
            { label: depts.getAttribute("data-overdue-label") || "超期", data: d.departments.map(function (r) { return r.overdue; }), backgroundColor: "#f87171" }
          ]
        },
        options: { animation: false, indexAxis: "y", maintainAspectRatio: false, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
      }));
    }
  }

  function markStale() {
    var board = document.getElementById("wallboard");
    var indicator = document.getElementById("live-indicator");
    if (!board) return;
    var live = indicator && indicator.getAttribute("data-state") === "live";
    board.classList.toggle("wb-stale", !live);
    board.setAttribute("data-live", live ? "on" : "off");
  }

  document.addEventListener("live:updated", function () { draw(); markStale(); });
  var indicator = document.getElementById("live-indicator");
  if (indicator && "MutationObserver" in window) {
    new MutationObserver(markStale).observe(indicator, { attributes: true, attributeFilter: ["data-state"] });
  }
  draw();
  markStale();
})();
