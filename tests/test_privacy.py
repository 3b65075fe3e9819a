"""Privacy over time (docs/privacy.md): contact details anonymised after their windows, what stays, the
daily sweep's idempotence and log, and staff exporting and erasing a customer."""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import logging
import re
from pathlib import Path

import pytest
import time_machine
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from civic311.notifications.models import OutboundMessage, Subscription
from civic311.people import roles
from civic311.people import services as customers
from civic311.people.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    PersonalDataAccess,
    Requester,
    SignInEvent,
    StaffRole,
)
from civic311.privacy import retention
from civic311.privacy.export import export_customer, export_filename
from civic311.privacy.tasks import apply_retention
from civic311.service_requests import services as requests
from civic311.service_requests.models import Contact, HistoryEntry, ServiceRequest
from civic311.surveys.models import Answer, FollowUpTask, Response, WorkListEntry

from . import survey_helpers
from .factories import StaffFactory, filed_request, staff_in_role

pytestmark = pytest.mark.django_db
UTC = dt.UTC
FILED = dt.datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
CLOSED = FILED + dt.timedelta(days=3)
DAYS = 730  # CIVIC311_RETAIN_CONTACT_DAYS's default
EXPIRES = CLOSED + dt.timedelta(days=DAYS)
SECOND = dt.timedelta(seconds=1)
PERSONAL = ("Philippa", "Quartermaine", "pq@example.org", "215-555-0199", "+12155550199", "4321 Zebrawood")


def file_and_close(service, *, email="pq@example.org", phone="215-555-0199", close=True):
    with time_machine.travel(FILED, tick=False):
        filed = filed_request(
            service,
            first_name="Philippa",
            last_name="Quartermaine",
            email=email,
            phone=phone,
            description="The lamp outside number 12 is out.",
        )
    if close:
        with time_machine.travel(CLOSED, tick=False):
            requests.change_status(filed, "closed", actor=None, public_reason="Lamp replaced.", actor_label="System")
    filed.refresh_from_db()
    return filed


def customer_for(filed, jurisdiction) -> Customer:
    with time_machine.travel(FILED, tick=False):
        person = customers.create_customer(
            jurisdiction,
            first_name="Philippa",
            last_name="Quartermaine",
            phones=["215-555-0199"],
            emails=["PQ@example.org"],
            addresses=["4321 Zebrawood Lane"],
            consent_contact=True,
            consent_survey=True,
            actor=None,
        )
        customers.link_requester(filed.requester, person, actor=None)
    return person


def holds_personal_data(*rows) -> bool:
    text = " ".join(json.dumps(row, default=str) for row in rows)
    return any(item.lower() in text.lower() for item in PERSONAL)


def public_output(client, filed) -> tuple[bytes, bytes]:
    single = client.get(f"/open311/v2/requests/{filed.tracking_number}.json")
    track = client.get(f"/track/{filed.tracking_number}/")
    assert single.status_code == 200 and track.status_code == 200
    # The form's CSRF token is fresh on every page.
    return single.content, re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", track.content)


@pytest.fixture
def filed(service):
    return file_and_close(service)


@pytest.fixture
def person(filed, jurisdiction):
    return customer_for(filed, jurisdiction)


# --- the contact-details window -----------------------------------------------------------------------------


def test_contact_details_stay_until_the_window_ends_then_go(filed, person):
    assert retention.anonymise_expired(now=EXPIRES - SECOND)["customers"] == 0
    person.refresh_from_db()
    assert person.anonymised_at is None and person.phones.count() == 1
    assert Requester.objects.get(pk=filed.requester_id).email == "pq@example.org"

    counts = retention.anonymise_expired(now=EXPIRES)

    assert counts["customers"] == 1 and counts["requesters"] == 0  # the customer took its requesters along
    person.refresh_from_db()
    assert person.anonymised_at == EXPIRES
    assert (person.first_name, person.last_name, person.consent_contact, person.consent_survey) == (
        "",
        "",
        False,
        False,
    )
    assert not CustomerPhone.objects.exists() and not CustomerEmail.objects.exists()
    assert not CustomerAddress.objects.exists()
    requester = Requester.objects.get(pk=filed.requester_id)
    assert requester.is_empty and requester.customer_id == person.pk


