"""Spanish for the resident who used it (issue 14): the service notices ("7 Business Days"), the footer, and
the e-mails and text messages about a request in the language the resident filed in, stored on the
requester by the public form, the agent console (the caller's language, when asked) and Open311 POST
(`locale`, else Accept-Language)."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation

from civic311.console import services as console
from civic311.console.forms import ConsoleReportForm
from civic311.notifications.models import OutboundMessage
from civic311.open311 import services as open311
from civic311.people.models import Customer, Requester, StaffRole
from civic311.people.selectors import language_for, supported_language
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Channel, Contact

from .factories import StaffFactory, filed_request, with_role

pytestmark = pytest.mark.django_db

CITY_HALL = {"lat": "39.9526", "long": "-75.1635"}


@pytest.fixture
def notice_service(service):
    service.service_notice = "7 Business Days"
    service.translations = {"es": {"name": "Vertido ilegal", "service_notice": "7 días hábiles"}}
    service.save()
    return service


def _emails_to(address: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(channel=OutboundMessage.Channel.EMAIL, recipient=address).order_by("pk"))


# --- the catalogue's notices and the footer ------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        ("es", "7 días hábiles", "7 Business Days"),
        ("en", "7 Business Days", "7 días hábiles"),
    ],
)
def test_the_service_notice_is_in_the_sites_language(client, notice_service, center_city, language, shown, hidden):
    client.cookies["django_language"] = language
    for path in (reverse("public:choose_service"), reverse("public:report", args=[notice_service.code])):
        html = client.get(path).content.decode()
        assert shown in html and hidden not in html, path
    service_request = filed_request(notice_service)
    html = client.get(reverse("public:track_request", args=[service_request.tracking_number])).content.decode()
    assert shown in html and hidden not in html


def test_a_notice_nobody_translated_falls_back_to_english(client, service, center_city):
    client.cookies["django_language"] = "es"
    assert "5 Business Days" in client.get(reverse("public:report", args=[service.code])).content.decode()


def test_the_catalogue_accepts_a_translated_notice(notice_service):
    notice_service.full_clean()  # "service_notice" is one of the service's translatable fields


@pytest.mark.parametrize(
    ("phones", "language", "sentence"),
    [
        ("311, 215-686-8686", "es", "Para cualquier otro asunto, llame al 311 o al 215-686-8686."),
        ("311, 215-686-8686", "en", "For anything else, call 311 or 215-686-8686."),
        ("215-686-8686", "es", "Para cualquier otro asunto, llame al 215-686-8686."),
    ],
)
def test_the_footer_has_no_english_words_in_spanish(client, jurisdiction, phones, language, sentence):
    jurisdiction.contact_phone = phones
    jurisdiction.save()
    client.cookies["django_language"] = language
    footer = client.get("/").content.decode().split('<footer class="site-footer">', 1)[1].split("</footer>")[0]
    assert sentence in " ".join(footer.split())
    if language == "es":
        assert " or " not in footer and "call" not in footer


def test_the_demo_city_lists_its_two_numbers_apart():
    from civic311.demo import services as demo

    city = demo.create_jurisdiction()
    assert city.contact_phones == ["311", "215-686-8686"]


# --- which language a resident is written to in ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("es_mx", "es"),
        ("ES", "es"),
        ("en-US", "en"),
        ("de", ""),  # German: not one of the seventeen
        ("", ""),
        ("x" * 200, ""),
        ("../../etc", ""),
    ],
)
def test_a_language_a_resident_names_is_matched_to_one_we_speak(value, code):
    assert supported_language(value) == code


def test_the_language_filed_in_wins_then_the_customer_record_then_the_site(jurisdiction, settings):
    customer = Customer.objects.create(jurisdiction=jurisdiction, first_name="Ana", preferred_language="es")
    assert language_for(Requester(language="en", customer=customer)) == "en"
    assert language_for(Requester(customer=customer)) == "es"
    assert language_for(Requester()) == settings.LANGUAGE_CODE
    assert language_for(None) == settings.LANGUAGE_CODE


def test_a_report_in_spanish_gets_its_emails_in_spanish(
    client, notice_service, center_city, django_capture_on_commit_callbacks
):
    client.cookies["django_language"] = "es"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("public:report", args=[notice_service.code]),
            {**CITY_HALL, "description": "Colchones en la acera.", "email": "ana@example.org"},
        )
    assert response.status_code == 302
    requester = Requester.objects.get(email="ana@example.org")
    assert requester.language == "es"
    service_request = requester.service_requests.get()
    staff = with_role(StaffFactory(), StaffRole.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        requests_services.change_status(
            service_request, Status.IN_PROGRESS, actor=staff, public_reason="A crew is on the way."
        )
    emails = _emails_to("ana@example.org")
    assert len(emails) == 2
    assert all(email.subject.startswith(f"Solicitud {service_request.tracking_number}") for email in emails)


def test_a_report_in_english_stays_in_english(client, notice_service, center_city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("public:report", args=[notice_service.code]),
            {**CITY_HALL, "description": "Mattresses.", "email": "pat@example.org"},
        )
    assert Requester.objects.get(email="pat@example.org").language == "en"
    [email] = _emails_to("pat@example.org")
    assert email.subject.startswith("Request ")


def test_a_text_message_follows_the_residents_language_too(notice_service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        service_request = filed_request(notice_service, phone="215-555-0100", language="es")
    [sms] = OutboundMessage.objects.filter(channel=OutboundMessage.Channel.SMS, recipient="+12155550100")
    assert service_request.tracking_number in sms.body
    english = filed_request(notice_service, phone="215-555-0199")
    assert english.requester is not None
    assert sms.body != "" and english.requester.language == ""


def test_an_anonymous_report_makes_no_requester_for_its_language(notice_service):
    service_request = filed_request(notice_service, language="es")
    assert service_request.requester is None


# --- Open311 POST: `locale`, else Accept-Language ---------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "headers", "stored"),
    [
        ({"locale": "es_MX"}, {}, "es"),
        ({}, {"HTTP_ACCEPT_LANGUAGE": "de-AT, es;q=0.8, en;q=0.5"}, "es"),
        ({"locale": "en"}, {"HTTP_ACCEPT_LANGUAGE": "es"}, "en"),  # the locale the client named wins
        ({"locale": "tlh"}, {}, ""),  # a language we do not speak: unknown, not a guess
        ({}, {}, ""),
    ],
)
def test_open311_post_stores_the_residents_language(client, notice_service, extra, headers, stored):
    key = open311.issue_api_key(notice_service.jurisdiction, "FixMyStreet", contact_email="dev@example.org").key
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": notice_service.code,
            **CITY_HALL,
            "email": "ana@example.org",
            **extra,
        },
        **headers,
    )
    assert response.status_code in (200, 201), response.content
    assert Requester.objects.get(email="ana@example.org").language == stored


def test_open311_post_answers_the_notice_in_the_clients_language(client, notice_service):
    key = open311.issue_api_key(notice_service.jurisdiction, "FixMyStreet", contact_email="dev@example.org").key
    response = client.post(
        "/open311/v2/requests.json",
        {"api_key": key, "service_code": notice_service.code, **CITY_HALL},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.json()[0]["service_notice"] == "7 días hábiles"


# --- the agent console: the caller's language when asked ---------------------------------------------------


def _console_form(service, language: str, email: str) -> ConsoleReportForm:
    data = QueryDict(mutable=True)
    data.update({**CITY_HALL, "description": "Tires.", "email": email, "caller_language": language})
    return ConsoleReportForm(service, service.jurisdiction, data=data)


@pytest.mark.parametrize(("asked", "stored"), [("es", "es"), ("", ""), ("zz", "")])
def test_the_console_stores_the_callers_language_never_the_agents(notice_service, asked, stored):
    agent = with_role(StaffFactory(), StaffRole.AGENT)
    contact = Contact.objects.create(
        jurisdiction=notice_service.jurisdiction,
        channel=Channel.PHONE,
        outcome=Contact.Outcome.PENDING,
        agent=agent,
        started_at=timezone.now(),
    )
    with translation.override("en"):  # the agent's own page language is English
        submission = console.file_request_for_contact(
            contact, _console_form(notice_service, asked, "c@example.org").to_report(), agent=agent
        )
    assert submission.service_request.requester is not None
    assert submission.service_request.requester.language == stored


def test_the_console_offers_the_callers_language_from_their_record(notice_service):
    form = ConsoleReportForm(notice_service, notice_service.jurisdiction, initial={"caller_language": "es"})
    assert form.values["caller_language"] == "es"
    assert ("es", "Spanish") in form.language_choices
