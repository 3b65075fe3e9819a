/* Department work pages. Everything works without this file; it only saves clicks. */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  // The request page: picking a response template fills the note (the "Use template" button does the
  // same with a page load when JavaScript is off).
  function setUpTemplatePicker() {
    var picker = document.querySelector(".work-template-picker");
    if (!picker) { return; }
    var select = picker.querySelector("select[name=template]");
    var button = picker.querySelector(".work-no-js");
    if (button) { button.classList.add("d-none"); }
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (!option || !option.value) { return; }
      var text = byId("id_note-text");
      var isPublic = byId("id_note-public");
      if (text) { text.value = option.getAttribute("data-text") || ""; text.focus(); }
      if (isPublic) { isPublic.checked = option.getAttribute("data-public") === "1"; }
    });
  }

  // The follow-on form: htmx swaps the picked service's questions in, so the button that does it with a
  // page load is not needed.
  function setUpFollowOn() {
    var button = document.querySelector(".work-follow-on-show");
    if (button && window.htmx) { button.classList.add("d-none"); }
  }

  // The request page's map: the request's point on the city's tiles. Without Leaflet (or JavaScript) the
  // section stays hidden; the latitude, longitude and neighborhood are in the details anyway.
  function setUpMap() {
    var element = byId("request-map");
    if (!element || !window.L) { return; }
    var L = window.L;
    var lat = parseFloat(element.getAttribute("data-lat"));
    var lng = parseFloat(element.getAttribute("data-long"));
    if (!isFinite(lat) || !isFinite(lng)) { return; }
    element.closest("section").hidden = false;
    element.setAttribute("aria-label", element.getAttribute("data-label") || "");
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions({
      iconUrl: element.getAttribute("data-icon-url"),
      iconRetinaUrl: element.getAttribute("data-icon-retina-url"),
      shadowUrl: element.getAttribute("data-shadow-url")
    });
    var map = L.map(element, { scrollWheelZoom: false }).setView([lat, lng], 17);
    var tiles = element.getAttribute("data-tile-url");
    if (tiles) {
      var span = document.createElement("span");
      span.textContent = element.getAttribute("data-tile-attribution") || "";
      L.tileLayer(tiles, { attribution: span.innerHTML, maxZoom: 19 }).addTo(map);
    }
    L.marker([lat, lng], { keyboard: false }).addTo(map);
  }

  // The queue's bulk form: show the fields of the chosen action; a template fills the note's text.
  function setUpBulkForm() {
    var form = byId("bulk-form");
    if (!form) { return; }
    var action = byId("id_bulk-action");
    var groups = {
      assign: ["assignee"],
      status: ["to_status", "public_reason"],
      note: ["template", "text"]
    };
    var all = ["assignee", "to_status", "public_reason", "template", "text"];
    function show() {
      var wanted = groups[action.value] || [];
      all.forEach(function (name) {
        var box = form.querySelector(".work-bulk-" + name);
        if (box) { box.classList.toggle("d-none", wanted.indexOf(name) === -1); }
      });
    }
    action.addEventListener("change", show);
    show();
    var template = byId("id_bulk-template");
    var text = byId("id_bulk-text");
    if (template && text) {
      template.addEventListener("change", function () {
        var source = document.querySelector("template.work-template-text[data-template='" + template.value + "']");
        if (source) { text.value = source.content.textContent; }
      });
    }
  }

  // Live updates: htmx polls; while requests are ticked, the list is not swapped under the user's hand.
  function setUpLiveQueue() {
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var target = event.detail.target;
      if (!target || target.id !== "queue-results") { return; }
      if (document.querySelector("input[name=requests]:checked")) {
        event.detail.shouldSwap = false;
        var notice = byId("queue-changed");
        if (notice) { notice.classList.remove("d-none"); }
      }
    });
  }

  function start() {
    setUpTemplatePicker();
    setUpFollowOn();
    setUpMap();
    setUpBulkForm();
    setUpLiveQueue();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