def test_a_requester_without_customer_goes_after_its_own_last_request(service):
    filed = file_and_close(service)
    assert retention.anonymise_expired(now=EXPIRES - SECOND)["requesters"] == 0
    assert retention.anonymise_expired(now=EXPIRES)["requesters"] == 1
    assert Requester.objects.get(pk=filed.requester_id).is_empty


def test_an_open_request_keeps_the_details_however_old(service, jurisdiction):
    filed = file_and_close(service, close=False)
    person = customer_for(filed, jurisdiction)
    counts = retention.anonymise_expired(now=FILED + dt.timedelta(days=DAYS * 3))
    assert counts["customers"] == 0 and counts["requesters"] == 0
    person.refresh_from_db()
    assert person.anonymised_at is None
    assert not Requester.objects.get(pk=filed.requester_id).is_empty


def test_a_later_request_of_the_customer_restarts_the_window(filed, person, service):
    later = FILED + dt.timedelta(days=400)
    with time_machine.travel(later, tick=False):
        again = filed_request(service, email="pq@example.org", first_name="Philippa")
        assert again.requester is not None
        customers.link_requester(again.requester, person, actor=None)
        requests.change_status(again, "closed", actor=None, public_reason="Done.", actor_label="System")

    counts = retention.anonymise_expired(now=EXPIRES)

    # The first snapshot is past its window; the customer is not (their last request closed later).
    assert counts == {**counts, "customers": 0, "requesters": 1}
    assert retention.anonymise_expired(now=later + dt.timedelta(days=DAYS))["customers"] == 1


def test_a_recent_contact_keeps_the_customer(filed, person, jurisdiction):
    survey_helpers.contact(jurisdiction, customer=person, now=EXPIRES, ended_ago=dt.timedelta(days=10))
    assert retention.anonymise_expired(now=EXPIRES)["customers"] == 0


@override_settings(CIVIC311_RETAIN_CONTACT_DAYS=30)
def test_the_window_is_a_setting(filed, person):
    assert retention.anonymise_expired(now=CLOSED + dt.timedelta(days=30) - SECOND)["customers"] == 0
    assert retention.anonymise_expired(now=CLOSED + dt.timedelta(days=30))["customers"] == 1


def test_records_merged_into_the_customer_go_with_it(filed, person, jurisdiction):
    with time_machine.travel(FILED, tick=False):
        duplicate = customers.create_customer(jurisdiction, first_name="Pippa", last_name="Q", actor=None)
        customers.merge_customers(person, duplicate, actor=None)
    retention.anonymise_expired(now=EXPIRES)
    duplicate.refresh_from_db()
    assert duplicate.anonymised_at == EXPIRES and duplicate.first_name == ""


# --- what stays -----------------------------------------------------------------------------------------------


def test_the_request_its_public_history_and_the_figures_stay(client, filed, person):
    before = public_output(client, filed)
    history = list(HistoryEntry.objects.filter(service_request=filed).values_list("kind", "is_public", "text"))
    figures = (
        ServiceRequest.objects.count(),
        Contact.objects.count(),
        Customer.objects.count(),
        Requester.objects.count(),
    )

    retention.anonymise_expired(now=EXPIRES)

    assert public_output(client, filed) == before
    assert list(HistoryEntry.objects.filter(service_request=filed).values_list("kind", "is_public", "text")) == history
    assert (
        ServiceRequest.objects.count(),
        Contact.objects.count(),
        Customer.objects.count(),
        Requester.objects.count(),
    ) == figures
    kept = ServiceRequest.objects.get(pk=filed.pk)
    # The resident's own words are the request's content, not contact details: they stay (docs/privacy.md).
    assert kept.description == "The lamp outside number 12 is out."
    assert (kept.status, kept.closed_at, kept.requester_id) == ("closed", CLOSED, filed.requester_id)


# --- idempotence, concurrency, the log, the dry run --------------------------------------------------------


def test_a_second_run_changes_and_counts_nothing(filed, person):
    first = retention.anonymise_expired(now=EXPIRES)
    assert first["customers"] == 1
    assert set(retention.anonymise_expired(now=EXPIRES).values()) == {0}


