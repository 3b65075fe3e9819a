"""The liaison and program pages as a newcomer uses them: a meeting's items answer their service's own
questions (most services have a required one); a liaison's pages lead to their trainings; staff pages name
languages rather than show codes; the program's figures name services in the reader's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from civic311.catalogue.models import ServiceAttribute
from civic311.community.models import CommunityMeeting, LiaisonFiling
from civic311.community.selectors import figures
from civic311.community.services import liaison_filing
from civic311.service_requests.models import ServiceRequest

from ..factories import AttributeValueFactory, ServiceAttributeFactory, ServiceFactory
from .helpers import engagement_staff, make_liaison

pytestmark = pytest.mark.django_db


@pytest.fixture
def dumping(jurisdiction, department):
    service = ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="SR-ST02",
        name="Illegal Dumping",
        keywords="dumping, trash, tires",
        translations={"es": {"name": "Vertido ilegal"}},
    )
    what = ServiceAttributeFactory(
        service=service,
        code="material",
        description="What was dumped?",
        datatype=ServiceAttribute.Datatype.SINGLEVALUELIST,
        required=True,
    )
    AttributeValueFactory(attribute=what, key="tires", name="Tires")
    AttributeValueFactory(attribute=what, key="mattress", name="A mattress")
    ServiceAttributeFactory(service=service, code="plate", description="Licence plate, if seen", required=False)
    return service


def meeting_post(liaison, **fields):
    held_on = (timezone.now().astimezone(liaison.jurisdiction.zone) - dt.timedelta(days=1)).date()
    return {
        "meeting-name": "Block meeting",
        "meeting-held_on": held_on.isoformat(),
        "meeting-neighborhood": "",
        "meeting-place": "",
        "meeting-notes": "Tires dumped in the lot",
        "filing_key": "r3",
        **fields,
    }


def an_item(**fields):
    return {
        "items-total": "1",
        "items-0-service_code": "SR-ST02",
        "items-0-description": "Tires dumped in the lot",
        "items-0-address": "2100 Hart Ln",
        "items-0-neighborhood": "",
        **fields,
    }


def test_a_meeting_item_asks_its_services_questions_and_files_with_the_answers(client, center_city, dumping):
    liaison = make_liaison([center_city])
    client.force_login(liaison.user)

    # Step 2 shows the suggested service's questions, under the item's own names.
    split = client.post("/liaison/meeting/", meeting_post(liaison, action="split")).content.decode()
    assert 'name="items-0-service_code"' in split
    assert "What was dumped?" in split and 'name="items-0-attribute[material]"' in split
    assert 'id="id_items-0-attribute_material_0"' in split

    # Unanswered, the filing comes back to step 2 with the error on the question, nothing filed.
    refused = client.post("/liaison/meeting/", {**meeting_post(liaison, action="file"), **an_item()})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "What was dumped?" in html and "is required" in html
    assert not ServiceRequest.objects.exists() and not CommunityMeeting.objects.exists()

    # Answered on step 2, the answer is shown on the review and carried through it.
    answered = an_item(**{"items-0-attribute[material]": "tires"})
    review = client.post("/liaison/meeting/", {**meeting_post(liaison, action="review"), **answered})
    assert review.status_code == 200
    html = review.content.decode()
    assert re.search(r"What was dumped\?</span>\s*Tires", html)
    assert '<input type="hidden" name="items-0-attribute[material]" value="tires">' in html

    filed = client.post("/liaison/meeting/", {**meeting_post(liaison, action="file"), **answered})
    assert filed.status_code == 302
    request = ServiceRequest.objects.get()
    assert request.attributes == {"material": "tires"}
    assert LiaisonFiling.objects.get().meeting is not None


def test_answers_to_another_services_questions_are_dropped_when_the_service_changes(
    client, center_city, dumping, jurisdiction, department
):
    ServiceFactory(jurisdiction=jurisdiction, department=department, code="SR-SL01", name="Street Light Outage")
    liaison = make_liaison([center_city])
    client.force_login(liaison.user)
    changed = an_item(**{"items-0-service_code": "SR-SL01", "items-0-attribute[material]": "tires"})
    review = client.post("/liaison/meeting/", {**meeting_post(liaison, action="review"), **changed})
    assert review.status_code == 200
    assert "attribute[material]" not in review.content.decode()
    filed = client.post("/liaison/meeting/", {**meeting_post(liaison, action="file"), **changed})
    assert filed.status_code == 302 and ServiceRequest.objects.get().service.code == "SR-SL01"


def test_the_items_answers_reach_file_meeting(center_city, dumping):
    """The view's items carry answers in the shape the intake reads ({code: value or [values]})."""
    from django.http import QueryDict

    from civic311.community import filing_forms

    data = QueryDict(mutable=True)
    data.update(an_item())
    data.setlist("items-0-attribute[material]", ["tires"])
    data.setlist("items-0-attribute[several]", ["a", "b"])
    (item,) = filing_forms.items_from_post(data)
    assert item.to_fields("en")["answers"] == {"material": "tires", "several": ["a", "b"]}
    liaison = make_liaison([center_city])
    fields = item.to_fields("en")
    fields["answers"] = {"material": "tires"}
    held_on = (timezone.now().astimezone(liaison.jurisdiction.zone) - dt.timedelta(days=1)).date()
    filing = liaison_filing.file_meeting(
        liaison.user, {"name": "Block", "held_on": held_on, "neighborhood": "", "place": "", "notes": "x"}, [fields]
    )
    assert filing.service_requests[0].attributes == {"material": "tires"}


