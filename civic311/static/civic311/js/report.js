/* The report form's enhancements: a character counter, and a map where a tap drops a pin that fills
   in the latitude and longitude. Without this file the form still works: the address and the
   latitude/longitude fields are always there. Texts come translated from the page (#map-config). */
(function () {
  "use strict";

  var configElement = document.getElementById("map-config");
  var config = configElement ? JSON.parse(configElement.textContent) : {};
  var messages = config.messages || {};
  var language = document.documentElement.lang || undefined;

  // Sent from the installed app? The server then records the report's channel as "mobile".
  var displayMode = document.querySelector("[data-display-mode]");
  if (displayMode && window.matchMedia && window.matchMedia("(display-mode: standalone)").matches) {
    displayMode.value = "standalone";
  }

  function format(template, count) {
    return (template || "{count}").replace("{count}", count.toLocaleString(language));
  }

  // --- the description's character counter ------------------------------------------------------
  var description = document.getElementById("id_description");
  var counter = document.getElementById("id_description-counter");
  if (description && counter) {
    var max = parseInt(description.getAttribute("data-max-chars"), 10);
    // The counter is read when the field is focused; a separate polite region speaks only after a
    // pause in typing, so that a screen reader is not interrupted at every key.
    counter.removeAttribute("aria-live");
    var spoken = document.createElement("p");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    counter.parentNode.appendChild(spoken);
    var pause = null;

    var length = function () {
      // Count as the server does: each line break is sent as two characters (CR LF).
      return Array.from(description.value.replace(/\r?\n/g, "\r\n")).length;
    };
    var update = function (announce) {
      var left = max - length();
      var text = left >= 0 ? format(messages.charactersLeft, left) : format(messages.charactersOver, -left);
      counter.textContent = text;
      counter.classList.toggle("is-over", left < 0);
      if (announce) {
        window.clearTimeout(pause);
        pause = window.setTimeout(function () {
          spoken.textContent = text;
        }, 1200);
      }
    };
    if (max > 0) {
      counter.hidden = false;
      description.addEventListener("input", function () {
        update(true);
      });
      update(false);
    }
  }

  // --- the map ------------------------------------------------------------------------------------
  var mapElement = document.getElementById("report-map");
  var latInput = document.getElementById("id_lat");
  var longInput = document.getElementById("id_long");
  if (!mapElement || !latInput || !longInput || !window.L || !config.bounds) {
    return;
  }
  var L = window.L;
  var wrapper = mapElement.closest("[data-map]");
  if (wrapper) {
    wrapper.hidden = false;
  }
  var status = document.getElementById("map-status");
  function say(text) {
    if (status && text) {
      status.textContent = text;
    }
  }

  if (config.markerIcons) {
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions(config.markerIcons);
  }
  var cityBounds = L.latLngBounds(config.bounds);
  var map = L.map(mapElement, { maxBounds: cityBounds.pad(0.5), zoomSnap: 0.5 });
  map.fitBounds(cityBounds);
  mapElement.setAttribute("aria-label", messages.mapLabel || "");

  function escapeHtml(text) {
    var span = document.createElement("span");
    span.textContent = text || "";
    return span.innerHTML;
  }

  // Tiles are a nicety: when they cannot load, the neighborhoods and the pin still work.
  var tileUrl = mapElement.getAttribute("data-tile-url");
  if (tileUrl) {
    var warned = false;
    L.tileLayer(tileUrl, {
      attribution: escapeHtml(mapElement.getAttribute("data-tile-attribution")),
      maxZoom: 19,
    })
      .on("tileerror", function () {
        if (!warned) {
          warned = true;
          say(messages.tilesFailed);
        }
      })
      .addTo(map);
  }

  if (config.neighborhoodsUrl && window.fetch) {
    window
      .fetch(config.neighborhoodsUrl, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (collection) {
        if (!collection || !collection.features || !collection.features.length) {
          return;
        }
        L.geoJSON(collection, {
          style: { color: "#0f4d90", weight: 1.5, fillColor: "#0f4d90", fillOpacity: 0.06 },
          onEachFeature: function (feature, shape) {
            if (feature.properties && feature.properties.name) {
              shape.bindTooltip(escapeHtml(feature.properties.name), { sticky: true });
            }
          },
        }).addTo(map);
      })
      .catch(function () {
        /* The map without neighborhoods still takes a pin. */
      });
  }

  var marker = null;
  function showPin(latlng) {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.marker(latlng, { draggable: true, keyboard: false }).addTo(map);
      marker.on("dragend", function () {
        fill(marker.getLatLng(), messages.pinPlaced);
      });
    }
  }
  function fill(latlng, message) {
    showPin(latlng);
    latInput.value = latlng.lat.toFixed(6);
    longInput.value = latlng.lng.toFixed(6);
    say(message);
  }

  map.on("click", function (event) {
    fill(event.latlng, messages.pinPlaced);
  });

  // Typed coordinates (or those kept after an error) move the pin too.
  function fromInputs() {
    var lat = parseFloat(latInput.value);
    var lng = parseFloat(longInput.value);
    if (isFinite(lat) && isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180) {
      var latlng = L.latLng(lat, lng);
      if (!map.options.maxBounds.contains(latlng)) {
        return; // far outside the city: the form will say so; the map stays on the city
      }
      showPin(latlng);
      map.setView(latlng, Math.max(map.getZoom(), 16));
    }
  }
  latInput.addEventListener("change", fromInputs);
  longInput.addEventListener("change", fromInputs);
  fromInputs();

  var locate = document.getElementById("use-my-location");
  if (locate) {
    if (!("geolocation" in navigator)) {
      locate.hidden = true;
    } else {
      locate.addEventListener("click", function () {
        say(messages.locating);
        navigator.geolocation.getCurrentPosition(
          function (position) {
            var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
            fill(latlng, messages.located);
            map.setView(latlng, 17);
          },
          function () {
            say(messages.locationFailed);
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }
  }
})();