def test_small_batches_get_everything(service, jurisdiction):
    for n in range(5):
        file_and_close(service, email=f"r{n}@example.org")
    assert retention.anonymise_expired(now=EXPIRES, batch_size=2)["requesters"] == 5
    assert all(r.is_empty for r in Requester.objects.all())


def test_the_log_line_has_counts_and_no_personal_data(filed, person, caplog):
    with caplog.at_level(logging.INFO, logger="civic311.privacy.retention"):
        retention.anonymise_expired(now=EXPIRES)
    lines = [r.getMessage() for r in caplog.records if r.name == "civic311.privacy.retention"]
    assert len(lines) == 1 and "customers=1" in lines[0]
    assert not holds_personal_data(lines)


def test_the_dry_run_counts_and_changes_nothing(filed, person):
    assert retention.anonymise_expired(now=EXPIRES, dry_run=True)["customers"] == 1
    person.refresh_from_db()
    assert person.anonymised_at is None and person.first_name == "Philippa"


def test_the_command(filed, person):
    out = io.StringIO()
    with time_machine.travel(EXPIRES, tick=False):
        call_command("apply_retention", "--dry-run", stdout=out)
        assert "customers: would anonymise 1" in out.getvalue()
        call_command("apply_retention", stdout=out)
    assert "customers: anonymised 1" in out.getvalue()
    assert not holds_personal_data([out.getvalue()])


def test_the_daily_task_runs_the_sweep(filed, person):
    with time_machine.travel(EXPIRES, tick=False):
        assert apply_retention.call_local()["customers"] == 1


# --- subscriptions, messages, survey callbacks, the audit ----------------------------------------------------


def test_subscriptions_to_a_request_closed_long_ago_lose_the_email(filed):
    subscription = Subscription.objects.create(
        service_request=filed, email="Follower@example.org", state=Subscription.State.ACTIVE, created_at=FILED
    )
    assert retention.anonymise_expired(now=EXPIRES - SECOND)["subscriptions"] == 0
    assert retention.anonymise_expired(now=EXPIRES)["subscriptions"] == 1
    subscription.refresh_from_db()
    assert subscription.email == f"subscriber-{subscription.pk}@anonymised.invalid"
    assert subscription.state == Subscription.State.UNSUBSCRIBED


def message(
    state=OutboundMessage.State.SENT,
    *,
    created=FILED,
    channel=OutboundMessage.Channel.EMAIL,
    to="pq@example.org",
    key="h1:email:pq@example.org",
):
    return OutboundMessage.objects.create(
        channel=channel,
        recipient=to,
        subject="Request 1 closed",
        body="Dear Philippa, ...",
        dedup_key=key,
        reference=key[-30:] + "ref",
        state=state,
        created_at=created,
    )


@override_settings(CIVIC311_RETAIN_MESSAGE_DAYS=90)
def test_sent_messages_lose_recipient_and_body_after_their_window():
    sent = message()
    waiting = message(OutboundMessage.State.PENDING, key="h2:email:pq@example.org")
    webhook = message(channel=OutboundMessage.Channel.WEBHOOK, to="https://dept.example/hook", key="h1:webhook:1")
    window_ends = FILED + dt.timedelta(days=90)
    assert retention.anonymise_expired(now=window_ends - SECOND)["messages"] == 0
    assert retention.anonymise_expired(now=window_ends)["messages"] == 1
    sent.refresh_from_db()
    assert (sent.recipient, sent.body, sent.subject) == ("", "", "Request 1 closed")
    assert sent.dedup_key.startswith("anonymised:") and "pq@" not in sent.dedup_key
    waiting.refresh_from_db()
    webhook.refresh_from_db()
    assert waiting.recipient == "pq@example.org" and webhook.recipient == "https://dept.example/hook"


