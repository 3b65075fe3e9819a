/* The report form's address field with JavaScript: as the resident types, the city's addresses that begin
   so are offered below it (the ARIA 1.2 combobox pattern: arrow keys move, Enter picks, Escape closes), and
   picking one fills in the address and its latitude and longitude (the map's pin follows). When the map's
   pin is dropped and the address is still empty, the nearest address fills it. The URLs and the texts come
   translated from the page ([data-address-lookup]). Without this file the plain field works as before.
   Any form may use it (the agent console's report form does): the fields are id_address, id_lat and id_long
   unless the page names others (data-address-input, data-lat-input, data-long-input: their ids). */
(function () {
  "use strict";

  var config = document.querySelector("[data-address-lookup]");
  if (!config || !window.fetch) {
    return;
  }
  var input = document.getElementById(config.getAttribute("data-address-input") || "id_address");
  var lat = document.getElementById(config.getAttribute("data-lat-input") || "id_lat");
  var long = document.getElementById(config.getAttribute("data-long-input") || "id_long");
  if (!input || !lat || !long) {
    return;
  }
  var suggestUrl = config.getAttribute("data-suggest-url");
  var atUrl = config.getAttribute("data-at-url");
  var MIN_CHARS = 3;
  var PAUSE_MS = 250;

  // --- the combobox -------------------------------------------------------------------------------------
  var listId = input.id + "-suggestions";
  // What is typed or pinned goes in a POST body (with the form's CSRF token), never in a URL: an address or a
  // pin may be the resident's home, and URLs end up in access logs.
  function posted(fields) {
    var token = input.form && input.form.querySelector("[name=csrfmiddlewaretoken]");
    var body = new URLSearchParams(fields);
    body.append("csrfmiddlewaretoken", token ? token.value : "");
    return { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" }, body: body };
  }
  var list = document.createElement("ul");
  list.id = listId;
  list.className = "list-group mt-1 address-suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", config.getAttribute("data-list-label") || "");
  list.hidden = true;
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  input.insertAdjacentElement("afterend", list);
  list.insertAdjacentElement("afterend", status);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listId);
  // The browser's own address list would cover ours.
  input.setAttribute("autocomplete", "off");

  var places = [];
  var active = -1;
  var asked = 0; // the latest question: older answers arriving late are dropped
  var pause = null;
  var lastQuery = "";
  var point = lat.value + "," + long.value; // the point as this file (or the map, below) last saw it

  function say(text) {
    status.textContent = text || "";
  }

  function count(template, number) {
    return (template || "").replace("{count}", String(number));
  }

  function close() {
    list.hidden = true;
    list.textContent = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var options = list.querySelectorAll("[role=option]");
    if (!options.length) {
      return;
    }
    active = (index + options.length) % options.length;
    Array.prototype.forEach.call(options, function (option, position) {
      var chosen = position === active;
      option.setAttribute("aria-selected", chosen ? "true" : "false");
      option.classList.toggle("active", chosen);
      if (chosen) {
        input.setAttribute("aria-activedescendant", option.id);
        if (option.scrollIntoView) {
          option.scrollIntoView({ block: "nearest" });
        }
      }
    });
  }

  function show(found) {
    places = found;
    list.textContent = "";
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (!found.length) {
      close();
      say(config.getAttribute("data-none"));
      return;
    }
    found.forEach(function (place, index) {
      var option = document.createElement("li");
      option.id = listId + "-" + index;
      option.className = "list-group-item list-group-item-action";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.textContent = place.address;
      // Pressed, not clicked: the field keeps the focus (a blur would close the list first).
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
      });
      option.addEventListener("click", function () {
        pick(index);
      });
      list.appendChild(option);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    say(count(found.length === 1 ? config.getAttribute("data-one") : config.getAttribute("data-many"), found.length));
  }

  function setPoint(place) {
    lat.value = Number(place.lat).toFixed(6);
    long.value = Number(place.long).toFixed(6);
    point = lat.value + "," + long.value;
    // The map moves its pin and the "Already reported?" panel asks again, as for typed coordinates.
    [lat, long].forEach(function (field) {
      field.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function pick(index) {
    var place = places[index];
    if (!place) {
      return;
    }
    input.value = place.address;
    lastQuery = input.value;
    setPoint(place);
    close();
    say((config.getAttribute("data-picked") || "").replace("{address}", place.address));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function ask() {
    var query = input.value.trim();
    if (query === lastQuery) {
      return;
    }
    lastQuery = query;
    if (query.length < MIN_CHARS) {
      close();
      return;
    }
    var mine = ++asked;
    window
      .fetch(suggestUrl, posted({ q: query }))
      .then(function (response) {
        return response.ok ? response.json() : [];
      })
      .then(function (found) {
        if (mine === asked && document.activeElement === input) {
          show(Array.isArray(found) ? found : []);
        }
      })
      .catch(function () {
        /* No suggestions: the plain field still takes the address. */
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(pause);
    pause = window.setTimeout(ask, PAUSE_MS);
  });
  input.addEventListener("keydown", function (event) {
    var open = !list.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open) {
        lastQuery = "";
        ask();
        return;
      }
      highlight(active + 1);
    } else if (event.key === "ArrowUp") {
      if (open) {
        event.preventDefault();
        highlight(active < 0 ? -1 : active - 1);
      }
    } else if (event.key === "Enter") {
      if (open && active >= 0) {
        event.preventDefault(); // picks the address; it does not send the report
        pick(active);
      }
    } else if (event.key === "Escape") {
      if (open) {
        event.preventDefault();
        close();
      }
    } else if (event.key === "Tab") {
      close();
    }
  });
  input.addEventListener("blur", function () {
    window.setTimeout(close, 150);
  });

  // --- a dropped pin names its address ---------------------------------------------------------------------
  // The map fills in the point by script (no event): seen here, like the "Already reported?" panel does.
  window.setInterval(function () {
    var now = lat.value + "," + long.value;
    var typing = document.activeElement === lat || document.activeElement === long;
    if (now === point || typing) {
      return;
    }
    point = now;
    if (input.value.trim() || !lat.value || !long.value) {
      return; // never over what the resident wrote
    }
    window
      .fetch(atUrl, posted({ lat: lat.value, long: long.value }))
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (found) {
        if (found && found.address && !input.value.trim() && point === lat.value + "," + long.value) {
          input.value = found.address;
          lastQuery = input.value;
          say((config.getAttribute("data-pin-named") || "").replace("{address}", found.address));
        }
      })
      .catch(function () {
        /* The pin stands without an address. */
      });
  }, 1000);
})();
