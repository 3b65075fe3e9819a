"""Routing: a neighborhood can send a service's requests to another department, an answer can raise a
hazard alert (one e-mail through the outbox, made once the request is committed), or stop the report
with a canned answer ("gas escaping → call 911") that files nothing but is still counted as a contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from civic311.catalogue.models import RoutingRule
from civic311.notifications.models import OutboundMessage
from civic311.people.models import Requester, StaffRole
from civic311.service_requests import announcements
from civic311.service_requests.models import Announcement, Channel, Contact, HistoryEntry, Photo, ServiceRequest
from civic311.service_requests.services import CannedAnswer, Report, log_information_request, submit

from .factories import (
    DepartmentFactory,
    JurisdictionFactory,
    NeighborhoodFactory,
    RoutingRuleFactory,
    ServiceFactory,
    StaffFactory,
    box,
    select_attribute,
    with_role,
)

NOW = dt.datetime(2026, 1, 7, 15, 0, tzinfo=dt.UTC)
CITY_HALL: dict[str, Any] = {"lat": "39.9526", "long": "-75.1635"}
NORTH_PHILLY = {"lat": "40.05", "long": "-75.15"}  # inside the city, outside Center City


@pytest.fixture
def water(jurisdiction):
    return DepartmentFactory(
        jurisdiction=jurisdiction, slug="water", name="Water Department", contact_email="water-emergency@example.org"
    )


@pytest.fixture
def hazard_service(service):
    select_attribute(service, "blocking", ["yes", "no"])
    select_attribute(service, "contents", ["tires", "furniture", "chemicals"], multi=True)
    RoutingRuleFactory(
        service=service,
        kind=RoutingRule.Kind.HAZARD_ALERT,
        attribute_code="blocking",
        attribute_value="yes",
        message="Blocking the roadway.",
    )
    RoutingRuleFactory(
        service=service,
        kind=RoutingRule.Kind.HAZARD_ALERT,
        attribute_code="contents",
        attribute_value="chemicals",
        message="Possible chemicals.",
    )
    return service


@pytest.fixture
def gas_service(jurisdiction, department):
    service = ServiceFactory(jurisdiction=jurisdiction, department=department, code="SR-GAS", name="Gas smell")
    select_attribute(service, "escaping", ["yes", "no"], required=True)
    RoutingRuleFactory(
        service=service,
        kind=RoutingRule.Kind.CANNED_ANSWER,
        attribute_code="escaping",
        attribute_value="yes",
        message="Leave the building now and call 911.",
        translations={"es": {"message": "Salga del edificio y llame al 911."}},
    )
    return service


def file(jurisdiction, service, **fields):
    values: dict[str, Any] = {**CITY_HALL, "description": "Something is wrong."}
    values.update(fields)
    return submit(jurisdiction, Report(service_code=service.code, **values), now=NOW).service_request


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count() for model in (ServiceRequest, Requester, Contact, Photo, HistoryEntry)
    }


# --- neighborhood overrides ----------------------------------------------------------------------------


def test_a_neighborhood_rule_sends_its_requests_to_the_other_department(jurisdiction, service, center_city, water):
    RoutingRuleFactory(service=service, kind=RoutingRule.Kind.NEIGHBORHOOD, neighborhood=center_city, department=water)
    assert file(jurisdiction, service).department == water
    assert file(jurisdiction, service, **NORTH_PHILLY).department == service.department


def test_a_neighborhood_rule_applies_to_a_picked_neighborhood_too(jurisdiction, service, center_city, water):
    RoutingRuleFactory(service=service, kind=RoutingRule.Kind.NEIGHBORHOOD, neighborhood=center_city, department=water)
    request = file(jurisdiction, service, lat="", long="", address="1 Penn Sq", neighborhood="center-city")
    assert request.department == water


def test_a_neighborhood_rule_for_another_neighborhood_changes_nothing(jurisdiction, service, center_city, water):
    fishtown = NeighborhoodFactory(
        jurisdiction=jurisdiction, slug="fishtown", boundary=box(-75.14, 39.96, -75.11, 39.99)
    )
    RoutingRuleFactory(service=service, kind=RoutingRule.Kind.NEIGHBORHOOD, neighborhood=fishtown, department=water)
    assert file(jurisdiction, service).department == service.department


def test_a_neighborhood_rule_of_another_service_changes_nothing(jurisdiction, service, center_city, water):
    other = ServiceFactory(jurisdiction=jurisdiction)
    RoutingRuleFactory(service=other, kind=RoutingRule.Kind.NEIGHBORHOOD, neighborhood=center_city, department=water)
    assert file(jurisdiction, service).department == service.department


def test_a_neighborhood_rule_without_a_department_leaves_the_routing_alone(jurisdiction, service, center_city):
    # clean() refuses such a rule; a row written around it (a raw import) must not route to nobody.
    RoutingRuleFactory(service=service, kind=RoutingRule.Kind.NEIGHBORHOOD, neighborhood=center_city, department=None)
    assert file(jurisdiction, service).department == service.department


# --- hazard alerts -------------------------------------------------------------------------------------


def test_a_hazard_answer_marks_the_request_and_writes_an_internal_entry(
    jurisdiction, hazard_service, center_city, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = file(jurisdiction, hazard_service, answers={"blocking": "yes"})
    assert ServiceRequest.objects.get(pk=request.pk).hazard
    [entry] = request.history.filter(kind=HistoryEntry.Kind.HAZARD)
    assert entry.text == "Blocking the roadway."
    assert not entry.is_public
    assert entry.who == "System"
    assert request.history.filter(is_public=True).count() == 1  # only "opened"


def test_a_hazard_sends_one_e_mail_to_the_department_through_the_outbox(
    jurisdiction, hazard_service, center_city, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        request = file(jurisdiction, hazard_service, answers={"blocking": "yes", "contents": ["chemicals"]})
    assert mail.outbox == []  # nothing is sent for a request that might still roll back
    # What the alert needs is written with the request: the hazard entries' announcements. Nothing else
    # (no job queued in memory) has to survive for the department to be told.
    hazards = request.history.filter(kind=HistoryEntry.Kind.HAZARD)
    assert Announcement.objects.filter(history_entry__in=hazards).count() == 2
    with django_capture_on_commit_callbacks(execute=True):  # the worker, as after a crash and a restart
        announcements.sweep()
    assert len(mail.outbox) == 1
    [queued] = OutboundMessage.objects.filter(dedup_key__startswith="staff:hazard:")
    assert queued.state == OutboundMessage.State.SENT
    message = mail.outbox[0]
    assert message.to == ["streets@example.org"]
    assert request.tracking_number in message.subject
    assert "Blocking the roadway." in message.body
    assert "Possible chemicals." in message.body


def test_a_request_that_rolls_back_sends_no_alert(
    jurisdiction, hazard_service, center_city, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                file(jurisdiction, hazard_service, answers={"blocking": "yes"})
                raise RuntimeError("the caller's transaction failed")
        except RuntimeError:
            pass
    assert mail.outbox == []
    assert ServiceRequest.objects.count() == 0


def test_the_alert_goes_to_the_department_the_request_was_routed_to(
    jurisdiction, hazard_service, center_city, water, django_capture_on_commit_callbacks
):
    RoutingRuleFactory(
        service=hazard_service, kind=RoutingRule.Kind.NEIGHBORHOOD, neighborhood=center_city, department=water
    )
    with django_capture_on_commit_callbacks(execute=True):
        file(jurisdiction, hazard_service, answers={"blocking": "yes"})
    assert [message.to for message in mail.outbox] == [["water-emergency@example.org"]]


def test_no_alert_e_mail_when_the_department_has_no_address(
    jurisdiction, hazard_service, center_city, django_capture_on_commit_callbacks
):
    hazard_service.department.contact_email = ""
    hazard_service.department.save()
    with django_capture_on_commit_callbacks(execute=True):
        request = file(jurisdiction, hazard_service, answers={"blocking": "yes"})
    assert ServiceRequest.objects.get(pk=request.pk).hazard
    assert mail.outbox == []


@pytest.mark.parametrize("answers", [{"blocking": "no"}, {}, {"contents": ["tires", "furniture"]}])
def test_other_answers_raise_no_alert(
    jurisdiction, hazard_service, center_city, answers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = file(jurisdiction, hazard_service, answers=answers)
    assert not ServiceRequest.objects.get(pk=request.pk).hazard
    assert not request.history.filter(kind=HistoryEntry.Kind.HAZARD).exists()
    assert mail.outbox == []


def test_a_multivalue_answer_containing_the_trigger_raises_the_alert(
    jurisdiction, hazard_service, center_city, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = file(jurisdiction, hazard_service, answers={"contents": ["tires", " chemicals "]})
    assert ServiceRequest.objects.get(pk=request.pk).hazard
    assert len(mail.outbox) == 1


# --- canned answers ------------------------------------------------------------------------------------


def test_a_canned_answer_stops_the_report_and_logs_a_contact(jurisdiction, gas_service, center_city):
    agent = with_role(StaffFactory(username="agent"), StaffRole.AGENT)
    before = counts()
    with pytest.raises(CannedAnswer) as caught:
        submit(
            jurisdiction,
            Report(
                service_code="SR-GAS",
                answers={"escaping": "yes"},
                channel=Channel.PHONE,
                first_name="Pat",
                email="pat@example.org",
                **CITY_HALL,
            ),
            actor=agent,
            now=NOW,
        )
    assert caught.value.message == "Leave the building now and call 911."
    assert str(caught.value) == "Leave the building now and call 911."
    after = counts()
    assert after["ServiceRequest"] == before["ServiceRequest"]
    assert after["Requester"] == before["Requester"]
    assert after["HistoryEntry"] == before["HistoryEntry"]
    assert after["Contact"] == before["Contact"] + 1
    contact = Contact.objects.get()
    assert contact.outcome == Contact.Outcome.CANNED_ANSWER
    assert contact.service == gas_service
    assert contact.service_request is None
    assert contact.channel == Channel.PHONE
    assert contact.agent == agent
    assert contact.summary == "Leave the building now and call 911."


@pytest.mark.parametrize("answer", ["yes", "  yes ", ["yes"], [" yes "], ["yes", "no"]])
def test_a_canned_answer_cannot_be_slipped_past_with_spaces_or_a_list(jurisdiction, gas_service, center_city, answer):
    with pytest.raises(CannedAnswer):
        submit(jurisdiction, Report(service_code="SR-GAS", answers={"escaping": answer}, **CITY_HALL), now=NOW)
    assert ServiceRequest.objects.count() == 0


def test_a_canned_answer_wins_even_if_everything_else_is_wrong(jurisdiction, gas_service, center_city):
    bad = Report(
        service_code="SR-GAS",
        answers={"escaping": "yes", "colour": "red"},
        description="x" * 5000,
        lat="north",
        long="",
        email="nope",
        phone="1",
        neighborhood="atlantis",
        zipcode="?",
    )
    with pytest.raises(CannedAnswer):
        submit(jurisdiction, bad, now=NOW)
    assert ServiceRequest.objects.count() == 0
    assert Contact.objects.get().outcome == Contact.Outcome.CANNED_ANSWER


def test_a_canned_answer_is_given_in_the_residents_language(jurisdiction, gas_service, center_city):
    with translation.override("es"), pytest.raises(CannedAnswer) as caught:
        submit(jurisdiction, Report(service_code="SR-GAS", answers={"escaping": "yes"}, **CITY_HALL), now=NOW)
    assert caught.value.message == "Salga del edificio y llame al 911."


def test_another_answer_files_the_request(jurisdiction, gas_service, center_city):
    request = file(jurisdiction, gas_service, answers={"escaping": "no"})
    assert request.pk
    assert Contact.objects.get().outcome == Contact.Outcome.SERVICE_REQUEST


def test_an_unknown_service_is_refused_before_any_rule(jurisdiction, gas_service, center_city):
    with pytest.raises(ValidationError):
        submit(jurisdiction, Report(service_code="SR-NOPE", answers={"escaping": "yes"}, **CITY_HALL), now=NOW)
    assert Contact.objects.count() == 0


# --- information requests ------------------------------------------------------------------------------


def test_an_information_request_is_logged_as_a_contact(jurisdiction, service):
    agent = StaffFactory(username="agent")
    contact = log_information_request(
        jurisdiction, channel=Channel.PHONE, summary="  Trash day is Tuesday. ", service=service, agent=agent
    )
    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.outcome, stored.channel, stored.summary, stored.service, stored.agent) == (
        Contact.Outcome.INFORMATION,
        Channel.PHONE,
        "Trash day is Tuesday.",
        service,
        agent,
    )
    assert stored.service_request is None
    assert stored.started_at is not None and stored.ended_at is not None
    assert ServiceRequest.objects.count() == 0


def test_directory_assistance_is_logged_too(jurisdiction):
    contact = log_information_request(
        jurisdiction, channel=Channel.WALK_IN, summary="Gave the DMV's number.", outcome=Contact.Outcome.DIRECTORY
    )
    assert contact.outcome == Contact.Outcome.DIRECTORY


@pytest.mark.parametrize("summary", ["", "   ", None])
def test_an_information_request_needs_a_summary(jurisdiction, summary):
    with pytest.raises(ValidationError) as caught:
        log_information_request(jurisdiction, channel=Channel.PHONE, summary=summary)
    assert "summary" in caught.value.message_dict
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("outcome", [Contact.Outcome.SERVICE_REQUEST, Contact.Outcome.CANNED_ANSWER, "gossip"])
def test_an_information_request_cannot_claim_another_outcome(jurisdiction, outcome):
    with pytest.raises(ValidationError) as caught:
        log_information_request(jurisdiction, channel=Channel.PHONE, summary="Told them.", outcome=outcome)
    assert "outcome" in caught.value.message_dict
    assert Contact.objects.count() == 0


def test_an_information_request_about_another_jurisdictions_service_is_refused(jurisdiction):
    county = JurisdictionFactory(slug="county", jurisdiction_id="county.example", is_default=False)
    with pytest.raises(ValidationError):
        log_information_request(
            jurisdiction, channel=Channel.PHONE, summary="x", service=ServiceFactory(jurisdiction=county)
        )
    assert Contact.objects.count() == 0


def test_an_unknown_channel_is_recorded_as_web(jurisdiction):
    assert log_information_request(jurisdiction, channel="carrier pigeon", summary="x").channel == Channel.WEB


def test_a_summary_with_a_nul_character_is_refused(jurisdiction):
    with pytest.raises(ValidationError):
        log_information_request(jurisdiction, channel=Channel.PHONE, summary="bad\x00")
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    "translations",
    [["es"], {"spanish!": {"name": "x"}}, {"es": "Basura"}, {"es": {"name": 3}}, {"es": {"colour": "rojo"}}],
    ids=["not-an-object", "bad-language-code", "texts-not-an-object", "text-not-a-string", "unknown-field"],
)
def test_catalogue_translations_are_checked_by_the_model(service, translations):
    service.translations = translations
    with pytest.raises(ValidationError) as caught:
        service.full_clean()
    assert "translations" in caught.value.message_dict


def test_a_malformed_translation_falls_back_to_english_instead_of_crashing(service):
    service.translations = {"es": "Basura"}
    assert service.localized("name", "es") == service.name
    service.translations = {"es": {"name": "Vertido ilegal"}}
    assert service.localized("name", "es") == "Vertido ilegal"
