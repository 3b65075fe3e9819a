// The forecast page's two charts (Chart.js, vendored), drawn from the JSON block the page carries: the
// same figures as its tables, which work without this script.
(function () {
  "use strict";
  var source = document.getElementById("forecast-chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var days = document.getElementById("forecast-days-chart");
  if (days && data.days.length) {
    new window.Chart(days, {
      type: "line",
      data: {
        labels: data.days,
        datasets: [
          { label: data.labels.contacts, data: data.contacts, borderColor: "#0d6efd", pointRadius: 2 },
          { label: data.labels.phone, data: data.phone, borderColor: "#198754", pointRadius: 2 },
          { label: data.labels.requests, data: data.requests, borderColor: "#fd7e14", pointRadius: 2 }
        ]
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } }
    });
    days.dataset.drawn = "true";
  }
  var day = document.getElementById("forecast-day-chart");
  if (day && data.half_hours.length) {
    new window.Chart(day, {
      data: {
        labels: data.half_hours,
        datasets: [
          { type: "bar", label: data.agents_label, data: data.agents, backgroundColor: "#6f42c1", yAxisID: "y" },
          { type: "line", label: data.calls_label, data: data.calls, borderColor: "#198754", pointRadius: 0, yAxisID: "calls" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { beginAtZero: true, position: "left" },
          calls: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } }
        }
      }
    });
    day.dataset.drawn = "true";
  }
})();