def test_survey_callback_numbers_go_after_their_window_unless_a_follow_up_is_open(jurisdiction):
    now = dt.datetime(2025, 6, 1, 12, tzinfo=UTC)
    old = survey_helpers.contact(jurisdiction, now=now, ended_ago=dt.timedelta(days=30), phone="215-555-0101")
    fresh = survey_helpers.contact(
        jurisdiction, now=now, ended_ago=dt.timedelta(days=30) - SECOND, phone="215-555-0102"
    )
    followed = survey_helpers.contact(jurisdiction, now=now, ended_ago=dt.timedelta(days=60), phone="215-555-0103")
    for contact in (old, fresh, followed):
        assert contact.ended_at is not None
        WorkListEntry.objects.create(
            jurisdiction=jurisdiction,
            contact=contact,
            callback_phone=contact.callback_phone,
            callback_digits="2155550",
            channel=contact.channel,
            contacted_at=contact.ended_at,
            created_at=contact.ended_at,
        )
    FollowUpTask.objects.create(
        jurisdiction=jurisdiction,
        entry=followed.survey_entry,
        owner=StaffFactory(),
        deadline=now,
        words="Please call me back.",
    )

    counts = retention.anonymise_expired(now=now)

    assert counts["callback_numbers"] == 1 and counts["survey_work_list"] == 1
    assert [Contact.objects.get(pk=c.pk).callback_phone for c in (old, fresh, followed)] == [
        "",
        "215-555-0102",
        "215-555-0103",
    ]
    entries = {e.contact_id: (e.callback_phone, e.callback_digits) for e in WorkListEntry.objects.all()}
    assert entries[old.pk] == ("", "") and entries[fresh.pk][0] == "215-555-0102"
    assert Contact.objects.get(pk=old.pk).survey_consent is True  # the consent, a figure, stays


def test_a_work_list_entry_called_later_keeps_its_number_a_window_after_the_call(jurisdiction):
    """The surveys' weekly rule matches numbers listed or called in the last 7 days: the window counts from
    the call, not from the contact it was about."""
    from civic311.surveys import services as surveys

    now = dt.datetime(2025, 6, 1, 12, tzinfo=UTC)
    contact = survey_helpers.contact(jurisdiction, now=now, ended_ago=dt.timedelta(days=31))
    assert contact.ended_at is not None
    called = now - dt.timedelta(days=29)
    response = Response.objects.create(
        jurisdiction=jurisdiction,
        version=surveys.current_version(jurisdiction),
        outcome="no_answer",
        started_at=called,
        finished_at=called,
    )
    WorkListEntry.objects.create(
        jurisdiction=jurisdiction,
        contact=contact,
        callback_phone=contact.callback_phone,
        callback_digits="2155550101",
        channel=contact.channel,
        contacted_at=contact.ended_at,
        created_at=contact.ended_at,
        response=response,
        state="done",
    )
    assert retention.anonymise_expired(now=now)["survey_work_list"] == 0
    assert retention.anonymise_expired(now=called + dt.timedelta(days=30))["survey_work_list"] == 1


def test_survey_contact_answers_go_after_the_callback_window(jurisdiction):
    from civic311.surveys import services as surveys

    version = surveys.current_version(jurisdiction)
    now = dt.datetime(2025, 6, 1, 12, tzinfo=UTC)
    response = Response.objects.create(
        jurisdiction=jurisdiction,
        version=version,
        outcome="completed",
        started_at=now - dt.timedelta(days=40),
        finished_at=now - dt.timedelta(days=40),
    )
    contact_question = version.questions.get(code="contact")
    Answer.objects.create(
        response=response, question=contact_question, value={"name": "Philippa", "phone": "215-555-0199", "email": ""}
    )
    Answer.objects.create(response=response, question=version.questions.get(code="satisfied"), value=True)

    assert retention.anonymise_expired(now=now)["survey_contact_answers"] == 1
    assert Answer.objects.get(question=contact_question).value == {}
    assert Answer.objects.get(question__code="satisfied").value is True  # the figures stay


