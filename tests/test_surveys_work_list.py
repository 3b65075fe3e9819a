"""The phone survey work list: the 24-hour window, consent, the weekly rule, one surveyor per call."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civic311.people.models import StaffRole
from civic311.surveys import selectors, services
from civic311.surveys.models import Answer, Response, SurveyorTraining, WorkListEntry
from civic311.surveys.tasks import build_survey_work_lists

from .factories import staff_in_role
from .survey_helpers import SIX_ANSWERS, contact, customer, supervisor, surveyor

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)  # noon in Philadelphia
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def traveller():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def listed(jurisdiction):
    return set(WorkListEntry.objects.filter(jurisdiction=jurisdiction).values_list("contact_id", flat=True))


def test_the_last_24_hours_of_consenting_contacts_with_a_number_are_listed(jurisdiction, traveller):
    recent = contact(jurisdiction, ended_ago=23 * HOUR, phone="215-555-0001")
    old = contact(jurisdiction, ended_ago=25 * HOUR, phone="215-555-0002")
    refused = contact(jurisdiction, consent=False, phone="215-555-0003")
    not_asked = contact(jurisdiction, consent=None, phone="215-555-0004")
    no_number = contact(jurisdiction, phone="")
    assert services.build_work_list(jurisdiction, timezone.now()) == 1
    assert listed(jurisdiction) == {recent.pk}
    assert not {old.pk, refused.pk, not_asked.pk, no_number.pk} & listed(jurisdiction)


def test_an_open_contact_is_not_listed(jurisdiction, traveller):
    open_contact = contact(jurisdiction)
    open_contact.ended_at = None
    open_contact.save()
    assert services.build_work_list(jurisdiction, timezone.now()) == 0


def test_the_same_contact_is_never_listed_twice(jurisdiction, traveller):
    once = contact(jurisdiction)
    assert services.build_work_list(jurisdiction, timezone.now()) == 1
    assert services.build_work_list(jurisdiction, timezone.now()) == 0
    traveller.shift(dt.timedelta(hours=2))
    assert build_survey_work_lists.call_local() == 0
    assert WorkListEntry.objects.filter(contact=once).count() == 1


def test_a_customer_called_within_a_week_is_skipped(jurisdiction, traveller):
    person = customer(jurisdiction)
    contact(jurisdiction, customer=person, phone="215-555-0100")
    assert services.build_work_list(jurisdiction, timezone.now()) == 1
    traveller.shift(dt.timedelta(days=3))
    again = contact(jurisdiction, customer=person, phone="267-555-0199")  # another number, same customer
    assert services.build_work_list(jurisdiction, timezone.now()) == 0
    traveller.shift(dt.timedelta(days=5))  # eight days after the first listing
    latest = contact(jurisdiction, customer=person, phone="267-555-0199")
    assert services.build_work_list(jurisdiction, timezone.now()) == 1
    assert again.pk not in listed(jurisdiction) and latest.pk in listed(jurisdiction)


def test_without_a_customer_the_callback_digits_count(jurisdiction, traveller):
    contact(jurisdiction, phone="(215) 555-0177")
    contact(jurisdiction, ended_ago=2 * HOUR, phone="215.555.0177")
    contact(jurisdiction, ended_ago=2 * HOUR, phone="1 215 555 0177")
    assert services.build_work_list(jurisdiction, timezone.now()) == 1


def test_the_list_shows_no_personal_data_beyond_the_number(jurisdiction, traveller):
    person = customer(jurisdiction)
    made = contact(jurisdiction, customer=person, phone="215-555-0123")
    services.build_work_list(jurisdiction, timezone.now())
    entry = WorkListEntry.objects.get()
    assert (entry.callback_phone, entry.channel, entry.service_id, entry.agent_id) == (
        "215-555-0123",
        made.channel,
        made.service_id,
        made.agent_id,
    )


# --- claiming ---------------------------------------------------------------------------------------------


def an_entry(jurisdiction, **contact_fields) -> WorkListEntry:
    made = contact(jurisdiction, **contact_fields)
    services.build_work_list(jurisdiction, timezone.now())
    return WorkListEntry.objects.get(contact=made)


def test_one_surveyor_at_a_time_and_an_expired_claim_is_free(jurisdiction, traveller):
    entry = an_entry(jurisdiction)
    first, second = surveyor(), surveyor()
    services.claim_entry(entry, first)
    with pytest.raises(ValidationError, match="Another surveyor"):
        services.claim_entry(entry, second)
    assert WorkListEntry.objects.get().claimed_by == first
    with pytest.raises(ValidationError):
        services.record_no_survey(entry, surveyor=second, outcome=Response.Outcome.NO_ANSWER)
    traveller.shift(services.CLAIM_LEASE + dt.timedelta(minutes=1))
    services.claim_entry(entry, second)
    assert WorkListEntry.objects.get().claimed_by == second
    with pytest.raises(ValidationError):  # the first lost the call when the second took it over
        services.record_phone_survey(entry, surveyor=first, answers=SIX_ANSWERS)


def test_release_gives_the_call_back(jurisdiction, traveller):
    entry = an_entry(jurisdiction)
    first, second = surveyor(), surveyor()
    services.claim_entry(entry, first)
    with pytest.raises(ValidationError):
        services.release(entry, surveyor=second)
    services.release(entry, surveyor=first)
    services.claim_entry(entry, second)
    assert WorkListEntry.objects.get().claimed_by == second


def test_a_finished_call_cannot_be_claimed_again(jurisdiction, traveller):
    entry = an_entry(jurisdiction)
    caller = surveyor()
    services.claim_entry(entry, caller)
    services.record_no_survey(entry, surveyor=caller, outcome=Response.Outcome.WRONG_NUMBER)
    with pytest.raises(ValidationError, match="already been made"):
        services.claim_entry(entry, surveyor())


def test_surveyors_need_current_training_supervisors_do_not(jurisdiction, traveller):
    entry = an_entry(jurisdiction)
    untrained = surveyor(trained=False)
    with pytest.raises(PermissionDenied, match="training"):
        services.claim_entry(entry, untrained)
    SurveyorTraining.objects.create(
        user=untrained, course="Survey calls 101", completed_on=dt.date(2025, 1, 1), expires_on=dt.date(2026, 3, 9)
    )  # expired yesterday
    with pytest.raises(PermissionDenied):
        services.claim_entry(entry, untrained)
    SurveyorTraining.objects.create(
        user=untrained, course="Refresher", completed_on=dt.date(2026, 3, 1), expires_on=dt.date(2026, 3, 10)
    )  # good through today
    services.claim_entry(entry, untrained)
    services.release(entry, surveyor=untrained)
    services.claim_entry(entry, supervisor())


@pytest.mark.parametrize("role", [StaffRole.AGENT, StaffRole.DEPARTMENT_STAFF, StaffRole.COMMUNITY_STAFF])
def test_other_roles_may_not_claim(jurisdiction, department, traveller, role):
    entry = an_entry(jurisdiction)
    with pytest.raises(PermissionDenied):
        services.claim_entry(entry, staff_in_role(role, department))


# --- recording --------------------------------------------------------------------------------------------


def test_recording_the_six_answers(jurisdiction, traveller):
    entry = an_entry(jurisdiction)
    caller = surveyor()
    services.claim_entry(entry, caller)
    answers = dict(SIX_ANSWERS, contact={"name": "P. Q.", "phone": "", "email": "pq@example.org"})
    response = services.record_phone_survey(entry, surveyor=caller, answers=answers)
    assert response.outcome == Response.Outcome.COMPLETED and response.version.number == 1
    assert response.agent_id == entry.agent_id and response.contact_channel == entry.channel
    stored = {answer.question.code: answer.value for answer in Answer.objects.filter(response=response)}
    assert stored == {
        "explained": True,
        "informed": True,
        "timely": False,
        "satisfied": True,
        "feedback": "Quick and kind.",
        "contact": {"name": "P. Q.", "email": "pq@example.org"},
    }
    entry.refresh_from_db()
    assert (entry.state, entry.outcome, entry.response) == (WorkListEntry.State.DONE, "completed", response)


def test_bad_answers_write_nothing(jurisdiction, traveller):
    entry = an_entry(jurisdiction)
    caller = surveyor()
    services.claim_entry(entry, caller)
    with pytest.raises(ValidationError) as refused:
        services.record_phone_survey(entry, surveyor=caller, answers=dict(SIX_ANSWERS, satisfied="maybe"))
    assert "satisfied" in refused.value.message_dict
    assert not Response.objects.exists()
    assert WorkListEntry.objects.get().state == WorkListEntry.State.CLAIMED


def test_no_survey_outcomes(jurisdiction, traveller):
    entry = an_entry(jurisdiction)
    caller = surveyor()
    services.claim_entry(entry, caller)
    with pytest.raises(ValidationError):
        services.record_no_survey(entry, surveyor=caller, outcome="completed")
    response = services.record_no_survey(entry, surveyor=caller, outcome=Response.Outcome.DECLINED)
    assert response.outcome == "declined" and not response.answers.exists()


# --- satisfaction (the reader board's figure) -------------------------------------------------------------


def test_satisfaction_against_a_hand_count(jurisdiction, traveller):
    caller = supervisor()
    # Philadelphia's 10 March: 3 yes, 1 no among completed surveys; a declined call does not count.
    for number, satisfied in enumerate(["yes", "no", "yes", "yes"]):
        entry = an_entry(jurisdiction, phone=f"215-555-02{number:02d}")
        services.claim_entry(entry, caller)
        services.record_phone_survey(entry, surveyor=caller, answers=dict(SIX_ANSWERS, satisfied=satisfied))
    entry = an_entry(jurisdiction, phone="215-555-0299")
    services.claim_entry(entry, caller)
    services.record_no_survey(entry, surveyor=caller, outcome=Response.Outcome.DECLINED)
    # Late evening local time is already 11 March in UTC, and still counts for 10 March.
    traveller.move_to(dt.datetime(2026, 3, 11, 3, 30, tzinfo=dt.UTC))
    entry = an_entry(jurisdiction, phone="215-555-0298")
    services.claim_entry(entry, caller)
    services.record_phone_survey(entry, surveyor=caller, answers=dict(SIX_ANSWERS, satisfied="no"))
    assert selectors.satisfaction(jurisdiction, dt.date(2026, 3, 10)) == selectors.Satisfaction(
        responses=5, satisfied=3, percent=60.0
    )
    assert selectors.satisfaction(jurisdiction, dt.date(2026, 3, 11)) == selectors.Satisfaction(0, 0, None)
