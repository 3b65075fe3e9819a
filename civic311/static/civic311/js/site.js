/* civic311 public site: small enhancements. Every page works without this file. */
(function () {
  "use strict";

  // After a form comes back with errors, take keyboard and screen-reader users to the summary.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  // A second tap on "Send" while the first is on its way does nothing. The idempotency key already
  // stops a second request; this only spares the resident a confusing wait. The button comes back
  // after a while, in case the connection dropped, and when the page is shown again from history.
  var forms = document.querySelectorAll("form[data-report-form]");
  Array.prototype.forEach.call(forms, function (form) {
    var button = form.querySelector("[data-submit]");
    if (!button) {
      return;
    }
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        button.disabled = true;
      }, 0);
      window.setTimeout(function () {
        button.disabled = false;
      }, 15000);
    });
    window.addEventListener("pageshow", function () {
      button.disabled = false;
    });
  });
})();
