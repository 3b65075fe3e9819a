// The reader board refreshes itself: every minute fetch this page again and swap in its #board fragment.
// A failed fetch keeps the last figures (marked stale); a revoked link or an ended session reloads the
// page so the screen shows why. Without JavaScript a <noscript> meta refresh reloads the page instead.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.fetch || !window.DOMParser) {
    return;
  }
  var seconds = parseInt(board.getAttribute("data-refresh-seconds"), 10) || 60;

  function refresh() {
    fetch(window.location.href, {credentials: "same-origin", cache: "no-store", redirect: "follow"})
      .then(function (response) {
        if (response.status === 404 || response.status === 403 || response.redirected) {
          window.location.reload();
          return null;
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board");
        var current = document.getElementById("board");
        if (!fresh || !current) {
          window.location.reload();
          return;
        }
        current.replaceWith(document.importNode(fresh, true));
      })
      .catch(function () {
        var current = document.getElementById("board");
        if (current) {
          current.classList.add("board-stale");
        }
      })
      .then(function () {
        window.setTimeout(refresh, seconds * 1000);
      });
  }

  window.setTimeout(refresh, seconds * 1000);
})();
