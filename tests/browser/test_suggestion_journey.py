"""A resident on a phone describes what's wrong in their own words: as they type, the likely services
appear with why and how sure; they pick one and its report form starts from their words. In English and
Spanish, with the content security policy holding, and the same journey without JavaScript. The words are
only ever posted: no address the browser asks for (so no access log) carries them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, unquote_plus

import pytest
from django.conf import settings as django_settings

from civic311.text_intelligence import training
from tests.factories import ServiceFactory

from .conftest import PHONE, recording_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
)


def record_addresses(page) -> list[str]:
    """Every address the page asks for (as an access log would have them), decoded."""
    addresses: list[str] = []
    page.on("request", lambda request: addresses.append(unquote_plus(unquote(request.url))))
    return addresses


def assert_no_address_holds(addresses: list[str], words: str) -> None:
    assert addresses
    for fragment in {words, words[:12], words.split(",")[0]}:
        assert not [address for address in addresses if fragment in address]
    assert not [address for address in addresses if "description=" in address]


@pytest.fixture
def city(transactional_db, jurisdiction, department):
    for code, name, keywords, spanish, spanish_keywords in [
        ("SR-ST01", "Street Defect", "pothole, hole in the road, sinkhole", "Desperfecto en la calle", "bache, hoyo"),
        ("SR-CL01", "Graffiti Removal", "graffiti, tagging, spray paint", "Eliminación de grafiti", "grafiti, pintada"),
        ("SR-ST02", "Illegal Dumping", "dumping, dumped, tires, mattress", "Vertido ilegal", "basura, llantas"),
    ]:
        ServiceFactory(
            jurisdiction=jurisdiction,
            department=department,
            code=code,
            name=name,
            keywords=keywords,
            translations={"es": {"name": spanish, "keywords": spanish_keywords}},
        )
    training.forget_cached_model()
    training.train(jurisdiction)
    yield jurisdiction
    training.forget_cached_model()


@pytest.fixture
def spanish_catalogue(settings, tmp_path):
    """The site's Spanish with these pages' own (kept in .scratch until they join civic311/locale)."""
    scratch = ROOT / ".scratch" / "es" / "suggestions-ui.po"
    if not scratch.exists() or not shutil.which("msgcat") or not shutil.which("msgfmt"):
        return
    folder = tmp_path / "locale" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    site = ROOT / "civic311" / "locale" / "es" / "LC_MESSAGES" / "django.po"
    merged = folder / "django.po"
    ours = tmp_path / "suggestions-ui.po"  # the scratch file has no header; msgcat wants its charset
    ours.write_text(HEADER + scratch.read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run(["msgcat", "--use-first", "-o", str(merged), str(site), str(ours)], check=True)  # noqa: S607
    subprocess.run(["msgfmt", "-o", str(folder / "django.mo"), str(merged)], check=True)  # noqa: S607
    settings.LOCALE_PATHS = [str(tmp_path / "locale"), *django_settings.LOCALE_PATHS]


@pytest.mark.parametrize(
    ("locale", "words", "texts"),
    [
        (
            "en-US",
            "there's a huge pothole on my street, almost fell in",
            {"lang": "en", "label": "Describe what's wrong", "service": "Street Defect"},
        ),
        (
            "es-ES",
            "hay un bache enorme en mi calle, casi me caigo",
            {"lang": "es", "label": "Describa qué pasa", "service": "Desperfecto en la calle"},
        ),
    ],
)
def test_a_resident_describes_the_problem_and_picks_a_suggested_service(
    live_server, city, spanish_catalogue, chromium, locale, words, texts
):
    with recording_page(chromium, locale=locale, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        addresses = record_addresses(page)
        page.goto(f"{live_server.url}/report/")
        assert page.locator("html").get_attribute("lang") == texts["lang"]
        box = page.get_by_label(texts["label"])
        box.fill(words)  # no button pressed: htmx asks as they type

        first = page.locator(".service-suggestion .service-item__link").first
        first.wait_for()
        assert first.inner_text() == texts["service"]
        assert "%" in page.locator(".service-suggestion__why").first.inner_text()
        assert "“" in page.locator(".service-suggestion__why").first.inner_text()  # the words why
        # The words were posted: the address is still the plain page's.
        assert page.url == f"{live_server.url}/report/"
        assert page.locator("#service-suggestions").get_attribute("aria-live") == "polite"
        # Nothing is chosen for them: the whole list is still there.
        assert page.locator(".service-list .service-item__link").count() >= 4

        first.click()  # a small posted form: the words wait in the session for the form
        page.wait_for_url(f"{live_server.url}/report/SR-ST01/")
        assert page.locator("#id_description").input_value() == words
        assert_no_address_holds(addresses, words)
        # Taken once: the form afresh starts empty (the resident's words are not kept about).
        page.reload()
        assert page.locator("#id_description").input_value() == ""
        assert page.csp_violations == []


def test_without_javascript_the_form_reloads_the_page_with_the_suggestions(live_server, city, chromium):
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE, locale="en-US")
    page = context.new_page()
    addresses = record_addresses(page)
    words = "someone sprayed graffiti on my garage door"
    try:
        page.goto(f"{live_server.url}/report/")
        page.get_by_label("Describe what's wrong").fill(words)
        with page.expect_navigation():
            page.get_by_role("button", name="Suggest services").click()  # posts the page
        assert page.url == f"{live_server.url}/report/"
        assert page.get_by_label("Describe what's wrong").input_value() == words
        first = page.locator(".service-suggestion .service-item__link").first
        assert first.inner_text() == "Graffiti Removal"
        assert page.locator(".service-list .service-item__link").count() >= 4  # the list is still there
        first.click()
        page.wait_for_url(f"{live_server.url}/report/SR-CL01/")
        assert page.locator("#id_description").input_value() == words
        assert_no_address_holds(addresses, words)
    finally:
        context.close()


def test_words_that_say_nothing_leave_the_choice_to_the_resident(live_server, city, chromium):
    with recording_page(chromium, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        page.goto(f"{live_server.url}/report/")
        page.get_by_label("Describe what's wrong").fill("🙂🙂🙂")
        page.locator(".service-suggestions__unsure").wait_for()
        assert "not sure" in page.locator(".service-suggestions__unsure").inner_text()
        assert page.locator(".service-suggestion").count() == 0
        assert page.csp_violations == []