def test_contact_details_kept_with_a_follow_up_go_too(jurisdiction):
    """A transfer keeps the answers typed so far with the follow-up: the contact details among them go with
    the survey's own answer (after the window, once the follow-up is resolved), the rest stay."""
    from civic311.surveys import services as surveys

    version = surveys.current_version(jurisdiction)
    now = dt.datetime(2025, 6, 1, 12, tzinfo=UTC)
    given = {"contact": {"name": "Philippa", "phone": "215-555-0199", "email": ""}, "satisfied": False}
    old = FollowUpTask.objects.create(
        jurisdiction=jurisdiction,
        owner=StaffFactory(),
        deadline=now,
        words="Call me.",
        answers=given,
        answers_version=version,
        state=FollowUpTask.State.RESOLVED,
        created_at=now - dt.timedelta(days=40),
        resolved_at=now - dt.timedelta(days=35),
    )
    still_open = FollowUpTask.objects.create(
        jurisdiction=jurisdiction,
        owner=StaffFactory(),
        deadline=now,
        words="Call me.",
        answers=given,
        answers_version=version,
        created_at=now - dt.timedelta(days=40),
    )

    assert retention.anonymise_expired(now=now, dry_run=True)["survey_contact_answers"] == 1
    assert retention.anonymise_expired(now=now)["survey_contact_answers"] == 1
    assert FollowUpTask.objects.get(pk=old.pk).answers == {"satisfied": False}
    assert FollowUpTask.objects.get(pk=still_open.pk).answers == given
    assert retention.anonymise_expired(now=now)["survey_contact_answers"] == 0


def test_erase_drops_the_contact_details_kept_with_a_follow_up(person, supervisor, jurisdiction):
    from civic311.surveys import services as surveys

    call = survey_helpers.contact(jurisdiction, customer=person, phone="215-555-0199")
    assert call.ended_at is not None
    entry = WorkListEntry.objects.create(
        jurisdiction=jurisdiction,
        contact=call,
        callback_phone=call.callback_phone,
        callback_digits="2155550199",
        channel=call.channel,
        contacted_at=call.ended_at,
        customer=person,
    )
    task = FollowUpTask.objects.create(
        jurisdiction=jurisdiction,
        entry=entry,
        owner=StaffFactory(),
        deadline=call.ended_at,
        words="Call me.",
        answers={"contact": {"name": "Quentin", "phone": "215-555-0199", "email": ""}, "satisfied": False},
        answers_version=surveys.current_version(jurisdiction),
    )
    exported = export_customer(person, actor=supervisor)["survey_follow_ups"]
    assert exported[0]["answers_before_the_transfer"]["contact"]["name"] == "Quentin"

    retention.erase_customer(person, actor=supervisor)

    assert FollowUpTask.objects.get(pk=task.pk).answers == {"satisfied": False}


@override_settings(CIVIC311_RETAIN_AUDIT_DAYS=1095)
def test_the_audit_is_kept_for_its_own_period(person):
    staff = StaffFactory()
    old = PersonalDataAccess.objects.create(user=staff, customer=person, purpose="view", at=FILED)
    PersonalDataAccess.objects.create(user=staff, customer=person, purpose="view", at=FILED + SECOND)
    assert retention.anonymise_expired(now=FILED + dt.timedelta(days=1095))["audit_rows"] == 0
    assert retention.anonymise_expired(now=FILED + dt.timedelta(days=1095) + SECOND)["audit_rows"] == 1
    assert not PersonalDataAccess.objects.filter(pk=old.pk).exists()
    assert PersonalDataAccess.objects.count() == 1


@override_settings(CIVIC311_RETAIN_AUDIT_DAYS=1095)
def test_the_sign_in_audit_and_its_client_addresses_go_with_the_audits_period(db):
    staff = StaffFactory()
    old = SignInEvent.objects.create(
        user=staff,
        username=staff.username,
        outcome=SignInEvent.Outcome.WRONG_PASSWORD,
        client_address="203.0.113.9",
        at=FILED,
    )
    SignInEvent.objects.create(
        user=staff,
        username=staff.username,
        outcome=SignInEvent.Outcome.SIGNED_IN,
        client_address="203.0.113.9",
        at=FILED + SECOND,
    )
    assert retention.anonymise_expired(now=FILED + dt.timedelta(days=1095))["sign_in_events"] == 0
    assert retention.anonymise_expired(now=FILED + dt.timedelta(days=1095) + SECOND)["sign_in_events"] == 1
    assert not SignInEvent.objects.filter(pk=old.pk).exists()
    assert SignInEvent.objects.count() == 1


# --- export ------------------------------------------------------------------------------------------------------


