{% autoescape off %}/* civic311's service worker, version {{ version }} (civic311/public/app_views.py renders it).

   Kept on the device: the app shell (the home page, the choose-service page, the offline page and the
   static files they and the report forms use) and the report forms the resident opens. Pages are fetched
   from the network first and come from the device only without signal; static files come from the device
   first. Never kept: anything sent (POST), and every page that can hold personal data or is staff's (the
   paths in CONFIG.neverCached; only the pages above are ever written to the cache). A new version deletes
   the old caches.

   A report sent while the network fails (the browser thought it was online) is kept as a draft on the
   device, in the same IndexedDB store as public/app.js's drafts, which sends it when the signal is back. */
"use strict";

const CONFIG = {{ config }};
const PREFIX = "civic311-";
const SHELL_CACHE = PREFIX + "shell-" + CONFIG.version;
const PAGES_CACHE = PREFIX + "pages-" + CONFIG.version;
const DRAFTS_DB = "civic311-app";
const DRAFTS_STORE = "drafts";
// A service's report form: /report/<code>/ (never /report/done/…, which is in CONFIG.neverCached).
const REPORT_FORM = new RegExp("^" + CONFIG.reportPrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "[^/]+/$");

function neverCached(path) {
  return CONFIG.neverCached.some(function (prefix) { return path === prefix || path.startsWith(prefix); });
}

function keptPage(url) {
  // Only the shell's pages and the services' report forms, without a query (the start URL's
  // ?source=app aside): a search's results or anything else is never written to the device.
  if (url.search && url.search !== "?source=app") return false;
  if (neverCached(url.pathname)) return false;
  return CONFIG.shellPages.indexOf(url.pathname) !== -1 || REPORT_FORM.test(url.pathname);
}

function pageKey(url) {
  return url.origin + url.pathname;
}

function storable(response) {
  if (!response || !response.ok || response.type !== "basic" || response.redirected) return false;
  const cacheControl = response.headers.get("Cache-Control") || "";
  return !/no-store/i.test(cacheControl);
}

self.addEventListener("install", function (event) {
  event.waitUntil((async function () {
    const shell = await caches.open(SHELL_CACHE);
    // One by one, so that a file missing in development does not stop the install.
    await Promise.all(CONFIG.shellStatic.map(function (url) {
      return shell.add(url).catch(function () { return undefined; });
    }));
    const pages = await caches.open(PAGES_CACHE);
    await Promise.all(CONFIG.shellPages.map(async function (path) {
      try {
        const response = await fetch(path, { credentials: "same-origin" });
        if (storable(response)) await pages.put(pageKey(new URL(path, self.location.origin)), response);
      } catch (error) {
        // Offline while installing: the page is kept on the next visit instead.
      }
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", function (event) {
  event.waitUntil((async function () {
    const names = await caches.keys();
    await Promise.all(names.filter(function (name) {
      return name.startsWith(PREFIX) && name !== SHELL_CACHE && name !== PAGES_CACHE;
    }).map(function (name) { return caches.delete(name); }));
    await self.clients.claim();
  })());
});

async function offlinePage() {
  const offline = await caches.match(CONFIG.offlineUrl, { ignoreSearch: true, ignoreVary: true });
  return offline || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

async function networkFirst(request, url) {
  try {
    const response = await fetch(request);
    if (keptPage(url) && storable(response)) {
      const pages = await caches.open(PAGES_CACHE);
      await pages.put(pageKey(url), response.clone());
    }
    return response;
  } catch (error) {
    if (keptPage(url)) {
      const kept = await caches.match(pageKey(url), { ignoreVary: true });
      if (kept) return kept;
    }
    if (url.pathname === CONFIG.offlineUrl) return offlinePage();
    return request.mode === "navigate" ? offlinePage() : Response.error();
  }
}

async function cacheFirst(request) {
  const kept = await caches.match(request, { ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (storable(response)) {
    const shell = await caches.open(SHELL_CACHE);
    await shell.put(request, response.clone());
  }
  return response;
}

// --- a report sent while the network failed: kept as a draft (the same shape as app.js's) ----------------

function openDrafts() {
  return new Promise(function (resolve, reject) {
    const opening = indexedDB.open(DRAFTS_DB, 1);
    opening.onupgradeneeded = function () {
      if (!opening.result.objectStoreNames.contains(DRAFTS_STORE)) {
        opening.result.createObjectStore(DRAFTS_STORE, { keyPath: "key" });
      }
    };
    opening.onsuccess = function () { resolve(opening.result); };
    opening.onerror = function () { reject(opening.error); };
  });
}

async function putDraft(draft) {
  const db = await openDrafts();
  try {
    await new Promise(function (resolve, reject) {
      const transaction = db.transaction(DRAFTS_STORE, "readwrite");
      transaction.objectStore(DRAFTS_STORE).put(draft);
      transaction.oncomplete = function () { resolve(); };
      transaction.onerror = function () { reject(transaction.error); };
      transaction.onabort = function () { reject(transaction.error); };
    });
  } finally {
    db.close();
  }
}

async function keepDraft(path, form) {
  const fields = [];
  let hasFiles = false;
  form.forEach(function (value, name) {
    if (name === "csrfmiddlewaretoken") return;
    if (typeof value === "string") {
      fields.push({ name: name, value: value });
    } else if (value.size) {
      hasFiles = true;
      fields.push({ name: name, value: value, filename: value.name });
    }
  });
  const key = form.get("idempotency_key") || self.crypto.randomUUID();
  const draft = { key: key, action: path, savedAt: new Date().toISOString(), fields: fields, photosDropped: false };
  try {
    await putDraft(draft);
  } catch (error) {
    if (!hasFiles) throw error;
    // The device would not keep the photos: keep the words and say so.
    draft.fields = fields.filter(function (field) { return typeof field.value === "string"; });
    draft.photosDropped = true;
    await putDraft(draft);
  }
  return draft;
}

async function sendReport(request, url) {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch (error) {
    let form;
    try {
      form = await copy.formData();
    } catch (readError) {
      return offlinePage();
    }
    if (form.get("action")) return offlinePage(); // "Check for existing reports": nothing to send later
    try {
      const draft = await keepDraft(url.pathname, form);
      const saved = draft.photosDropped ? "saved-without-photos" : "saved";
      return Response.redirect(new URL(CONFIG.offlineUrl + "?draft=" + saved, self.location.origin).href, 303);
    } catch (storeError) {
      return offlinePage();
    }
  }
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (request.mode === "navigate" && REPORT_FORM.test(url.pathname) && !neverCached(url.pathname)) {
      event.respondWith(sendReport(request, url));
    }
    return; // a POST's answer is never kept
  }
  if (request.method !== "GET" || neverCached(url.pathname)) return;
  if (url.pathname.startsWith(CONFIG.staticPrefix)) {
    event.respondWith(cacheFirst(request));
    return;
  }
  if (request.headers.get("HX-Request")) return;
  if (request.mode === "navigate" || (request.headers.get("Accept") || "").includes("text/html")) {
    event.respondWith(networkFirst(request, url));
  }
});
{% endautoescape %}
