/* The agent console: a running handle-time clock, and focus that follows the keyboard.
   Everything works without this file; the handle time that counts is computed by the server. */
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function format(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function startTimers() {
    var timers = document.querySelectorAll("[data-console-timer]");
    if (!timers.length) { return; }
    function tick() {
      timers.forEach(function (timer) {
        var started = Date.parse(timer.getAttribute("data-started"));
        if (!isNaN(started)) {
          timer.textContent = format(Math.max(0, Math.round((Date.now() - started) / 1000)));
        }
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  // After a redirect to #report, #wrap-up... put the keyboard there, not only the scroll position.
  function focusTarget() {
    if (!window.location.hash) { return; }
    var section = document.getElementById(window.location.hash.slice(1));
    if (!section) { return; }
    var field = section.querySelector("input:not([type=hidden]), textarea, select, button");
    if (field && document.activeElement === document.body) { field.focus(); }
  }

  // A report sent back with errors: take the agent to the list of what to correct.
  function focusErrors() {
    var summary = document.getElementById("report-errors");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("DOMContentLoaded", startTimers);
  // After "load": the browser has scrolled to the fragment by then, and would not move focus again.
  window.addEventListener("load", function () {
    focusErrors();
    focusTarget();
  });
})();
