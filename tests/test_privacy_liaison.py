"""Privacy over time for the Neighborhood Liaison Program (docs/privacy.md): a resident's applications and
liaison record in their export, the retention sweep's windows for declined and never-reviewed applications
and for liaisons who left, erasure (an active liaison is withdrawn first), and who may do it."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
import time_machine
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from civic311.community.models import (
    CommunityMeeting,
    Liaison,
    LiaisonApplication,
    LiaisonFiling,
    TrainingRegistration,
    TrainingSession,
)
from civic311.community.selectors import recruitment
from civic311.community.selectors.figures import programme_figures
from civic311.community.services import applications, engagement, training
from civic311.notifications.models import OutboundMessage
from civic311.people import roles
from civic311.people import services as customers
from civic311.people.models import Customer, EmailSignInLink, PersonalDataAccess, RoleAssignment, StaffRole, User
from civic311.privacy import liaison_data, retention
from civic311.privacy.export import export_customer
from civic311.service_requests.models import ServiceRequest

from .community.helpers import application_data, community_staff
from .factories import NeighborhoodFactory, ServiceFactory, filed_request, staff_in_role, with_role

pytestmark = pytest.mark.django_db
UTC = dt.UTC
APPLIED = dt.datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
DECIDED = APPLIED + dt.timedelta(days=2)
TRAINED = DECIDED + dt.timedelta(days=20)
WITHDRAWN = TRAINED + dt.timedelta(days=100)
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
DECLINED_DAYS = 365  # CIVIC311_RETAIN_DECLINED_APPLICATIONS_DAYS's default
CONTACT_DAYS = 730  # CIVIC311_RETAIN_CONTACT_DAYS's default
PERSONAL = ("Ana", "Applicant", "ana@example.org", "+12156868686", "2156868686", "my cousin Rosa", "Too far away")


def holds_personal_data(*rows: object) -> bool:
    text = " ".join(json.dumps(row, default=str) for row in rows).lower()
    return any(item.lower() in text for item in PERSONAL)


@pytest.fixture
def neighborhood(jurisdiction):
    return NeighborhoodFactory(jurisdiction=jurisdiction, name="Fishtown")


@pytest.fixture
def staff(db):
    return community_staff()


@pytest.fixture
def supervisor(db):
    return staff_in_role(StaffRole.SUPERVISOR, username="sam-supervisor")


def apply(neighborhood, *, email="ana@example.org", now=APPLIED, **changes) -> LiaisonApplication:
    fields = {"heard_about": "other", "heard_about_detail": "my cousin Rosa", **changes}
    return applications.apply(
        neighborhood.jurisdiction, application_data([neighborhood], email=email, **fields), now=now
    )


def declined(neighborhood, staff, **changes) -> LiaisonApplication:
    return applications.decline(apply(neighborhood, **changes), staff, "Too far away", now=DECIDED)


def trained_liaison(neighborhood, staff, *, email="ana@example.org") -> Liaison:
    """Applied, accepted and trained (an initial session completed, with its certificate number): active."""
    liaison = applications.accept(apply(neighborhood, email=email), staff, now=DECIDED)
    session = TrainingSession.objects.create(
        jurisdiction=neighborhood.jurisdiction,
        title="Liaison training",
        starts_at=TRAINED - dt.timedelta(hours=2),
        ends_at=TRAINED,
        place="City Hall, Room 202",
        trainer="Terry Trainer",
        capacity=10,
        language="en",
    )
    TrainingRegistration.objects.create(
        session=session,
        liaison=liaison,
        registered_at=DECIDED,
        attended=True,
        completed_at=TRAINED,
        certificate_number="NLP-2024-0007",
    )
    Liaison.objects.filter(pk=liaison.pk).update(status=Liaison.Status.ACTIVE, trained_at=TRAINED)
    liaison.refresh_from_db()
    training.sync_access(liaison)
    return liaison


def customer_with(jurisdiction, email="ANA@example.org") -> Customer:
    return customers.create_customer(
        jurisdiction, first_name="Ana", last_name="Applicant", emails=[email], actor=None, now=APPLIED
    )


def sweep_on(when: dt.datetime) -> dict[str, int]:
    """The daily sweep as it runs on that day (its clock, not a `now` given to it)."""
    with time_machine.travel(when, tick=False):
        return retention.anonymise_expired()


def accepted_from(liaison: Liaison) -> LiaisonApplication:
    application = liaison.application
    assert application is not None
    return application


def is_anonymised(row: LiaisonApplication | Liaison) -> bool:
    row.refresh_from_db()
    return row.email.endswith("@anonymised.invalid") and row.first_name == "" and row.phone == ""


# --- the export -------------------------------------------------------------------------------------------------


def test_the_export_has_the_residents_applications_and_liaison_record(jurisdiction, neighborhood, staff, supervisor):
    old = declined(neighborhood, staff)
    liaison = trained_liaison(neighborhood, staff)
    meeting = CommunityMeeting.objects.create(
        jurisdiction=jurisdiction,
        neighborhood=neighborhood,
        name="Fishtown civic association",
        held_on=dt.date(2024, 4, 2),
        notes="Potholes on Girard.",
        recorded_by=liaison.user,
    )
    for_a_neighbour = filed_request(
        ServiceFactory(jurisdiction=jurisdiction),
        first_name="Nora",
        last_name="Neighbour",
        email="nora@example.org",
        now=TRAINED + DAY,
    )
    LiaisonFiling.objects.create(
        service_request=for_a_neighbour, liaison=liaison, meeting=meeting, neighbour_consented_at=TRAINED + DAY
    )
    engagement.send_message(jurisdiction, staff, "Spring clean-up", "Join us on Saturday.", neighborhood)
    # Not theirs: another resident's application, and the same address in another city.
    apply(neighborhood, email="someone-else@example.org", first_name="Other")
    person = customer_with(jurisdiction)
    now = dt.datetime(2024, 6, 1, 3, 30, tzinfo=UTC)  # 23:30 on 31 May in Philadelphia

    section = export_customer(person, actor=supervisor, now=now)["liaison_programme"]

    assert [a["id"] for a in section["applications"]] == [old.pk, liaison.application_id]
    first = section["applications"][0]
    assert (first["status"], first["reason_for_declining"], first["email"]) == (
        "declined",
        "Too far away",
        "ana@example.org",
    )
    assert first["heard_about_detail"] == "my cousin Rosa" and first["neighborhoods"] == ["Fishtown"]
    assert first["applied"] == "2024-03-04T10:00:00-05:00"  # the city's zone, with its offset
    (record,) = section["liaison_records"]
    assert (record["id"], record["status"], record["email"]) == (liaison.pk, "active", "ana@example.org")
    assert record["languages_spoken"] == ["en", "es"] and record["trained"].endswith("-04:00")
    (course,) = record["trainings"]
    assert (course["certificate_number"], course["attended"]) == ("NLP-2024-0007", True)
    assert [m["meeting"] for m in record["meetings"]] == ["Fishtown civic association"]
    assert record["requests_filed_for_neighbours"] == [
        {
            "tracking_number": for_a_neighbour.tracking_number,
            "filed": record["requests_filed_for_neighbours"][0]["filed"],
            "meeting": "Fishtown civic association",
        }
    ]
    assert [m["subject"] for m in record["programme_messages"]] == ["Spring clean-up"]
    # The neighbour's details are the neighbour's.
    assert "Nora" not in json.dumps(section) and "nora@example.org" not in json.dumps(section)


def test_the_liaison_is_found_by_their_accounts_address_too(jurisdiction, neighborhood, staff, supervisor):
    liaison = trained_liaison(neighborhood, staff, email="lee@example.org")
    Liaison.objects.filter(pk=liaison.pk).update(email="lee.new@example.org")
    person = customer_with(jurisdiction, email="Lee@Example.org")  # the account keeps the first address

    section = export_customer(person, actor=supervisor)["liaison_programme"]

    assert [r["id"] for r in section["liaison_records"]] == [liaison.pk]
    assert [a["id"] for a in section["applications"]] == [liaison.application_id]


def test_a_customer_unknown_to_the_programme_has_an_empty_section(jurisdiction, neighborhood, staff, supervisor):
    declined(neighborhood, staff)
    person = customer_with(jurisdiction, email="nobody@example.org")
    assert export_customer(person, actor=supervisor)["liaison_programme"] == {
        "applications": [],
        "liaison_records": [],
    }


def test_another_citys_programme_is_not_in_the_export(jurisdiction, neighborhood, staff, supervisor):
    from .factories import JurisdictionFactory

    county = JurisdictionFactory(slug="county", jurisdiction_id="county.example", name="County", is_default=False)
    apply(NeighborhoodFactory(jurisdiction=county))
    person = customer_with(jurisdiction)
    assert export_customer(person, actor=supervisor)["liaison_programme"]["applications"] == []


# --- the retention sweep: declined and never-reviewed applications ----------------------------------------------


def test_a_declined_application_keeps_its_details_for_its_window_then_loses_them(neighborhood, staff):
    application = declined(neighborhood, staff)
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(LiaisonApplication),
        object_id=str(application.pk),
        object_repr=str(application),
        action_flag=CHANGE,
    )
    expires = DECIDED + dt.timedelta(days=DECLINED_DAYS)

    assert sweep_on(expires - DAY)["liaison_applications"] == 0
    assert sweep_on(expires - SECOND)["liaison_applications"] == 0
    assert not is_anonymised(application)
    assert sweep_on(expires + DAY)["liaison_applications"] == 1

    assert is_anonymised(application)
    assert application.email == f"application-{application.pk}@anonymised.invalid"
    assert (application.last_name, application.heard_about_detail, application.decline_reason) == ("", "", "")
    # What the figures count stays.
    assert (application.status, application.decided_at, application.created_at) == ("declined", DECIDED, APPLIED)
    assert application.languages == ["en", "es"] and list(application.neighborhoods.all()) == [neighborhood]
    assert LogEntry.objects.get(object_id=str(application.pk)).object_repr == f"LiaisonApplication {application.pk}"


def test_the_window_ends_exactly(neighborhood, staff):
    application = declined(neighborhood, staff)
    expires = DECIDED + dt.timedelta(days=DECLINED_DAYS)
    assert retention.anonymise_expired(now=expires - SECOND)["liaison_applications"] == 0
    assert retention.anonymise_expired(now=expires)["liaison_applications"] == 1
    assert is_anonymised(application)


@override_settings(CIVIC311_RETAIN_DECLINED_APPLICATIONS_DAYS=30)
def test_the_declined_window_is_a_setting(neighborhood, staff):
    application = declined(neighborhood, staff)
    assert sweep_on(DECIDED + dt.timedelta(days=29))["liaison_applications"] == 0
    assert sweep_on(DECIDED + dt.timedelta(days=31))["liaison_applications"] == 1
    assert is_anonymised(application)


def test_an_application_never_reviewed_goes_after_the_contact_window_and_leaves_the_queue(neighborhood):
    application = apply(neighborhood)
    expires = APPLIED + dt.timedelta(days=CONTACT_DAYS)

    assert sweep_on(expires - DAY)["liaison_applications"] == 0
    assert not is_anonymised(application)
    assert sweep_on(expires + DAY)["liaison_applications"] == 1

    assert is_anonymised(application) and application.status == "declined"
    assert application.decided_by is None and application.decline_reason == ""
    assert application not in recruitment.applications(neighborhood.jurisdiction, "pending")
    # The placeholder keeps the one-waiting-application-per-address rule: the same address may apply again,
    # and a second anonymised application does not collide with the first.
    again = apply(neighborhood, now=expires + 2 * DAY)
    assert sweep_on(expires + dt.timedelta(days=CONTACT_DAYS + 3))["liaison_applications"] == 1
    assert is_anonymised(again) and again.email != application.email


def test_a_decided_application_is_not_swept_as_a_waiting_one(neighborhood, staff):
    application = declined(neighborhood, staff)
    # Made long ago but declined recently: the declined window counts from the decision.
    LiaisonApplication.objects.filter(pk=application.pk).update(created_at=APPLIED - dt.timedelta(days=1000))
    assert sweep_on(DECIDED + dt.timedelta(days=DECLINED_DAYS) - DAY)["liaison_applications"] == 0


# --- the retention sweep: liaisons ------------------------------------------------------------------------------


def test_a_liaison_in_the_programme_keeps_everything_however_old(neighborhood, staff):
    liaison = trained_liaison(neighborhood, staff)
    Liaison.objects.filter(pk=liaison.pk).update(status=Liaison.Status.LAPSED, lapsed_at=TRAINED + DAY)
    later = DECIDED + dt.timedelta(days=5 * 365)

    counts = sweep_on(later)

    assert counts["liaisons"] == 0 and counts["liaison_applications"] == 0
    assert not is_anonymised(liaison)
    assert not is_anonymised(accepted_from(liaison))


def test_a_withdrawn_liaison_keeps_their_details_for_the_contact_window_then_loses_them(neighborhood, staff):
    liaison = trained_liaison(neighborhood, staff)
    EmailSignInLink.objects.create(
        token_hash="x" * 64, email=liaison.email, user=liaison.user, expires_at=WITHDRAWN - DAY
    )
    training.withdraw(liaison, staff, now=WITHDRAWN)
    expires = WITHDRAWN + dt.timedelta(days=CONTACT_DAYS)
    figures_before = programme_figures(neighborhood.jurisdiction, now=expires + DAY)

    assert sweep_on(expires - DAY)["liaisons"] == 0
    assert not is_anonymised(liaison)
    counts = sweep_on(expires + DAY)

    assert (counts["liaisons"], counts["liaison_applications"]) == (1, 1)  # with the application they came from
    assert is_anonymised(liaison) and liaison.email == f"liaison-{liaison.pk}@anonymised.invalid"
    assert (liaison.last_name, liaison.show_on_neighborhood_page, liaison.weekly_digest) == ("", False, False)
    assert is_anonymised(accepted_from(liaison))
    # What the programme's figures count stays: status, dates, neighborhoods, languages, trainings.
    assert (liaison.status, liaison.withdrawn_at, liaison.trained_at) == ("withdrawn", WITHDRAWN, TRAINED)
    assert liaison.languages == ["en", "es"] and list(liaison.neighborhoods.all()) == [neighborhood]
    assert TrainingRegistration.objects.get(liaison=liaison).certificate_number == "NLP-2024-0007"
    assert programme_figures(neighborhood.jurisdiction, now=expires + DAY) == figures_before
    # Their account was only a liaison's: closed, nameless.
    account = User.objects.get(pk=liaison.user_id)
    assert not account.is_active and (account.email, account.first_name, account.last_name) == ("", "", "")
    assert account.username == f"former-liaison-{account.pk}"
    assert not EmailSignInLink.objects.filter(user=account).exists()


def test_an_account_that_is_more_than_a_liaisons_stays_open(neighborhood, staff):
    liaison = trained_liaison(neighborhood, staff)
    training.withdraw(liaison, staff, now=WITHDRAWN)
    # Made staff since, by an administrator: an account the city uses for more than the programme.
    User.objects.filter(pk=liaison.user_id).update(is_staff=True)
    with_role(User.objects.get(pk=liaison.user_id), StaffRole.AGENT)

    assert sweep_on(WITHDRAWN + dt.timedelta(days=CONTACT_DAYS) + DAY)["liaisons"] == 1

    account = User.objects.get(pk=liaison.user_id)
    assert account.is_active and account.email == "ana@example.org"
    assert is_anonymised(liaison)


def test_a_second_sweep_changes_and_counts_nothing(neighborhood, staff):
    declined(neighborhood, staff, email="declined@example.org")
    apply(neighborhood, email="waiting@example.org")
    training.withdraw(trained_liaison(neighborhood, staff), staff, now=WITHDRAWN)
    when = WITHDRAWN + dt.timedelta(days=CONTACT_DAYS) + DAY

    assert retention.anonymise_expired(now=when, dry_run=True)["liaison_applications"] == 3
    assert LiaisonApplication.objects.filter(email__endswith="anonymised.invalid").count() == 0
    first = retention.anonymise_expired(now=when, batch_size=1)
    assert (first["liaison_applications"], first["liaisons"]) == (3, 1)
    again = retention.anonymise_expired(now=when)
    assert (again["liaison_applications"], again["liaisons"]) == (0, 0)


def test_the_log_line_counts_the_programme_and_names_nobody(neighborhood, staff, caplog):
    declined(neighborhood, staff)
    with caplog.at_level(logging.INFO, logger="civic311.privacy.retention"):
        retention.anonymise_expired(now=DECIDED + dt.timedelta(days=DECLINED_DAYS))
    lines = [r.getMessage() for r in caplog.records if r.name == "civic311.privacy.retention"]
    assert len(lines) == 1 and "liaison_applications=1 liaisons=0" in lines[0]
    assert not holds_personal_data(lines)


def test_the_command_lists_the_programmes_stages(neighborhood, staff):
    declined(neighborhood, staff)
    out = io.StringIO()
    with time_machine.travel(DECIDED + dt.timedelta(days=DECLINED_DAYS) + DAY, tick=False):
        call_command("apply_retention", "--dry-run", stdout=out)
    assert (
        "liaison_applications: would anonymise 1" in out.getvalue() and "liaisons: would anonymise 0" in out.getvalue()
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_parallel_sweeps_anonymise_and_count_each_record_once(jurisdiction):
    from .test_insights_concurrency import THREADS, in_parallel

    neighborhood = NeighborhoodFactory(jurisdiction=jurisdiction)
    staff = community_staff()
    for number in range(6):
        declined(neighborhood, staff, email=f"d{number}@example.org")
        training.withdraw(trained_liaison(neighborhood, staff, email=f"l{number}@example.org"), staff, now=WITHDRAWN)
    when = WITHDRAWN + dt.timedelta(days=CONTACT_DAYS) + DAY
    totals: list[dict[str, int]] = []
    in_parallel(lambda _number: totals.append(retention.anonymise_expired(now=when, batch_size=2)))
    assert len(totals) == THREADS
    assert sum(t["liaison_applications"] for t in totals) + sum(t["liaisons"] for t in totals) >= 12
    assert sum(t["liaisons"] for t in totals) == 6
    assert not LiaisonApplication.objects.exclude(email__endswith="@anonymised.invalid").exists()
    assert not User.objects.filter(liaison__isnull=False, is_active=True).exists()


# --- erasure -----------------------------------------------------------------------------------------------------


def test_erasing_an_active_liaison_withdraws_them_first(jurisdiction, neighborhood, staff, supervisor):
    old = declined(neighborhood, staff)
    liaison = trained_liaison(neighborhood, staff)
    future = TrainingSession.objects.create(
        jurisdiction=jurisdiction,
        kind="refresher",
        title="Refresher",
        starts_at=TRAINED + dt.timedelta(days=60),
        ends_at=TRAINED + dt.timedelta(days=60, hours=2),
        trainer="Terry Trainer",
        capacity=10,
        language="en",
    )
    TrainingRegistration.objects.create(session=future, liaison=liaison, registered_at=TRAINED)
    engagement.send_message(jurisdiction, staff, "Spring clean-up", "Join us on Saturday.", neighborhood)
    person = customer_with(jurisdiction)
    assert roles.is_liaison(User.objects.get(pk=liaison.user_id))
    now = TRAINED + dt.timedelta(days=30)  # long before any window

    counts = retention.erase_customer(person, actor=supervisor, where="test", now=now)

    assert (counts["liaison_applications"], counts["liaisons"], counts["liaisons_withdrawn"]) == (2, 1, 1)
    liaison.refresh_from_db()
    assert (liaison.status, liaison.withdrawn_at) == ("withdrawn", now)
    assert is_anonymised(liaison) and is_anonymised(old)
    assert is_anonymised(accepted_from(liaison))
    account = User.objects.get(pk=liaison.user_id)
    assert not account.is_active and not roles.is_liaison(account)
    assert not RoleAssignment.objects.filter(user=account).exists()
    # Their place in a session not yet held is given back; the completed training stays.
    assert list(TrainingRegistration.objects.filter(liaison=liaison).values_list("certificate_number", flat=True)) == [
        "NLP-2024-0007"
    ]
    # The programme's e-mail to them, still waiting, is never sent.
    message = OutboundMessage.objects.get(subject__contains="Spring clean-up")
    assert (message.state, message.recipient) == (OutboundMessage.State.FAILED, "")
    row = PersonalDataAccess.objects.get(purpose=PersonalDataAccess.Purpose.ERASE)
    assert (row.user, row.customer, row.at) == (supervisor, person, now)
    assert export_customer(person, actor=supervisor)["liaison_programme"] == {
        "applications": [],
        "liaison_records": [],
    }


def test_erasing_a_withdrawn_liaison_keeps_the_day_they_left(jurisdiction, neighborhood, staff, supervisor):
    liaison = trained_liaison(neighborhood, staff)
    training.withdraw(liaison, staff, now=WITHDRAWN)
    person = customer_with(jurisdiction)

    counts = retention.erase_customer(person, actor=supervisor, now=WITHDRAWN + DAY)

    assert (counts["liaisons"], counts["liaisons_withdrawn"]) == (1, 0)
    liaison.refresh_from_db()
    assert liaison.withdrawn_at == WITHDRAWN and is_anonymised(liaison)


def test_erasing_a_customer_the_programme_never_knew_counts_as_before(jurisdiction, supervisor):
    person = customer_with(jurisdiction, email="nobody@example.org")
    counts = retention.erase_customer(person, actor=supervisor)
    assert counts == {"subscriptions": 0, "messages": 0, "inbox_items": 0, "customers": 1}


@pytest.mark.parametrize("role", [StaffRole.AGENT, StaffRole.COMMUNITY_STAFF, StaffRole.LEADERSHIP])
def test_staff_who_may_not_erase_leave_the_programme_untouched(role, jurisdiction, neighborhood, staff):
    application = declined(neighborhood, staff)
    liaison = trained_liaison(neighborhood, staff)
    person = customer_with(jurisdiction)
    someone = staff_in_role(role, username=f"someone-{role}")
    # Community staff run the programme, but a resident's erasure is a supervisor's or an admin's.
    with pytest.raises(PermissionDenied):
        retention.erase_customer(person, actor=someone)
    with pytest.raises(PermissionDenied):
        export_customer(person, actor=someone)
    liaison.refresh_from_db()
    assert liaison.status == "active" and not is_anonymised(liaison) and not is_anonymised(application)
    assert User.objects.get(pk=liaison.user_id).is_active
    assert not PersonalDataAccess.objects.exists()


def test_the_erase_page_warns_that_a_liaison_is_withdrawn(client, jurisdiction, neighborhood, staff, supervisor):
    liaison = trained_liaison(neighborhood, staff)
    person = customer_with(jurisdiction)
    client.force_login(supervisor)
    erase_url = reverse("privacy:erase_customer", args=[person.pk])

    page = client.get(erase_url).text
    assert "This resident is a neighborhood liaison" in page and "Neighborhood Liaison Program" in page

    answer = client.post(erase_url, follow=True)
    assert "withdrawn from the program first" in answer.text
    liaison.refresh_from_db()
    assert liaison.status == "withdrawn" and is_anonymised(liaison)


def test_the_erase_page_of_someone_else_says_nothing_of_the_programme(client, jurisdiction, supervisor):
    person = customer_with(jurisdiction, email="nobody@example.org")
    client.force_login(supervisor)
    page = client.get(reverse("privacy:erase_customer", args=[person.pk])).text
    assert "Neighborhood Liaison Program" not in page and "neighborhood liaison" not in page


def test_the_erase_command_reports_the_programme(jurisdiction, neighborhood, staff, supervisor):
    trained_liaison(neighborhood, staff)
    person = customer_with(jurisdiction)
    out = io.StringIO()
    call_command("erase_customer", str(person.pk), "--actor", supervisor.username, stdout=out)
    assert "1 applications and 1 liaison records anonymised (1 withdrawn first)" in out.getvalue()
    assert not holds_personal_data([out.getvalue()])


def test_the_neighbours_request_stays_when_the_liaison_who_filed_it_is_erased(
    jurisdiction, neighborhood, staff, supervisor
):
    liaison = trained_liaison(neighborhood, staff)
    filed = filed_request(ServiceFactory(jurisdiction=jurisdiction), first_name="Nora", email="nora@example.org")
    LiaisonFiling.objects.create(service_request=filed, liaison=liaison)
    retention.erase_customer(customer_with(jurisdiction), actor=supervisor)
    kept = ServiceRequest.objects.select_related("requester").get(pk=filed.pk)
    assert kept.requester is not None and kept.requester.email == "nora@example.org"
    assert kept.liaison_filing.liaison_id == liaison.pk


def test_records_of_reads_the_programme_once(jurisdiction, neighborhood, staff):
    liaison = trained_liaison(neighborhood, staff)
    records = liaison_data.records_of(jurisdiction.pk, ["ana@example.org"])
    assert records and records.in_programme and records.liaison_ids == [liaison.pk]
    assert records.addresses == {"ana@example.org"}
    assert not liaison_data.records_of(jurisdiction.pk, ["nobody@example.org"])


def test_a_former_liaison_anonymised_may_apply_again_with_the_same_address(neighborhood, staff):
    liaison = trained_liaison(neighborhood, staff)
    training.withdraw(liaison, staff, now=WITHDRAWN)
    later = WITHDRAWN + dt.timedelta(days=CONTACT_DAYS) + DAY
    sweep_on(later)

    again = applications.accept(apply(neighborhood, now=later + DAY), staff, now=later + 2 * DAY)

    assert again.pk != liaison.pk and again.user_id != liaison.user_id
    assert again.email == "ana@example.org" and again.user.is_active
