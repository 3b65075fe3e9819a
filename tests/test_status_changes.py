"""change_status and add_note: every move the lifecycle allows, every move it refuses, and what each one
writes (the status, exactly one public history entry, the public reason, closed_at, the SLA)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from civic311.catalogue.selectors import sla_due_at
from civic311.people.models import StaffRole
from civic311.service_requests import services
from civic311.service_requests.lifecycle import FINAL_STATES, NEEDS_PUBLIC_REASON, TRANSITIONS, Status
from civic311.service_requests.models import HistoryEntry, ServiceRequest

from .factories import DepartmentFactory, JurisdictionFactory, ServiceFactory, StaffFactory, with_role

UTC = dt.UTC
FILED_AT = dt.datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # Monday 10:00 in Philadelphia
NOW = dt.datetime(2026, 1, 7, 16, 30, tzinfo=UTC)  # Wednesday 11:30

LEGAL = [(source, target) for source, targets in TRANSITIONS.items() for target in sorted(targets)]
ILLEGAL = [(source, target) for source in Status for target in Status if target not in TRANSITIONS[source]]


@pytest.fixture
def service_request(service, center_city):
    return _file(service)


def _file(service, **fields):
    report: dict[str, Any] = {"lat": "39.9526", "long": "-75.1635", "description": "Mattresses on the sidewalk."}
    report.update(fields)
    return services.submit(
        service.jurisdiction, services.Report(service_code=service.code, **report), now=FILED_AT
    ).service_request


def _put_in(service_request: ServiceRequest, status: Status) -> ServiceRequest:
    """Set-up only: place a request in a state without going through the rule under test."""
    closed_at = FILED_AT if status in FINAL_STATES else None
    ServiceRequest.objects.filter(pk=service_request.pk).update(status=status, closed_at=closed_at)
    service_request.refresh_from_db()
    return service_request


def _what_it_needs(target: Status, service_request: ServiceRequest, staff) -> dict:
    kwargs: dict = {}
    if target in NEEDS_PUBLIC_REASON:
        kwargs["public_reason"] = "Repair Completed"
    if target == Status.ASSIGNED:
        kwargs["assignee"] = staff
    if target == Status.DUPLICATE:
        kwargs["duplicate_of"] = _file(service_request.service, description="The first report.")
    return kwargs


def _history_count(service_request) -> int:
    return HistoryEntry.objects.filter(service_request=service_request).count()


# --- legal moves -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), LEGAL, ids=[f"{a.value}->{b.value}" for a, b in LEGAL])
def test_every_legal_move_writes_the_status_and_one_public_history_entry(service_request, staff, source, target):
    _put_in(service_request, source)
    kwargs = _what_it_needs(target, service_request, staff)
    public_before = list(service_request.history.filter(is_public=True).values_list("pk", flat=True))

    changed = services.change_status(service_request, target, actor=staff, now=NOW, **kwargs)

    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == target
    assert changed.status == target
    assert stored.updated_at == NOW
    new_public = list(service_request.history.filter(is_public=True).exclude(pk__in=public_before))
    assert len(new_public) == 1
    entry = new_public[0]
    assert entry.kind == HistoryEntry.Kind.STATUS
    assert (entry.from_status, entry.to_status) == (source, target)
    assert entry.actor == staff
    assert entry.who == str(staff)
    assert entry.created_at == NOW
    if target in FINAL_STATES:
        assert stored.closed_at == NOW
        assert stored.open311_status == "closed"
    else:
        assert stored.closed_at is None
        assert stored.open311_status == "open"


# --- illegal moves -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=[f"{a.value}->{b.value}" for a, b in ILLEGAL])
def test_every_illegal_move_is_refused_naming_what_is_allowed_and_writes_nothing(
    service_request, staff, source, target
):
    _put_in(service_request, source)
    kwargs = _what_it_needs(target, service_request, staff)
    before = ServiceRequest.objects.filter(pk=service_request.pk).values().get()
    history_before = HistoryEntry.objects.count()

    with pytest.raises(ValidationError) as caught:
        services.change_status(service_request, target, actor=staff, now=NOW, **kwargs)

    message = caught.value.message_dict["status"][0]
    assert str(Status(target).label) in message
    allowed = TRANSITIONS[source]
    for status in allowed:
        assert str(status.label) in message
    if not allowed:
        assert "nothing" in message
    assert ServiceRequest.objects.filter(pk=service_request.pk).values().get() == before
    assert HistoryEntry.objects.count() == history_before


def test_a_closed_request_can_only_be_reopened_and_says_so(service_request, staff):
    services.change_status(service_request, Status.CLOSED, actor=staff, public_reason="Issue Resolved", now=NOW)
    with pytest.raises(ValidationError, match="It can become: Reopened"):
        services.change_status(service_request, Status.IN_PROGRESS, actor=staff)


def test_an_unknown_status_is_refused_and_writes_nothing(service_request, staff):
    count = _history_count(service_request)
    with pytest.raises(ValidationError) as caught:
        services.change_status(service_request, "fixed", actor=staff)
    assert "status" in caught.value.message_dict
    assert _history_count(service_request) == count
    assert ServiceRequest.objects.get(pk=service_request.pk).status == Status.NEW


def test_the_move_is_judged_on_the_stored_status_not_a_stale_copy(service_request, staff):
    stale = ServiceRequest.objects.get(pk=service_request.pk)
    services.change_status(service_request, Status.CANCELLED, actor=staff, public_reason="Reported in error")
    with pytest.raises(ValidationError):
        services.change_status(stale, Status.IN_PROGRESS, actor=staff)
    assert ServiceRequest.objects.get(pk=service_request.pk).status == Status.CANCELLED


# --- endings need a public reason -------------------------------------------------------------------


@pytest.mark.parametrize("target", sorted(NEEDS_PUBLIC_REASON))
@pytest.mark.parametrize("reason", ["", "   \n "])
def test_closing_referring_or_cancelling_without_a_public_reason_is_refused(service_request, staff, target, reason):
    count = _history_count(service_request)
    with pytest.raises(ValidationError) as caught:
        services.change_status(service_request, target, actor=staff, public_reason=reason, now=NOW)
    assert "public_reason" in caught.value.message_dict
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (stored.status, stored.closed_at, stored.status_notes) == (Status.NEW, None, "")
    assert _history_count(service_request) == count


@pytest.mark.parametrize("target", sorted(NEEDS_PUBLIC_REASON))
def test_the_public_reason_becomes_the_status_note_and_closed_at_is_set(service_request, staff, target):
    services.change_status(service_request, target, actor=staff, public_reason="  Referred to PECO  ", now=NOW)
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status_notes == "Referred to PECO"
    assert stored.closed_at == NOW
    entry = stored.history.get(kind=HistoryEntry.Kind.STATUS)
    assert entry.text == "Referred to PECO"
    assert entry.is_public


def test_a_public_reason_that_is_too_long_is_refused(service_request, staff):
    with pytest.raises(ValidationError) as caught:
        services.change_status(service_request, Status.CLOSED, actor=staff, public_reason="x" * 4001)
    assert "public_reason" in caught.value.message_dict
    assert ServiceRequest.objects.get(pk=service_request.pk).status == Status.NEW


def test_a_public_reason_on_an_open_move_updates_the_status_note(service_request, staff):
    services.change_status(service_request, Status.IN_PROGRESS, actor=staff, public_reason="Crew on the way.")
    assert ServiceRequest.objects.get(pk=service_request.pk).status_notes == "Crew on the way."


def test_an_internal_note_with_a_move_is_kept_internal(service_request, staff):
    services.change_status(
        service_request,
        Status.CLOSED,
        actor=staff,
        public_reason="Repair Completed",
        internal_note="Used 3 bags of asphalt.",
        now=NOW,
    )
    note = service_request.history.get(kind=HistoryEntry.Kind.NOTE)
    assert note.text == "Used 3 bags of asphalt."
    assert not note.is_public
    assert note.actor == staff
    assert ServiceRequest.objects.get(pk=service_request.pk).status_notes == "Repair Completed"
    assert service_request.history.filter(is_public=True, text__contains="asphalt").count() == 0


def test_a_move_without_staff_is_recorded_as_the_system_or_the_named_client(service_request):
    services.change_status(service_request, Status.ACKNOWLEDGED, actor=None, now=NOW)
    services.change_status(service_request, Status.IN_PROGRESS, actor=None, actor_label="Streets work orders")
    entries = list(service_request.history.filter(kind=HistoryEntry.Kind.STATUS).order_by("pk"))
    assert [entry.who for entry in entries] == ["System", "Streets work orders"]


# --- assignment ----------------------------------------------------------------------------------------


def test_assigning_needs_an_assignee(service_request, staff):
    count = _history_count(service_request)
    with pytest.raises(ValidationError) as caught:
        services.change_status(service_request, Status.ASSIGNED, actor=staff)
    assert "assignee" in caught.value.message_dict
    assert ServiceRequest.objects.get(pk=service_request.pk).status == Status.NEW
    assert _history_count(service_request) == count


@pytest.mark.parametrize("who", [{"is_active": False}, {"is_staff": False}], ids=["inactive", "not-staff"])
def test_assigning_to_someone_who_is_not_active_staff_is_refused(service_request, staff, who):
    person = StaffFactory(username="someone", **who)
    count = _history_count(service_request)
    with pytest.raises(ValidationError) as caught:
        services.change_status(service_request, Status.ASSIGNED, actor=staff, assignee=person)
    assert "assignee" in caught.value.message_dict
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (stored.status, stored.assignee) == (Status.NEW, None)
    assert _history_count(service_request) == count


def test_assigning_records_the_assignee_and_an_internal_entry(service_request, staff):
    crew = with_role(
        StaffFactory(username="crew", first_name="Jo", last_name="Crew"),
        StaffRole.DEPARTMENT_STAFF,
        service_request.department,
    )
    services.change_status(service_request, Status.ASSIGNED, actor=staff, assignee=crew, now=NOW)
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.assignee == crew
    entry = stored.history.get(kind=HistoryEntry.Kind.ASSIGNED)
    assert not entry.is_public  # staff names are not published
    assert "Jo Crew" in entry.text
    assert stored.history.filter(is_public=True, text__contains="Jo Crew").count() == 0


# --- duplicates ----------------------------------------------------------------------------------------


def test_a_duplicate_needs_a_target(service_request, staff):
    count = _history_count(service_request)
    with pytest.raises(ValidationError) as caught:
        services.change_status(service_request, Status.DUPLICATE, actor=staff)
    assert "duplicate_of" in caught.value.message_dict
    assert ServiceRequest.objects.get(pk=service_request.pk).status == Status.NEW
    assert _history_count(service_request) == count


def test_a_duplicate_points_at_its_original_and_says_so_publicly(service, center_city, staff):
    original = _file(service, description="first")
    copy = _file(service, description="second")
    services.change_status(copy, Status.DUPLICATE, actor=staff, duplicate_of=original, now=NOW)
    stored = ServiceRequest.objects.get(pk=copy.pk)
    assert stored.duplicate_of == original
    assert stored.closed_at == NOW
    assert original.tracking_number in stored.status_notes
    assert stored.open311_status == "closed"


def test_a_duplicate_of_a_duplicate_follows_the_chain_to_the_original(service, center_city, staff):
    original, second, third, fourth = (_file(service, description=str(n)) for n in range(4))
    services.change_status(second, Status.DUPLICATE, actor=staff, duplicate_of=original)
    services.change_status(third, Status.DUPLICATE, actor=staff, duplicate_of=ServiceRequest.objects.get(pk=second.pk))
    services.change_status(fourth, Status.DUPLICATE, actor=staff, duplicate_of=ServiceRequest.objects.get(pk=third.pk))
    assert ServiceRequest.objects.get(pk=third.pk).duplicate_of_id == original.pk
    assert ServiceRequest.objects.get(pk=fourth.pk).duplicate_of_id == original.pk


def test_a_request_cannot_duplicate_itself(service_request, staff):
    count = _history_count(service_request)
    with pytest.raises(ValidationError) as caught:
        services.change_status(service_request, Status.DUPLICATE, actor=staff, duplicate_of=service_request)
    assert "duplicate_of" in caught.value.message_dict
    assert ServiceRequest.objects.get(pk=service_request.pk).status == Status.NEW
    assert _history_count(service_request) == count


def test_a_request_cannot_duplicate_one_of_its_own_duplicates(service, center_city, staff):
    original = _file(service, description="first")
    copy = _file(service, description="second")
    services.change_status(copy, Status.DUPLICATE, actor=staff, duplicate_of=original)
    with pytest.raises(ValidationError) as caught:
        services.change_status(
            original, Status.DUPLICATE, actor=staff, duplicate_of=ServiceRequest.objects.get(pk=copy.pk)
        )
    assert "duplicate_of" in caught.value.message_dict
    assert ServiceRequest.objects.get(pk=original.pk).status == Status.NEW


def test_a_request_cannot_duplicate_one_in_another_jurisdiction(service_request, staff):
    county = JurisdictionFactory(slug="county", jurisdiction_id="county.example", name="County", is_default=False)
    county_service = ServiceFactory(jurisdiction=county, department=DepartmentFactory(jurisdiction=county))
    elsewhere = _file(county_service)
    count = _history_count(service_request)
    with pytest.raises(ValidationError) as caught:
        services.change_status(service_request, Status.DUPLICATE, actor=staff, duplicate_of=elsewhere)
    assert "duplicate_of" in caught.value.message_dict
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (stored.status, stored.duplicate_of_id) == (Status.NEW, None)
    assert _history_count(service_request) == count


# --- reopening -----------------------------------------------------------------------------------------


def test_reopening_clears_closed_at_and_restarts_the_sla(service_request, staff):
    first_due = service_request.expected_at
    services.change_status(
        service_request,
        Status.CLOSED,
        actor=staff,
        public_reason="Issue Resolved",
        now=FILED_AT + dt.timedelta(hours=1),
    )
    reopen_at = dt.datetime(2026, 2, 2, 15, 0, tzinfo=UTC)  # a Monday, 10:00 local
    services.change_status(service_request, Status.REOPENED, actor=staff, now=reopen_at)
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == Status.REOPENED
    assert stored.closed_at is None
    assert stored.is_open
    assert stored.expected_at == sla_due_at(stored.service, reopen_at)
    assert stored.expected_at == dt.datetime(2026, 2, 9, 22, 0, tzinfo=UTC)  # the next Monday, 17:00 local
    assert stored.expected_at != first_due


def test_reopening_replaces_the_old_close_reason_with_the_reopen_reason(service_request, staff):
    services.change_status(service_request, Status.CLOSED, actor=staff, public_reason="Repair Completed")
    services.change_status(service_request, Status.REOPENED, actor=staff)
    assert ServiceRequest.objects.get(pk=service_request.pk).status_notes == ""
    services.change_status(service_request, Status.CLOSED, actor=staff, public_reason="Repair Completed")
    services.change_status(service_request, Status.REOPENED, actor=staff, public_reason="The pothole is back.")
    assert ServiceRequest.objects.get(pk=service_request.pk).status_notes == "The pothole is back."


# --- notes ---------------------------------------------------------------------------------------------


def test_a_public_note_on_an_open_request_becomes_its_status_note(service_request, staff):
    entry = services.add_note(service_request, "  Crew scheduled for Tuesday. ", actor=staff, public=True, now=NOW)
    assert (entry.kind, entry.is_public, entry.text, entry.actor, entry.created_at) == (
        HistoryEntry.Kind.NOTE,
        True,
        "Crew scheduled for Tuesday.",
        staff,
        NOW,
    )
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status_notes == "Crew scheduled for Tuesday."
    assert stored.updated_at == NOW


def test_an_internal_note_never_becomes_the_status_note(service_request, staff):
    services.add_note(service_request, "Public words.", actor=staff, public=True)
    entry = services.add_note(service_request, "Resident was rude on the phone.", actor=staff, public=False)
    assert not entry.is_public
    assert ServiceRequest.objects.get(pk=service_request.pk).status_notes == "Public words."


def test_a_public_note_on_a_closed_request_keeps_the_close_reason(service_request, staff):
    services.change_status(service_request, Status.CLOSED, actor=staff, public_reason="Repair Completed")
    entry = services.add_note(service_request, "Thanks for reporting!", actor=staff, public=True)
    assert entry.is_public
    assert ServiceRequest.objects.get(pk=service_request.pk).status_notes == "Repair Completed"


@pytest.mark.parametrize("text", ["", "  \n\t "])
def test_an_empty_note_is_refused_and_writes_nothing(service_request, staff, text):
    count = _history_count(service_request)
    with pytest.raises(ValidationError) as caught:
        services.add_note(service_request, text, actor=staff, public=True)
    assert "text" in caught.value.message_dict
    assert _history_count(service_request) == count


def test_a_note_that_is_too_long_is_refused_and_writes_nothing(service_request, staff):
    count = _history_count(service_request)
    with pytest.raises(ValidationError):
        services.add_note(service_request, "x" * 4001, actor=staff, public=True)
    assert _history_count(service_request) == count
    services.add_note(service_request, "x" * 4000, actor=staff, public=True)


def test_a_note_by_the_resident_or_the_system(service_request):
    services.add_note(service_request, "Still there.", actor=None, actor_label="Resident", public=True)
    services.add_note(service_request, "Reminder sent.", actor=None, public=False)
    entries = list(service_request.history.filter(kind=HistoryEntry.Kind.NOTE).order_by("pk"))
    assert [entry.who for entry in entries] == ["Resident", "System"]


def test_text_with_a_nul_character_is_refused_not_a_database_error(service_request, staff):
    # PostgreSQL cannot store NUL in text; the rule must say so clearly rather than fail in the database.
    count = _history_count(service_request)
    with pytest.raises(ValidationError):
        services.add_note(service_request, "bad\x00note", actor=staff, public=True)
    with pytest.raises(ValidationError):
        services.change_status(service_request, Status.CLOSED, actor=staff, public_reason="Fixed\x00")
    with pytest.raises(ValidationError):
        services.change_status(service_request, Status.IN_PROGRESS, actor=staff, internal_note="a\x00b")
    assert _history_count(service_request) == count
    assert ServiceRequest.objects.get(pk=service_request.pk).status == Status.NEW