@pytest.fixture
def supervisor(db):
    return staff_in_role(StaffRole.SUPERVISOR)


def test_export_holds_everything_about_the_customer_and_is_audited(filed, person, supervisor, jurisdiction):
    Subscription.objects.create(service_request=filed, email="pq@EXAMPLE.org", created_at=FILED)
    message()
    survey_helpers.contact(jurisdiction, customer=person, phone="215-555-0199")
    now = dt.datetime(2024, 6, 1, 3, 30, tzinfo=UTC)  # 23:30 on 31 May in Philadelphia

    data = export_customer(person, actor=supervisor, where="test", now=now)

    assert data["customer"]["first_name"] == "Philippa"
    assert [p["number"] for p in data["customer"]["phones"]] == ["+12155550199"]
    assert data["contact_details_given_with_requests"][0]["email"] == "pq@example.org"
    (request,) = data["requests"]
    assert request["tracking_number"] == filed.tracking_number
    assert request["description"] == "The lamp outside number 12 is out."
    assert {entry["public"] for entry in request["history"]} >= {True}
    assert len(data["contacts"]) == 2  # the web intake's contact and the call
    assert data["subscriptions"][0]["email"] == "pq@EXAMPLE.org"
    assert data["messages_sent"][0]["body"] == "Dear Philippa, ..."
    assert data["exported_at"].startswith("2024-05-31T23:30:00-04:00")
    assert export_filename(person, now) == f"personal-data-customer-{person.pk}-2024-05-31.json"
    row = PersonalDataAccess.objects.get(purpose=PersonalDataAccess.Purpose.EXPORT)
    assert (row.user, row.customer, row.where) == (supervisor, person, "test")
    assert [access["purpose"] for access in export_customer(person, actor=supervisor)["record_of_access"]] == ["export"]


@pytest.mark.parametrize(
    "role", [StaffRole.AGENT, StaffRole.DEPARTMENT_MANAGER, StaffRole.SURVEYOR, StaffRole.LEADERSHIP]
)
def test_other_roles_may_not_export_or_erase(role, person):
    someone = staff_in_role(role)
    with pytest.raises(PermissionDenied):
        export_customer(person, actor=someone)
    with pytest.raises(PermissionDenied):
        retention.erase_customer(person, actor=someone)
    assert not PersonalDataAccess.objects.exists()
    person.refresh_from_db()
    assert person.anonymised_at is None


def test_who_may_export_and_erase(jurisdiction):
    from .factories import DepartmentFactory, JurisdictionFactory

    admin, supervisor = staff_in_role(StaffRole.ADMIN), staff_in_role(StaffRole.SUPERVISOR)
    elsewhere = JurisdictionFactory(slug="county", jurisdiction_id="county.example", name="County", is_default=False)
    supervisor.department = DepartmentFactory(jurisdiction=jurisdiction)
    assert roles.may_export_personal_data(admin, elsewhere.pk)
    assert roles.may_erase_personal_data(supervisor, jurisdiction.pk)
    assert not roles.may_export_personal_data(supervisor, elsewhere.pk)
    assert not roles.may_erase_personal_data(None, jurisdiction.pk)


# --- erase -------------------------------------------------------------------------------------------------------


def test_erase_anonymises_everything_at_once_with_an_audit_row(client, filed, person, supervisor, jurisdiction):
    subscription = Subscription.objects.create(service_request=filed, email="PQ@example.org", created_at=FILED)
    sent, waiting = message(), message(OutboundMessage.State.PENDING, key="h9:email:pq@example.org")
    call = survey_helpers.contact(jurisdiction, customer=person, phone="215-555-0199")
    # The admin's history of the record names it as it was.
    LogEntry.objects.create(
        user=supervisor,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(person.pk),
        object_repr=str(person),
        action_flag=CHANGE,
    )
    before = public_output(client, filed)
    now = CLOSED + dt.timedelta(days=5)  # long before the retention window

    counts = retention.erase_customer(person, actor=supervisor, where="test", now=now)

    assert counts == {"subscriptions": 1, "messages": 2, "inbox_items": 0, "customers": 1}
    person.refresh_from_db()
    assert person.anonymised_at == now and person.first_name == ""
    assert not CustomerPhone.objects.exists() and not CustomerEmail.objects.exists()
    assert Requester.objects.get(pk=filed.requester_id).is_empty
    assert Contact.objects.get(pk=call.pk).callback_phone == ""
    subscription.refresh_from_db()
    sent.refresh_from_db()
    waiting.refresh_from_db()
    assert subscription.email.endswith("@anonymised.invalid")
    assert sent.recipient == "" and waiting.recipient == "" and waiting.state == OutboundMessage.State.FAILED
    assert public_output(client, filed) == before
    row = PersonalDataAccess.objects.get(purpose=PersonalDataAccess.Purpose.ERASE)
    assert (row.user, row.customer, row.at) == (supervisor, person, now)
    assert LogEntry.objects.get(object_id=str(person.pk)).object_repr == f"Customer {person.pk}"
    with pytest.raises(ValidationError, match="anonymised"):
        retention.erase_customer(person, actor=supervisor)


