"""The choose-service page's "Describe what's wrong": the services the resident's words point to, with why
and how sure, or "we're not sure" and the ordinary list. It works without JavaScript (a GET form), live
with htmx (the suggestions alone), without a trained model (the keyword baseline) and when the suggester
fails (the list). Nothing is chosen for the resident; their words go on to the report form."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from civic311.catalogue.models import Service
from civic311.public import service_suggestions
from civic311.text_intelligence import suggesting, training

from .factories import ServiceFactory

pytestmark = pytest.mark.django_db

URL = reverse("public:choose_service")


@pytest.fixture(autouse=True)
def _no_kept_model():
    # SQLite reuses ids after a rolled-back test: a model this process kept would be another test's city's.
    training.forget_cached_model()
    yield
    training.forget_cached_model()


@pytest.fixture
def catalogue(jurisdiction, department):
    made = {}
    for code, name, keywords, spanish, spanish_keywords in [
        (
            "SR-ST01",
            "Street Defect",
            "pothole, hole in the road, sinkhole, cave in",
            "Defecto de la calle",
            "bache, hoyo",
        ),
        ("SR-CL01", "Graffiti Removal", "graffiti, tagging, spray paint", "Eliminación de grafiti", "grafiti, pintada"),
        ("SR-ST02", "Illegal Dumping", "dumping, dumped, tires, mattress", "Vertido ilegal", "basura tirada, colchón"),
        ("SR-ST04", "Street Light Outage", "street light, lamp out, dark", "Farola apagada", "farola, luz apagada"),
    ]:
        made[code] = ServiceFactory(
            jurisdiction=jurisdiction,
            department=department,
            code=code,
            name=name,
            keywords=keywords,
            translations={"es": {"name": spanish, "keywords": spanish_keywords}},
        )
    # Information only: never offered as something to report, whatever the words.
    ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="INFO-TRASHDAY",
        name="Trash day information",
        keywords="collection day, schedule, dumped",
        kind=Service.Kind.INFORMATION,
    )
    return made


def suggested_links(html: str) -> list[str]:
    block = re.search(r'<div id="service-suggestions".*?</div>', html, re.DOTALL)
    assert block is not None
    return re.findall(r'href="/report/([^/"]+)/\?description=', block.group(0))


def test_the_page_offers_to_describe_the_problem_and_still_lists_every_service(client, catalogue):
    html = client.get(URL).content.decode()
    assert 'name="description"' in html
    assert "Describe what&#x27;s wrong" in html or "Describe what's wrong" in html
    assert suggested_links(html) == []
    assert "We&#x27;re not sure" not in html
    for service in catalogue.values():
        assert f'href="/report/{service.code}/"' in html  # the ordinary list


def test_without_javascript_the_described_problem_gets_its_services_with_why(client, catalogue):
    response = client.get(URL, {"description": "There is a huge pothole in front of my house"})
    html = response.content.decode()
    assert response.status_code == 200
    links = suggested_links(html)
    assert links[0] == "SR-ST01"
    assert "INFO-TRASHDAY" not in suggested_links(
        client.get(URL, {"description": "what is my collection day"}).content.decode()
    )
    assert "“pothole”" in html  # why
    assert re.search(r"\d+ ?% sure", html)  # how sure
    # The resident's words go on to the form of the service they pick.
    assert '/report/SR-ST01/?description=There%20is%20a%20huge%20pothole%20in%20front%20of%20my%20house"' in html
    # The ordinary list is still there: the resident decides.
    assert 'href="/report/SR-CL01/"' in html


def test_live_with_htmx_it_answers_the_suggestions_alone(client, catalogue):
    response = client.get(URL, {"description": "someone tagged graffiti on the wall"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and html.lstrip().startswith('<div id="service-suggestions"')
    assert suggested_links(html)[0] == "SR-CL01"
    assert "HX-Request" in response["Vary"]
    assert "HX-Request" in client.get(URL)["Vary"]  # the full page and the fragment are cached apart


def test_the_page_loads_htmx_without_an_inline_script(client, catalogue):
    html = client.get(URL).content.decode()
    assert "vendor/htmx/htmx.min.js" in html
    assert 'hx-get="/report/"' in html and 'hx-target="#service-suggestions"' in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert '"allowEval": false' in html


def test_with_a_trained_model_the_model_answers(client, catalogue, jurisdiction):
    training.train(jurisdiction)
    found = service_suggestions.suggested_services(jurisdiction, "big pothole in the road")
    assert found.method == "model"
    assert found.services and found.services[0].service.code == "SR-ST01"
    assert all(shown.percent is not None and 0 <= shown.percent <= 100 for shown in found.services)
    html = client.get(URL, {"description": "big pothole in the road"}).content.decode()
    assert suggested_links(html)[0] == "SR-ST01"


@pytest.mark.parametrize("words", ["🙂🙂🙂", "hello", "the of and", "   "])
def test_words_that_say_nothing_get_we_are_not_sure_and_the_list(client, catalogue, words):
    html = client.get(URL, {"description": words}).content.decode()
    assert suggested_links(html) == []
    if words.strip():
        assert "not sure which service this is" in html
        assert "Pick from the list below" in html
    for service in catalogue.values():
        assert f'href="/report/{service.code}/"' in html


def test_an_unsure_answer_is_offered_as_perhaps_never_as_sure(client, catalogue, settings):
    settings.CIVIC311_SUGGESTION_FLOOR = 0.99  # nothing is sure enough
    html = client.get(URL, {"description": "pothole on my street"}).content.decode()
    assert "not sure which service this is" in html
    assert "These might fit" in html
    assert "Services that fit your description" not in html
    assert suggested_links(html)[0] == "SR-ST01"


def test_a_spanish_description_finds_its_service(client, catalogue, jurisdiction):
    # The keyword baseline reads the catalogue in the visitor's language...
    html = client.get(URL, {"description": "hay un bache enorme en mi calle"}, HTTP_ACCEPT_LANGUAGE="es").content
    assert suggested_links(html.decode())[:1] == ["SR-ST01"]
    # ...a trained model knows every language of the catalogue, whatever the page's.
    training.train(jurisdiction)
    html = client.get(URL, {"description": "hay un bache enorme en mi calle"}).content.decode()
    assert suggested_links(html)[:1] == ["SR-ST01"]


def test_ten_thousand_characters_are_read_by_their_start_and_carried_capped(client, catalogue):
    text = "graffiti on the wall " + "x" * 10_000
    response = client.get(URL, {"description": text})
    html = response.content.decode()
    assert response.status_code == 200
    kept = re.search(r'<textarea[^>]*id="id_description"[^>]*>([^<]*)</textarea>', html)
    assert kept is not None and len(kept.group(1)) == service_suggestions.DESCRIBE_MAX_CHARS
    assert suggested_links(html)[:1] == ["SR-CL01"]


def test_the_words_are_escaped_never_run(client, catalogue):
    html = client.get(URL, {"description": "<script>alert(1)</script> graffiti"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; graffiti" in html


def test_without_the_suggester_the_keyword_baseline_answers(client, catalogue, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(suggesting, "suggest", broken)
    response = client.get(URL, {"description": "someone dumped tires in the lot"})
    html = response.content.decode()
    assert response.status_code == 200
    assert suggested_links(html) == ["SR-ST02"]
    assert "Some of your words match this service." in html
    assert "not sure which service this is" in html  # the baseline has no confidence: never "sure"
    assert "% sure" not in html


def test_when_the_baseline_fails_too_the_ordinary_list_answers(client, catalogue, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("search index broken")

    monkeypatch.setattr(suggesting, "suggest", broken)
    monkeypatch.setattr(service_suggestions.keyword_baseline, "suggest_service", broken)
    response = client.get(URL, {"description": "someone dumped tires in the lot"})
    html = response.content.decode()
    assert response.status_code == 200
    assert suggested_links(html) == []
    assert "not sure which service this is" in html
    for service in catalogue.values():
        assert f'href="/report/{service.code}/"' in html


def test_a_broken_explanation_still_shows_the_suggestion(client, catalogue, monkeypatch):
    def broken(suggestion):
        raise RuntimeError("no sentence")

    monkeypatch.setattr(suggesting, "explain", broken)
    html = client.get(URL, {"description": "graffiti on my fence"}).content.decode()
    assert suggested_links(html)[0] == "SR-CL01"
    assert "% sure" in html


def test_nothing_is_chosen_for_the_resident(client, catalogue):
    response = client.get(URL, {"description": "graffiti on my fence"})
    assert response.status_code == 200  # never a redirect to a service's form
    block = re.search(r'<div id="service-suggestions".*?</div>', response.content.decode(), re.DOTALL)
    assert block is not None and "selected" not in block.group(0)


def test_the_search_still_works_beside_the_description(client, catalogue):
    html = client.get(URL, {"q": "graffiti"}).content.decode()
    assert "1 service matches “graffiti”" in html
    assert suggested_links(html) == []


# --- the report form takes the words on ------------------------------------------------------------------


def test_the_report_form_starts_from_the_described_words(client, catalogue):
    html = client.get(reverse("public:report", args=["SR-ST01"]), {"description": "pothole by the bus stop"}).content
    assert re.search(rb'<textarea[^>]*id="id_description"[^>]*>pothole by the bus stop</textarea>', html)


def test_the_carried_words_are_capped_and_cleaned(client, catalogue):
    carried = "a\x00b " + "y" * 5000
    html = client.get(reverse("public:report", args=["SR-ST01"]), {"description": carried}).content.decode()
    kept = re.search(r'<textarea[^>]*id="id_description"[^>]*>([^<]*)</textarea>', html)
    assert kept is not None
    assert "\x00" not in kept.group(1)
    assert kept.group(1).startswith("a b yyy")
    assert len(kept.group(1)) == service_suggestions.DESCRIBE_MAX_CHARS


def test_without_carried_words_the_report_form_starts_empty(client, catalogue):
    html = client.get(reverse("public:report", args=["SR-ST01"])).content.decode()
    assert re.search(r'<textarea[^>]*id="id_description"[^>]*></textarea>', html)


# --- the read itself -----------------------------------------------------------------------------------


def test_described_keeps_the_words_tidy():
    assert service_suggestions.described(None) == ""
    assert service_suggestions.described("  pot\x00hole \n\n here ") == "pot hole here"
    assert len(service_suggestions.described("z" * 20_000)) == service_suggestions.DESCRIBE_MAX_CHARS


def test_no_words_no_read(jurisdiction, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the suggester was asked about nothing")

    monkeypatch.setattr(suggesting, "suggest", never)
    found = service_suggestions.suggested_services(jurisdiction, "")
    assert not found.answered and found.services == ()
