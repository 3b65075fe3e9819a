"""The installable app: its manifest, its service worker, its offline page, and reports sent from it."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from civic311.service_requests.models import Channel, ServiceRequest

CITY_HALL = {"lat": "39.9526", "long": "-75.1635"}


@pytest.fixture(autouse=True)
def _english_between_requests():
    # LocaleMiddleware leaves the last request's language active in the test's thread.
    with translation.override("en"):
        yield


@pytest.fixture
def report_url(service, center_city):
    return reverse("public:report", args=[service.code])


def a_report(**overrides: str) -> dict[str, str]:
    return {
        "description": "A pile of tires on the sidewalk.",
        "address": "1400 John F Kennedy Blvd",
        **CITY_HALL,
        "idempotency_key": "7f1c3a9e-0000-4000-8000-00000000a991",
        **overrides,
    }


# --- the manifest ---------------------------------------------------------------------------------------


def test_the_manifest_names_the_city_and_starts_the_app_at_home(client, jurisdiction):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == f"{jurisdiction.name} 311"
    assert manifest["short_name"]
    assert len(manifest["short_name"]) <= 12
    assert manifest["start_url"] == "/?source=app"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0f4d90"
    assert manifest["lang"] == "en"
    assert manifest["dir"] == "ltr"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/static/public/icons/icon-")


def test_the_manifest_is_in_the_visitors_language(client, jurisdiction):
    client.cookies["django_language"] = "es"
    manifest = json.loads(client.get("/manifest.webmanifest", headers={"accept-language": "es"}).content)
    assert manifest["lang"] == "es"
    assert manifest["description"] != "Report a problem to the city and follow what happens to it."


def test_every_public_page_links_the_manifest_and_loads_the_app_script(client, jurisdiction):
    html = client.get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#0f4d90">' in html
    assert 'src="/static/public/app.js" defer' in html
    assert 'data-worker="/service-worker.js"' in html
    # "My requests" (residents signed in by an e-mail link) is in the menu of the app's start page.
    assert reverse("public:my_requests") in client.get("/?source=app").content.decode()


# --- the service worker -----------------------------------------------------------------------------------


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client, jurisdiction):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert '"offlineUrl": "/offline/"' in body
    assert "/static/public/app.js" in body
    assert "{{" not in body and "{%" not in body


def test_the_service_worker_never_keeps_personal_or_staff_pages(client, jurisdiction):
    body = client.get("/service-worker.js").content.decode()
    start = body.index("const CONFIG = ") + len("const CONFIG = ")
    config = json.JSONDecoder().raw_decode(body[start:])[0]
    assert set(config["shellPages"]) == {"/", "/report/", "/offline/"}
    for private in ("/account/", "/admin/", "/my-requests/", "/track/", "/report/done/", "/console/", "/inbox/"):
        assert private in config["neverCached"]
        assert not any(page.startswith(private) for page in config["shellPages"])
    assert not any(url.startswith(("/account/", "/admin/")) for url in config["shellStatic"])


def test_the_service_worker_changes_with_the_deployment(client, jurisdiction, monkeypatch):
    from civic311.public import app_views

    first = client.get("/service-worker.js").content.decode()
    monkeypatch.setattr(app_views, "deployment_version", lambda: "new-version")
    second = client.get("/service-worker.js").content.decode()
    assert first != second
    assert '"version": "new-version"' in second


# --- the offline page -----------------------------------------------------------------------------------------


def test_the_offline_page_says_reports_are_kept_on_the_device(client, jurisdiction):
    response = client.get("/offline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are offline" in html
    assert "kept on this device" in html
    assert "<script>" not in html


def test_the_offline_page_in_spanish(client, jurisdiction):
    client.post(reverse("set_language"), {"language": "es", "next": "/offline/"})
    html = client.get("/offline/").content.decode()
    assert 'lang="es"' in html
    # The page's own sentences are in Spanish once .scratch/es/app.po is merged into the catalogue; its
    # links and the site's chrome already are.
    assert "Volver a la página de inicio" in html
    assert "Back to the home page" not in html


# --- reports from the app -------------------------------------------------------------------------------------


def test_the_same_idempotency_key_twice_files_one_request(client, report_url):
    first = client.post(report_url, a_report())
    again = client.post(report_url, a_report(description="The same report, sent again from a draft."))
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert ServiceRequest.objects.count() == 1


def test_different_idempotency_keys_file_two_requests(client, report_url):
    client.post(report_url, a_report())
    client.post(report_url, a_report(idempotency_key="7f1c3a9e-0000-4000-8000-00000000a992"))
    assert ServiceRequest.objects.count() == 2


def test_a_report_from_the_installed_app_is_filed_with_the_mobile_channel(client, report_url):
    assert client.post(report_url, a_report(source="app")).status_code == 302
    assert ServiceRequest.objects.get().channel == Channel.MOBILE


@pytest.mark.parametrize("source", ["", "App", "app ", "mobile", "web", "apps"])
def test_any_other_source_is_the_web_channel(client, report_url, source):
    assert client.post(report_url, a_report(source=source)).status_code == 302
    assert ServiceRequest.objects.get().channel == Channel.WEB


def test_a_posted_channel_is_never_read(client, report_url):
    assert client.post(report_url, a_report(channel="mobile")).status_code == 302
    assert ServiceRequest.objects.get().channel == Channel.WEB