def test_erase_is_refused_while_a_request_is_open(service, jurisdiction, supervisor):
    filed = file_and_close(service, close=False)
    person = customer_for(filed, jurisdiction)
    with pytest.raises(ValidationError) as refused:
        retention.erase_customer(person, actor=supervisor)
    assert filed.tracking_number in " ".join(refused.value.messages)
    assert "still open" in " ".join(refused.value.messages)
    person.refresh_from_db()
    assert person.anonymised_at is None and person.phones.count() == 1
    assert not PersonalDataAccess.objects.filter(purpose=PersonalDataAccess.Purpose.ERASE).exists()


def test_export_and_erase_commands(filed, person, supervisor, tmp_path):
    target = tmp_path / "out.json"
    call_command(
        "export_customer", str(person.pk), "--actor", supervisor.username, "--output", str(target), stdout=io.StringIO()
    )
    assert json.loads(target.read_text())["customer"]["last_name"] == "Quartermaine"
    with pytest.raises(CommandError):
        call_command("erase_customer", str(person.pk), "--actor", staff_in_role(StaffRole.AGENT).username)
    call_command("erase_customer", str(person.pk), "--actor", supervisor.username, stdout=io.StringIO())
    person.refresh_from_db()
    assert person.anonymised_at is not None
    assert list(PersonalDataAccess.objects.order_by("at", "pk").values_list("purpose", "where")) == [
        ("export", "command"),
        ("erase", "command"),
    ]


# --- the customer's page in the admin ----------------------------------------------------------------------------


def customer_page(person) -> str:
    return reverse("admin:people_customer_change", args=[person.pk])


def test_a_supervisor_exports_from_the_customer_page(client, filed, person, supervisor):
    client.force_login(supervisor)
    page = client.get(customer_page(person))
    assert page.status_code == 200
    export_url = reverse("privacy:export_customer", args=[person.pk])
    assert export_url in page.text and reverse("privacy:erase_customer", args=[person.pk]) in page.text

    download = client.get(export_url)

    assert download.status_code == 200 and download["Content-Type"].startswith("application/json")
    assert download["Content-Disposition"].startswith(f'attachment; filename="personal-data-customer-{person.pk}-')
    assert json.loads(download.content)["requests"][0]["tracking_number"] == filed.tracking_number
    assert PersonalDataAccess.objects.filter(purpose="export", where="admin", user=supervisor).count() == 1


def test_an_agent_sees_no_buttons_and_is_refused(client, filed, person):
    agent = staff_in_role(StaffRole.AGENT)
    client.force_login(agent)
    page = client.get(customer_page(person))
    assert page.status_code == 200 and reverse("privacy:export_customer", args=[person.pk]) not in page.text
    assert client.get(reverse("privacy:export_customer", args=[person.pk])).status_code == 403
    assert client.post(reverse("privacy:erase_customer", args=[person.pk])).status_code == 403
    person.refresh_from_db()
    assert person.anonymised_at is None
    assert not PersonalDataAccess.objects.filter(purpose__in=["export", "erase"]).exists()


