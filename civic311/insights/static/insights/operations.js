// The operations dashboard's two charts (Chart.js, vendored), drawn from the JSON block the page carries:
// the same figures as its tables, which work without this script.
(function () {
  "use strict";
  var source = document.getElementById("operations-chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var time = document.getElementById("operations-time-chart");
  if (time && data.steps.length) {
    new window.Chart(time, {
      data: {
        labels: data.steps,
        datasets: [
          { type: "bar", label: data.labels.filed, data: data.filed, backgroundColor: "#0d6efd", yAxisID: "y" },
          { type: "bar", label: data.labels.closed, data: data.closed, backgroundColor: "#198754", yAxisID: "y" },
          { type: "line", label: data.labels.on_time, data: data.on_time, borderColor: "#fd7e14", pointRadius: 2, spanGaps: true, yAxisID: "rate" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { beginAtZero: true, position: "left" },
          rate: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false } }
        }
      }
    });
    time.dataset.drawn = "true";
  }
  var departments = document.getElementById("operations-department-chart");
  if (departments && data.departments.length) {
    new window.Chart(departments, {
      type: "bar",
      data: {
        labels: data.departments,
        datasets: [
          { label: data.labels.on_time, data: data.department_on_time, backgroundColor: "#fd7e14" },
          { label: data.labels.completion, data: data.department_completion, backgroundColor: "#198754" }
        ]
      },
      options: { indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { min: 0, max: 100 } } }
    });
    departments.dataset.drawn = "true";
  }
})();
