/* The installable app, on every public page: registers the service worker, marks reports sent from the
   installed app (source=app: the server records the "mobile" channel), and keeps a report sent without
   signal as a draft on the device (IndexedDB), sent with the same idempotency key once back online, so
   that it is never filed twice. Texts come translated from this script's data-* attributes (base.html).
   Without this file, or without service workers or IndexedDB, every page works as before. */
(function () {
  "use strict";

  var script = document.currentScript;
  var text = (script && script.dataset) || {};
  var DB_NAME = "civic311-app"; // the same store as the service worker's (public/service_worker.js)
  var STORE = "drafts";
  var SOURCE_KEY = "civic311-source";

  // --- the service worker ------------------------------------------------------------------------------
  if ("serviceWorker" in navigator && text.worker) {
    navigator.serviceWorker.register(text.worker, { scope: "/" }).catch(function () {
      return undefined; // the site works without it
    });
  }

  // --- opened from the installed app? ----------------------------------------------------------------
  try {
    if (new URLSearchParams(window.location.search).get("source") === "app") {
      window.sessionStorage.setItem(SOURCE_KEY, "app");
    }
  } catch (error) {
    // No session storage (a private mode): the display mode below still tells.
  }
  function fromApp() {
    var standalone = window.matchMedia && window.matchMedia("(display-mode: standalone)").matches;
    var started = false;
    try {
      started = window.sessionStorage.getItem(SOURCE_KEY) === "app";
    } catch (error) {
      started = false;
    }
    return standalone || started;
  }

  // --- the status message (one polite live region, made empty first so that it is announced) ----------
  var main = document.getElementById("main");
  var status = document.createElement("div");
  status.className = "alert alert-info app-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.hidden = true;
  if (main) main.insertBefore(status, main.firstChild);

  function say(message, link) {
    status.textContent = message;
    if (link) {
      status.appendChild(document.createTextNode(" "));
      var anchor = document.createElement("a");
      anchor.href = link;
      anchor.textContent = text.see || link;
      status.appendChild(anchor);
    }
    status.hidden = !message;
    if (message) status.scrollIntoView({ block: "nearest" });
  }

  function fill(template, name, value) {
    return (template || "").replace("{" + name + "}", value);
  }

  // --- drafts in IndexedDB -----------------------------------------------------------------------------
  function openDrafts() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) {
        reject(new Error("no IndexedDB"));
        return;
      }
      var opening = window.indexedDB.open(DB_NAME, 1);
      opening.onupgradeneeded = function () {
        if (!opening.result.objectStoreNames.contains(STORE)) {
          opening.result.createObjectStore(STORE, { keyPath: "key" });
        }
      };
      opening.onsuccess = function () { resolve(opening.result); };
      opening.onerror = function () { reject(opening.error); };
    });
  }

  function withStore(mode, work) {
    return openDrafts().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var result = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () {
          db.close();
          resolve(result && "result" in result ? result.result : undefined);
        };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
        transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function allDrafts() {
    return withStore("readonly", function (store) { return store.getAll(); });
  }

  function putDraft(draft) {
    return withStore("readwrite", function (store) { store.put(draft); });
  }

  function removeDraft(key) {
    return withStore("readwrite", function (store) { store.delete(key); });
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "app-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  // --- the report form -----------------------------------------------------------------------------------
  // The public report form only (/report/<code>/, posting to itself): other forms that share its look (a
  // youth walk's) post elsewhere and are left alone.
  var form = document.querySelector("form[data-report-form]:not([action])");
  if (form && !/^\/report\/[^/]+\/$/.test(window.location.pathname)) form = null;
  if (form) {
    var keyField = form.querySelector("input[name=idempotency_key]");
    if (!keyField) {
      keyField = document.createElement("input");
      keyField.type = "hidden";
      keyField.name = "idempotency_key";
      form.appendChild(keyField);
    }
    // A fresh key for a fresh form: a form kept on the device carries the key it was served with, which a
    // report already filed may have used. A form shown again with its errors keeps the key it was sent with.
    if (!keyField.value || !document.getElementById("error-summary")) keyField.value = newKey();

    if (fromApp() && !form.querySelector("input[name=source]")) {
      var source = document.createElement("input");
      source.type = "hidden";
      source.name = "source";
      source.value = "app";
      form.appendChild(source);
    }

    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (navigator.onLine !== false || (submitter && submitter.name === "action")) return;
      event.preventDefault();
      keepDraft(form, submitter).then(
        function (draft) { say(draft.photosDropped ? text.savedWithoutPhotos : text.saved); },
        function () { say(text.retry); }
      );
    });
  }

  function formFields(theForm, submitter) {
    var data = submitter ? new FormData(theForm, submitter) : new FormData(theForm);
    var fields = [];
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      if (typeof value === "string") fields.push({ name: name, value: value });
      else if (value && value.size) fields.push({ name: name, value: value, filename: value.name });
    });
    return fields;
  }

  function keepDraft(theForm, submitter) {
    var fields;
    try {
      fields = formFields(theForm, submitter);
    } catch (error) {
      fields = formFields(theForm); // FormData(form, submitter) is newer than the rest
    }
    var draft = {
      key: keyField.value,
      action: window.location.pathname,
      savedAt: new Date().toISOString(),
      fields: fields,
      photosDropped: false,
    };
    return putDraft(draft).then(
      function () { return draft; },
      function (error) {
        var words = fields.filter(function (field) { return typeof field.value === "string"; });
        if (words.length === fields.length) throw error;
        // The device would not keep the photos: keep the words and say so.
        draft.fields = words;
        draft.photosDropped = true;
        return putDraft(draft).then(function () { return draft; });
      }
    );
  }

  // --- sending the drafts once back online ------------------------------------------------------------------
  var sending = false;

  function parse(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  function reasonIn(page) {
    var parts = [];
    page.querySelectorAll("#error-summary li, .canned-answer__message").forEach(function (element) {
      parts.push(element.textContent.trim());
    });
    return parts.join(" ");
  }

  // One draft: a fresh CSRF token from its form page (the one it was kept with may be stale), then the
  // same POST the form makes, with the same idempotency key. Resolves to "sent", "refused" or "later".
  function sendDraft(draft) {
    return fetch(draft.action, { credentials: "same-origin", cache: "no-store" })
      .then(function (page) {
        if (page.status === 404) return { refused: "" };
        if (!page.ok) return null;
        return page.text().then(function (html) {
          var token = parse(html).querySelector("input[name=csrfmiddlewaretoken]");
          var body = new FormData();
          draft.fields.forEach(function (field) {
            if (field.filename !== undefined) body.append(field.name, field.value, field.filename);
            else body.append(field.name, field.value);
          });
          if (token) body.append("csrfmiddlewaretoken", token.value);
          return fetch(draft.action, { method: "POST", body: body, credentials: "same-origin" });
        });
      })
      .then(function (response) {
        if (response === null) return "later";
        if (response && "refused" in response) return refused(draft, response.refused);
        var done = new URL(response.url).pathname.match(/\/report\/done\/([^/]+)\/$/);
        if (response.ok && done) {
          return removeDraft(draft.key).then(function () {
            say(fill(text.sent, "number", decodeURIComponent(done[1])), response.url);
            return "sent";
          });
        }
        if (response.status === 403 || response.status === 429 || response.status >= 500) return "later";
        return response.text().then(function (html) { return refused(draft, reasonIn(parse(html))); });
      });
  }

  function refused(draft, reason) {
    return removeDraft(draft.key).then(function () {
      say(fill(text.notFiled, "reason", reason).replace(/\s+/g, " "));
      return "refused";
    });
  }

  function sendDrafts() {
    if (sending || navigator.onLine === false) return Promise.resolve();
    sending = true;
    return allDrafts()
      .then(function (drafts) {
        if (!drafts || !drafts.length) return undefined;
        say(text.sending);
        var chain = Promise.resolve("sent");
        drafts.forEach(function (draft) {
          chain = chain.then(function (previous) {
            return previous === "later" ? "later" : sendDraft(draft);
          });
        });
        return chain.then(function (last) {
          if (last === "later") say(text.retry);
        });
      })
      .catch(function () {
        // The network went again while sending: the drafts stay, and are sent on the next "online".
        say(text.retry);
      })
      .then(function () {
        sending = false;
      });
  }

  function showWaiting() {
    return allDrafts().then(function (drafts) {
      var count = (drafts || []).length;
      var place = document.querySelector("[data-offline-drafts]");
      if (place) {
        place.textContent = fill(text.waiting, "count", String(count));
        place.hidden = !count;
      }
      var saved = new URLSearchParams(window.location.search).get("draft");
      if (saved === "saved") say(text.saved);
      else if (saved === "saved-without-photos") say(text.savedWithoutPhotos);
    });
  }

  window.addEventListener("online", function () { sendDrafts(); });
  if (window.indexedDB) {
    showWaiting()
      .catch(function () { return undefined; })
      .then(sendDrafts);
  }
})();
