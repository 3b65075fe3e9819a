"""The console's "Suggested from the caller's words": beside the answers the agent's search finds, the
services the caller's words point to, with why and how sure; the agent clicks one to file it (nothing is
chosen for them), and the report form starts from those words. Live with htmx (the answers fragment),
the same on the full page without JavaScript; left out when the suggester fails."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from civic311.console import service_suggestions, services
from civic311.people.models import StaffRole
from civic311.service_requests.models import Contact
from civic311.text_intelligence import suggesting, training

from .factories import staff_in_role
from .roles_helpers import STAFF_ROLES
from .text_intelligence.suggester_helpers import page_services

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def catalogue(jurisdiction, department):
    return page_services(jurisdiction, department)


@pytest.fixture
def agent(db):
    return staff_in_role(StaffRole.AGENT, username="alex")


@pytest.fixture
def contact(jurisdiction, agent):
    return services.start_contact(jurisdiction, agent, "phone")


def panel(html: str) -> str:
    found = re.search(r'<section class="console-suggestions.*?</section>', html, re.DOTALL)
    return found.group(0) if found else ""


def picked(html: str) -> list[str]:
    return re.findall(r"\?service=([^&\"]+)&amp;words=", panel(html))


def test_the_callers_words_get_their_services_with_why_and_how_sure(client, catalogue, contact, agent):
    client.force_login(agent)
    html = client.get(reverse("console:contact", args=[contact.pk]), {"s": "there is a big pothole on my block"})
    page = html.content.decode()
    assert "Suggested from the caller&#x27;s words" in page or "Suggested from the caller's words" in page
    assert picked(page)[0] == "SR-ST01"
    assert "“pothole”" in panel(page)
    assert re.search(r"\d+ ?% sure", panel(page))
    # Clicking files nothing: it opens the report form of that service, on this contact's page.
    assert f'href="/console/contact/{contact.pk}/?service=SR-ST01&amp;words=there%20is%20a%20big%20pothole' in page


def test_live_the_answers_fragment_carries_the_suggestions(client, catalogue, contact, agent):
    client.force_login(agent)
    response = client.get(reverse("console:answers", args=[contact.pk]), {"s": "someone dumped tires"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert picked(html)[0] == "SR-ST02"


def test_the_report_form_starts_from_the_callers_words(client, catalogue, contact, agent):
    client.force_login(agent)
    page = client.get(
        reverse("console:contact", args=[contact.pk]), {"service": "SR-ST01", "words": "pothole by the school"}
    ).content.decode()
    assert re.search(r'<textarea[^>]*name="description"[^>]*>pothole by the school</textarea>', page)
    assert not Contact.objects.get(pk=contact.pk).has_outcome  # nothing filed by picking


def test_one_word_is_a_search_not_a_description(client, catalogue, contact, agent):
    client.force_login(agent)
    page = client.get(reverse("console:contact", args=[contact.pk]), {"s": "pothole"}).content.decode()
    assert panel(page) == ""


@pytest.mark.parametrize("words", ["🙂 🙂 🙂", "hello there", "the of and"])
def test_words_that_say_nothing_say_not_sure(client, catalogue, contact, agent, words):
    client.force_login(agent)
    page = client.get(reverse("console:contact", args=[contact.pk]), {"s": words}).content.decode()
    assert "Not sure which service this is" in panel(page) or "Not sure: check with the caller" in panel(page)


def test_an_unsure_suggestion_is_never_the_primary_button(client, catalogue, contact, agent, settings):
    settings.CIVIC311_SUGGESTION_FLOOR = 0.99
    client.force_login(agent)
    page = client.get(reverse("console:contact", args=[contact.pk]), {"s": "pothole on my block"}).content.decode()
    assert "Not sure: check with the caller" in panel(page)
    assert "btn-primary" not in panel(page).replace("btn-outline-primary", "")


def test_a_trained_model_answers_spanish_words_too(client, catalogue, contact, agent, jurisdiction):
    training.train(jurisdiction)
    client.force_login(agent)
    page = client.get(reverse("console:contact", args=[contact.pk]), {"s": "hay un bache en la calle"}).content
    assert picked(page.decode())[:1] == ["SR-ST01"]


def test_ten_thousand_characters_are_cut_to_the_search_box(client, catalogue, contact, agent):
    client.force_login(agent)
    response = client.get(reverse("console:contact", args=[contact.pk]), {"s": "graffiti on the wall " * 500})
    assert response.status_code == 200
    assert picked(response.content.decode())[:1] == ["SR-CL01"]


def test_when_the_suggester_fails_the_panel_is_left_out(client, catalogue, contact, agent, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(suggesting, "suggest", broken)
    client.force_login(agent)
    response = client.get(reverse("console:contact", args=[contact.pk]), {"s": "someone dumped tires"})
    assert response.status_code == 200
    assert panel(response.content.decode()) == ""
    assert "Illegal Dumping" in response.content.decode()  # the search still answers


def test_only_services_one_can_report_are_offered(jurisdiction, catalogue):
    found = service_suggestions.caller_suggestions(jurisdiction, "pothole on the road")
    assert found is not None
    assert {shown.service.code for shown in found.services} <= set(catalogue)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_only_the_agent_working_the_contact_sees_the_panel(client, catalogue, jurisdiction, agent, role):
    theirs = services.start_contact(jurisdiction, agent, "phone")
    user = staff_in_role(role)
    client.force_login(user)
    response = client.get(reverse("console:answers", args=[theirs.pk]), {"s": "pothole on my block"}, **HTMX)
    assert response.status_code == 403
    page = client.get(reverse("console:contact", args=[theirs.pk]), {"s": "pothole on my block"})
    assert page.status_code in {200, 403}
    assert panel(page.content.decode()) == ""  # supervisors look at it; they do not work it


def test_a_resident_is_sent_to_sign_in(client, catalogue, contact):
    response = client.get(reverse("console:answers", args=[contact.pk]), {"s": "pothole on my block"}, **HTMX)
    assert response.status_code == 302
