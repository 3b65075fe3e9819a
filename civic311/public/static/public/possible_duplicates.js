/* The report form's "Already reported?" panel with JavaScript. htmx asks for it as the address, the point
   and the words change (the attributes on #possible-duplicates); this file also asks when the map or "Use
   my location" fills in the point (a script's change fires no event), hides the button that does it
   without JavaScript, and lets "Report anyway" put the panel away for the requests it showed. Without this
   file the "Check for existing reports" button still works. */
(function () {
  "use strict";

  var panel = document.getElementById("possible-duplicates");
  var lat = document.getElementById("id_lat");
  var long = document.getElementById("id_long");
  if (!panel || !lat || !long || !window.htmx) {
    return;
  }
  var check = document.querySelector("[data-duplicate-check]");
  if (check) {
    check.hidden = true;
  }

  // The point as the map left it: typed coordinates ask on their own "change"; a pin dropped by a script
  // is seen here.
  var point = lat.value + "," + long.value;
  window.setInterval(function () {
    var now = lat.value + "," + long.value;
    var typing = document.activeElement === lat || document.activeElement === long;
    if (now !== point && !typing) {
      point = now;
      window.htmx.trigger(panel, "duplicatescheck");
    }
  }, 1000);
  [lat, long].forEach(function (input) {
    input.addEventListener("change", function () {
      point = lat.value + "," + long.value;
    });
  });

  // "Report anyway": these requests are not shown again while the resident writes; others may be.
  var dismissed = {};
  function putAway() {
    var cards = panel.querySelectorAll("[data-tracking-number]");
    var left = 0;
    Array.prototype.forEach.call(cards, function (card) {
      if (dismissed[card.getAttribute("data-tracking-number")]) {
        card.hidden = true;
      } else {
        left += 1;
      }
    });
    var section = panel.querySelector("[data-duplicates-panel]");
    if (section && cards.length && !left) {
      section.hidden = true;
    }
  }
  panel.addEventListener("click", function (event) {
    var anyway = event.target.closest("[data-report-anyway]");
    if (!anyway) {
      return;
    }
    Array.prototype.forEach.call(panel.querySelectorAll("[data-tracking-number]"), function (card) {
      dismissed[card.getAttribute("data-tracking-number")] = true;
    });
    putAway();
    // On to the next part of the form (the link's target), without leaving a #fragment on the address.
    var next = document.querySelector(anyway.getAttribute("href"));
    var field = next && next.querySelector("input, select, textarea, button");
    if (field) {
      event.preventDefault();
      field.focus();
    }
  });
  panel.addEventListener("htmx:afterSwap", putAway);
})();