def test_the_dashboard_and_the_liaison_pages_lead_to_their_trainings(client, center_city):
    liaison = make_liaison([center_city])
    client.force_login(liaison.user)
    for path in ("/liaison/", "/liaison/filed/"):
        assert 'href="/liaison/trainings/"' in client.get(path).content.decode(), path


def test_the_dashboards_overdue_heading_is_its_own_words(client, center_city):
    """ "Overdue" over a list is not the badge's word: Spanish needs the plural there."""
    liaison = make_liaison([center_city])
    client.force_login(liaison.user)
    with translation.override("en"):
        html = client.get("/liaison/").content.decode()
    assert '<h3 class="h5 mt-3">Overdue</h3>' in html
    with open("civic311/community/templates/community/liaison/dashboard.html", encoding="utf-8") as source:
        template = source.read()
    assert '{% translate "Overdue" context "heading over a list of requests" %}' in template


def test_a_liaisons_page_names_their_languages(client, center_city):
    liaison = make_liaison([center_city], language="es", languages=["en", "es", "ht"])
    client.force_login(engagement_staff())
    html = client.get(f"/community/liaisons/{liaison.pk}/").content.decode()
    assert "English, Spanish, Haitian Creole" in html
    assert re.search(r"Messages in</dt><dd[^>]*>Spanish</dd>", html)


def test_an_applications_form_language_is_named(client, center_city):
    from civic311.community.services import applications

    from .helpers import application_data

    application = applications.apply(center_city.jurisdiction, application_data([center_city], language="es"))
    client.force_login(engagement_staff())
    with translation.override("en"):
        html = client.get(f"/community/applications/{application.pk}/").content.decode()
    assert re.search(r"Language of the form</dt><dd[^>]*>Spanish</dd>", html)


def test_the_figures_name_the_services_in_the_readers_language(center_city, dumping):
    liaison = make_liaison([center_city])
    liaison_filing.file_meeting(
        liaison.user,
        {
            "name": "Block",
            "held_on": (timezone.now().astimezone(liaison.jurisdiction.zone) - dt.timedelta(days=1)).date(),
            "neighborhood": "",
            "place": "",
            "notes": "x",
        },
        [
            {
                "service_code": "SR-ST02",
                "description": "Tires",
                "address": "1 Main St",
                "answers": {"material": "tires"},
            }
        ],
    )
    with translation.override("es"):
        found = figures.programme_figures(center_city.jurisdiction)
    assert [row.label for row in found.filings_by_service] == ["Vertido ilegal"]


def test_my_requests_sends_a_liaison_to_what_they_filed(client, center_city):
    from civic311.public.sign_in_views import SESSION_EMAIL

    liaison = make_liaison([center_city])
    client.force_login(liaison.user)
    session = client.session
    session[SESSION_EMAIL] = liaison.email
    session.save()
    html = client.get("/my-requests/").content.decode()
    assert 'href="/liaison/filed/"' in html and 'href="/liaison/"' in html


def test_sending_a_message_says_to_how_many_liaisons(client, center_city):
    make_liaison([center_city])
    client.force_login(engagement_staff())
    response = client.post("/community/messages/new/", {"subject": "Walk", "body": "Sunday 10am."}, follow=True)
    assert response.redirect_chain[-1][0] == "/community/messages/"
    assert "The message is on its way to 1 liaison." in response.content.decode()
