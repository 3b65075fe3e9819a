/* civic311 staff pages: shared small behaviour. Every page works without this file. */
(function () {
  "use strict";
})();
