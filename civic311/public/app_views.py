"""The installable app: its web app manifest, its service worker and the page it shows offline.

The worker (`public/service_worker.js`) keeps the app shell and the catalogue the resident visits on the
device, and never a page with personal data; the report form's script (`public/app.js`) keeps a report
started without signal as a draft on the device and sends it, with its idempotency key, once back online.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

THEME_COLOR = "#0f4d90"  # --c311-blue in civic311/css/site.css, the site's Bootstrap primary
BACKGROUND_COLOR = "#ffffff"
SHORT_NAME_MAX = 12  # what a home screen shows under the icon without cutting it

# The static files of the app shell (the home page, the choose-service page, the offline page) and of the
# report forms, kept on the device when the worker installs.
SHELL_STATIC = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.rtl.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "civic311/css/site.css",
    "civic311/js/site.js",
    "public/app.js",
    "public/service_suggestions.css",
    "vendor/htmx/htmx.min.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/images/marker-icon.png",
    "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png",
    "civic311/js/report.js",
    "public/possible_duplicates.css",
    "public/possible_duplicates.js",
    "public/icons/icon-192.png",
    "public/icons/icon-512.png",
)

# Never kept on the device, whatever the page says about caching: they hold personal data or are staff's.
NEVER_CACHED = (
    "/account/",
    "/admin/",
    "/_nested_admin/",
    "/api/",
    "/open311/",
    "/console/",
    "/inbox/",
    "/work/",
    "/insights/",
    "/surveys/",
    "/community/",
    "/liaison/",
    "/notifications/",
    "/privacy/",
    "/media/",
    "/i18n/",
    "/my-requests/",
    "/sign-in/",
    "/sign-out/",
    "/track/",
    "/report/done/",
    "/address-suggestions/",
    "/address-at/",
    "/manifest.webmanifest",
    "/service-worker.js",
)


def _city_name(request: HttpRequest) -> str:
    jurisdiction = getattr(request, "jurisdiction", None)
    return jurisdiction.name if jurisdiction is not None else ""


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: what a phone needs to install the site as an app, in the visitor's language."""
    city = _city_name(request)
    name = _("%(city)s 311") % {"city": city} if city else "civic311"
    data = {
        "id": "/",
        "name": name,
        "short_name": name if len(name) <= SHORT_NAME_MAX else "311",
        "description": _("Report a problem to the city and follow what happens to it."),
        "start_url": reverse("public:home") + "?source=app",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "lang": get_language() or "en",
        "dir": "rtl" if get_language_bidi() else "ltr",
        "icons": [
            {"src": static("public/icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("public/icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("public/icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


def deployment_version() -> str:
    """A short hash that changes with the deployed static files: the manifest of hashed names when the
    storage keeps one (production), else the shell's own files (development)."""
    digest = hashlib.sha256()
    manifest_name = getattr(staticfiles_storage, "manifest_name", None)
    if manifest_name and staticfiles_storage.exists(manifest_name):
        with staticfiles_storage.open(manifest_name) as handle:
            digest.update(handle.read())
    else:
        for name in SHELL_STATIC:
            found = finders.find(name)
            if isinstance(found, str):
                digest.update(name.encode())
                digest.update(Path(found).read_bytes())
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from the site's root so that its scope is the whole site."""
    version = deployment_version()
    config = {
        "version": version,
        "shellPages": [reverse("public:home"), reverse("public:choose_service"), reverse("public:offline")],
        "shellStatic": [static(name) for name in SHELL_STATIC],
        "offlineUrl": reverse("public:offline"),
        "reportPrefix": reverse("public:choose_service"),
        "neverCached": list(NEVER_CACHED),
        "staticPrefix": static(""),
    }
    # Our own paths only, as JSON (a JavaScript literal); no visitor's input goes in.
    context = {"version": version, "config": json.dumps(config, indent=2)}
    response = render(request, "public/service_worker.js", context, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    # A browser checks for a new worker on every visit; it must never be handed a stale one.
    patch_cache_control(response, no_cache=True, max_age=0)
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the installed app shows for a page it has not kept while there is no signal."""
    return render(request, "public/offline.html")
