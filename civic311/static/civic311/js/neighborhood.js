/* A neighborhood page's map: its outline and latest requests (each a link to its track page), read from
   the page's map.json. Without this file, or without Leaflet, the map stays hidden and the list below it
   has every request. */
(function () {
  "use strict";

  var element = document.getElementById("neighborhood-map");
  if (!element || !window.L || !window.fetch) {
    return;
  }
  var L = window.L;
  var section = element.closest("[data-neighborhood-map-section]");

  function escapeHtml(text) {
    var span = document.createElement("span");
    span.textContent = text || "";
    return span.innerHTML;
  }

  window
    .fetch(element.getAttribute("data-points-url"), { credentials: "same-origin" })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(function (collection) {
      if (!collection || !collection.features || !collection.features.length) {
        return;
      }
      if (section) {
        section.hidden = false;
      }
      var map = L.map(element, { zoomSnap: 0.5 });
      element.setAttribute("aria-label", element.getAttribute("data-label") || "");
      var tileUrl = element.getAttribute("data-tile-url");
      if (tileUrl) {
        L.tileLayer(tileUrl, {
          attribution: escapeHtml(element.getAttribute("data-tile-attribution")),
          maxZoom: 19,
        }).addTo(map);
      }
      var openLabel = element.getAttribute("data-open-label") || "";
      var closedLabel = element.getAttribute("data-closed-label") || "";
      var layer = L.geoJSON(collection, {
        style: function (feature) {
          if (feature.properties && feature.properties.kind === "boundary") {
            return { color: "#0f4d90", weight: 2, fillColor: "#0f4d90", fillOpacity: 0.05 };
          }
          return {};
        },
        pointToLayer: function (feature, latlng) {
          var isOpen = feature.properties && feature.properties.open;
          return L.circleMarker(latlng, {
            radius: 6,
            weight: 1,
            color: "#212529",
            fillColor: isOpen ? "#198754" : "#6c757d",
            fillOpacity: 0.85,
          });
        },
        onEachFeature: function (feature, shape) {
          var p = feature.properties || {};
          if (p.kind !== "request") {
            return;
          }
          shape.bindPopup(
            '<a href="' +
              escapeHtml(p.url) +
              '">' +
              escapeHtml(p.service) +
              "</a><br>" +
              escapeHtml(p.number) +
              " · " +
              escapeHtml(p.open ? openLabel : closedLabel)
          );
        },
      }).addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) {
        map.fitBounds(bounds.pad(0.05));
      }
    })
    .catch(function () {
      /* The list below the map has every request. */
    });
})();