def test_erasing_from_the_admin_is_refused_while_a_request_is_open(client, service, jurisdiction, supervisor):
    filed = file_and_close(service, close=False)
    person = customer_for(filed, jurisdiction)
    client.force_login(supervisor)
    erase_url = reverse("privacy:erase_customer", args=[person.pk])
    page = client.get(erase_url)
    assert f"Request {filed.tracking_number} is still open" in page.text
    assert 'value="Erase personal data"' not in page.text
    answer = client.post(erase_url, follow=True)
    assert "still open" in answer.text
    person.refresh_from_db()
    assert person.anonymised_at is None


def test_a_supervisor_erases_from_the_admin(client, filed, person, supervisor):
    client.force_login(supervisor)
    erase_url = reverse("privacy:erase_customer", args=[person.pk])
    assert "Erase personal data" in client.get(erase_url).text
    answer = client.post(erase_url, follow=True)
    assert answer.redirect_chain[-1][0] == customer_page(person)
    assert "personal data was erased" in answer.text and erase_url not in answer.text
    person.refresh_from_db()
    assert person.anonymised_at is not None
    assert PersonalDataAccess.objects.filter(purpose="erase", where="admin").count() == 1


def test_the_privacy_pages_send_visitors_to_the_staff_sign_in(client, person):
    for name in ("privacy:export_customer", "privacy:erase_customer"):
        url = reverse(name, args=[person.pk])
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("admin:login"))
    assert not PersonalDataAccess.objects.filter(purpose__in=["export", "erase"]).exists()


def test_staff_who_may_not_see_customers_find_no_customer_there(client, person, supervisor):
    # Department staff see contact details only on a request assigned to them: as in the admin, a 404.
    client.force_login(staff_in_role(StaffRole.DEPARTMENT_STAFF))
    assert client.get(reverse("privacy:export_customer", args=[person.pk])).status_code == 404
    assert client.post(reverse("privacy:erase_customer", args=[person.pk])).status_code == 404
    client.force_login(supervisor)
    assert client.get(reverse("privacy:export_customer", args=[person.pk + 1000])).status_code == 404
    person.refresh_from_db()
    assert person.anonymised_at is None
    assert not PersonalDataAccess.objects.filter(purpose__in=["export", "erase"]).exists()


def test_people_never_imports_the_privacy_app():
    # people is a lower layer (requests, notifications, surveys build on it); privacy sits above them all.
    folder = Path(customers.__file__).parent
    for module in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(name.startswith("civic311.privacy") for name in names), module


# --- two sweeps at once (PostgreSQL, where they really run in parallel) -----------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_parallel_sweeps_anonymise_and_count_each_record_once(service, jurisdiction):
    from .test_insights_concurrency import THREADS, in_parallel

    for number in range(12):
        filed = file_and_close(service, email=f"r{number}@example.org")
        if number % 2:
            customer_for(filed, jurisdiction)
        message(key=f"h{number}:email:r{number}@example.org", to=f"r{number}@example.org")
    expected = retention.anonymise_expired(now=EXPIRES, dry_run=True)
    assert expected["messages"] >= 12
    totals: list[dict[str, int]] = []
    in_parallel(lambda _number: totals.append(retention.anonymise_expired(now=EXPIRES, batch_size=2)))
    assert len(totals) == THREADS
    assert sum(t["customers"] for t in totals) == 6
    assert sum(t["requesters"] for t in totals) == 6
    assert sum(t["messages"] for t in totals) == expected["messages"]
    assert not OutboundMessage.objects.filter(state="sent").exclude(recipient="").exclude(channel="webhook").exists()
    assert not Customer.objects.filter(anonymised_at__isnull=True).exists()
    assert all(r.is_empty for r in Requester.objects.all())


def test_the_satisfaction_report_is_the_same_after_the_sweep(jurisdiction):
    from civic311.surveys import reports
    from civic311.surveys.reports import MONTH, Period

    month = survey_helpers.Month(jurisdiction)
    november = Period.parse(MONTH, "2026-11")
    before = reports.leadership_report(jurisdiction, november, month.sue)

    counts = retention.anonymise_expired(now=dt.datetime(2027, 6, 1, tzinfo=UTC))

    assert counts["survey_contact_answers"] == 1  # Zebediah's details, given in a survey in November
    assert reports.leadership_report(jurisdiction, november, month.sue) == before
