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
    var summary = document.getElementById("report-errors") || document.getElementById("import-errors");
    if (summary) { summary.focus(); return; }
    // An inbox reply or dismissal sent back with an error: its field, not the caller search's autofocus.
    var invalid = document.querySelector("#reply [aria-invalid=true], #dismiss [aria-invalid=true]");
    if (invalid) { invalid.focus(); }
  }

  // The inbox: "Insert into reply" puts a knowledge-base answer into the reply box (the buttons are hidden
  // until this script runs, since they do nothing without it), and the reply box counts what is left.
  function revealInsertButtons() {
    if (!document.getElementById("reply-text")) { return; }
    document.querySelectorAll("[data-insert-reply][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function countReply() {
    var box = document.getElementById("reply-text"), counter = document.getElementById("reply-counter");
    if (!box || !counter) { return; }
    var limit = parseInt(box.getAttribute("data-reply-limit"), 10);
    if (isNaN(limit)) { return; }
    var template = counter.getAttribute("data-left-template");
    if (!template) {
      template = counter.getAttribute("data-left") || "";
      counter.setAttribute("data-left-template", template);
    }
    if (template) { counter.textContent = template.replace("__LEFT__", String(limit - box.value.length)); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-insert-reply]") : null;
    var box = document.getElementById("reply-text");
    if (!button || !box) { return; }
    var text = button.getAttribute("data-insert-reply") || "";
    var start = box.selectionStart || 0, end = box.selectionEnd || 0;
    if (box.value && start === 0 && end === 0) { start = end = box.value.length; }
    var before = box.value.slice(0, start), after = box.value.slice(end);
    var glue = before && !/\s$/.test(before) ? "\n\n" : "";
    box.value = before + glue + text + after;
    box.focus();
    var caret = (before + glue + text).length;
    box.setSelectionRange(caret, caret);
    countReply();
  });
  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "reply-text") { countReply(); }
  });
  document.addEventListener("htmx:afterSettle", revealInsertButtons);
  document.addEventListener("DOMContentLoaded", revealInsertButtons);
  document.addEventListener("DOMContentLoaded", countReply);

  // The report form's map fills in the latitude and longitude by script, with no event: seen here, so that
  // the duplicate suggestions (which ask on "change") look at the pin's place too.
  function watchPinnedPoint() {
    var form = document.getElementById("report-form");
    var lat = form && form.querySelector("#id_lat"), long = form && form.querySelector("#id_long");
    if (!lat || !long) { return; }
    var seen = lat.value + "," + long.value;
    lat.addEventListener("change", function () { seen = lat.value + "," + long.value; });
    long.addEventListener("change", function () { seen = lat.value + "," + long.value; });
    window.setInterval(function () {
      var now = lat.value + "," + long.value;
      if (now === seen || document.activeElement === lat || document.activeElement === long) { return; }
      seen = now;
      lat.dispatchEvent(new Event("change", { bubbles: true }));
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", startTimers);
  document.addEventListener("DOMContentLoaded", watchPinnedPoint);
  // After "load": the browser has scrolled to the fragment by then, and would not move focus again.
  window.addEventListener("load", function () {
    focusErrors();
    focusTarget();
  });
})();
