"""SLA escalation: the ladder in business days, the sweep's guarantees, the missed-date redress, the views."""

from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from civic311.catalogue.models import EscalationStep
from civic311.jurisdictions.selectors import business_calendar
from civic311.notifications.models import OutboundMessage
from civic311.service_requests import announcements, escalation
from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Announcement, Escalation, HistoryEntry, ServiceRequest

from .factories import (
    DepartmentFactory,
    HolidayFactory,
    JurisdictionFactory,
    ServiceFactory,
    StaffFactory,
    filed_request,
)

EASTERN = ZoneInfo("America/New_York")
THANKSGIVING = dt.date(2026, 11, 26)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=EASTERN)


# Filed Friday 20 November 2026 at 10:00, before the 2 pm cut-off: 3 business days → due Wednesday
# 25 November at 5 pm. Point person (-1): Tuesday 24 at 5 pm. Supervisor (0): Wednesday 25 at 5 pm.
# Director (+2): Thursday 26 is Thanksgiving and then comes a weekend, so Monday 30 at 5 pm.
FILED = local(2026, 11, 20, 10)
DUE = local(2026, 11, 25, 17)
POINT_PERSON_AT = local(2026, 11, 24, 17)
DIRECTOR_AT = local(2026, 11, 30, 17)


@pytest.fixture
def ladder(db):
    jurisdiction = JurisdictionFactory()
    HolidayFactory(jurisdiction=jurisdiction, date=THANKSGIVING, name="Thanksgiving")
    department = DepartmentFactory(jurisdiction=jurisdiction, slug="streets", name="Streets Department")
    supervisor = StaffFactory(username="supervisor")
    steps = [
        EscalationStep.objects.create(
            department=department,
            order=1,
            label="point person",
            offset_business_days=-1,
            notify_email="point@example.org",
        ),
        EscalationStep.objects.create(
            department=department, order=2, label="supervisor", offset_business_days=0, notify_user=supervisor
        ),
        EscalationStep.objects.create(
            department=department,
            order=3,
            label="director",
            offset_business_days=2,
            notify_email="director@example.org",
        ),
    ]
    service = ServiceFactory(jurisdiction=jurisdiction, department=department, sla_value=3)
    return service, steps


@pytest.fixture
def told(monkeypatch, django_capture_on_commit_callbacks):
    """What the escalations put in the notifications outbox: (address, subject, dedup key), oldest first.

    The outbox sends once the escalation commits; in a test's transaction those callbacks run at the end of
    each sweep."""
    monkeypatch.setattr(escalation, "sweep", _committing(escalation.sweep, django_capture_on_commit_callbacks))

    def read() -> list[tuple[str, str, str]]:
        # The e-mails are made by the announcer from the escalation's history entry; what a locked test
        # database made it put off, the outbox's own sweep makes (as the worker's would, a minute later).
        announcements.sweep(now=timezone.now() + dt.timedelta(hours=2))
        return list(
            OutboundMessage.objects.filter(dedup_key__startswith="staff:escalation:")
            .order_by("pk")
            .values_list("recipient", "subject", "dedup_key")
        )

    return read


def _committing(sweep, capture):
    def run(*args, **kwargs):
        if connection.in_atomic_block:  # a test in a transaction: run what would run on commit
            with capture(execute=True):
                return sweep(*args, **kwargs)
        return sweep(*args, **kwargs)

    return run


def file_request(service) -> ServiceRequest:
    with time_machine.travel(FILED, tick=False):
        return filed_request(service)


def sweep_at(moment: dt.datetime) -> dict[str, int]:
    with time_machine.travel(moment, tick=False):
        return escalation.sweep()


def fired(service_request) -> list[str]:
    return list(
        Escalation.objects.filter(service_request=service_request)
        .order_by("step__order")
        .values_list("step__label", flat=True)
    )


def test_offsets_count_business_days_across_weekends_and_holidays(ladder):
    service, steps = ladder
    service_request = file_request(service)
    assert service_request.expected_at == DUE
    assert [escalation.escalation_due_at(service_request, step) for step in steps] == [
        POINT_PERSON_AT,
        DUE,
        DIRECTOR_AT,
    ]
    calendar = business_calendar(service.jurisdiction)
    # Backwards from Monday 30: Friday 27, then Wednesday 25 (Thanksgiving is not a business day).
    assert escalation.step_due_at(calendar, DIRECTOR_AT, -1) == local(2026, 11, 27, 17)
    assert escalation.step_due_at(calendar, DIRECTOR_AT, -2) == local(2026, 11, 25, 17)


def test_each_step_fires_at_its_offset_and_not_before(ladder, told):
    service, _steps = ladder
    service_request = file_request(service)
    minute = dt.timedelta(minutes=1)

    sweep_at(POINT_PERSON_AT - minute)
    assert fired(service_request) == []
    sweep_at(POINT_PERSON_AT)
    assert fired(service_request) == ["point person"]
    sweep_at(DUE - minute)
    assert fired(service_request) == ["point person"]
    sweep_at(DUE + minute)
    assert fired(service_request) == ["point person", "supervisor"]
    # Thanksgiving, Friday and the weekend go by: the director is not told before Monday at 5 pm.
    for moment in (local(2026, 11, 26, 17), local(2026, 11, 27, 17), local(2026, 11, 29, 12), DIRECTOR_AT - minute):
        sweep_at(moment)
        assert fired(service_request) == ["point person", "supervisor"]
    sweep_at(DIRECTOR_AT)
    assert fired(service_request) == ["point person", "supervisor", "director"]

    entries = service_request.history.filter(kind=HistoryEntry.Kind.ESCALATED)
    assert entries.count() == 3
    assert not entries.filter(is_public=True).exists()
    assert [email for email, _subject, _key in told()] == [
        "point@example.org",
        "supervisor@example.org",
        "director@example.org",
    ]
    assert all(service_request.tracking_number in subject for _email, subject, _key in told())


def test_a_closed_request_is_never_escalated(ladder, told):
    service, _steps = ladder
    service_request = file_request(service)
    with time_machine.travel(local(2026, 11, 23, 9), tick=False):
        requests.change_status(service_request, Status.CLOSED, actor=None, public_reason="Issue Resolved")
    for moment in (POINT_PERSON_AT, DUE, DIRECTOR_AT, local(2026, 12, 31, 12)):
        assert sweep_at(moment) == {"escalated": 0, "redressed": 0}
    assert not Escalation.objects.exists()
    assert not service_request.history.filter(
        kind__in=[HistoryEntry.Kind.ESCALATED, HistoryEntry.Kind.REDRESS]
    ).exists()
    assert told() == []


def test_running_the_sweep_twice_escalates_nothing_twice(ladder, told):
    service, _steps = ladder
    service_request = file_request(service)
    later = DIRECTOR_AT + dt.timedelta(hours=1)
    assert sweep_at(later) == {"escalated": 3, "redressed": 1}
    assert sweep_at(later) == {"escalated": 0, "redressed": 0}
    assert sweep_at(later + dt.timedelta(days=3)) == {"escalated": 0, "redressed": 0}
    assert Escalation.objects.filter(service_request=service_request).count() == 3
    assert service_request.history.filter(kind=HistoryEntry.Kind.ESCALATED).count() == 3
    assert service_request.history.filter(kind=HistoryEntry.Kind.REDRESS).count() == 1
    assert len(told()) == 3


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sweeps_on_several_workers_make_one_escalation_per_step(ladder, told):
    service, steps = ladder
    service_requests = [file_request(service) for _ in range(3)]
    later = DIRECTOR_AT + dt.timedelta(hours=1)
    workers = 4
    barrier = threading.Barrier(workers)
    results: list[object] = []
    errors: list[object] = []

    def run():
        try:
            barrier.wait()
            for _attempt in range(50):
                try:
                    results.append(escalation.sweep(later))
                    break
                except OperationalError as exc:
                    # SQLite's shared-cache in-memory test database reports a table lock at once
                    # instead of waiting as the real file database does (timeout 20 s): run it again,
                    # which is itself "the sweep run twice".
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
            else:  # pragma: no cover
                errors.append("never got the lock")
        except Exception as exc:  # noqa: BLE001  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(results) == workers
    for service_request in service_requests:
        assert fired(service_request) == ["point person", "supervisor", "director"]
        assert service_request.history.filter(kind=HistoryEntry.Kind.ESCALATED).count() == 3
        assert service_request.history.filter(kind=HistoryEntry.Kind.REDRESS).count() == 1
    assert len(told()) == 3 * len(steps)
    assert len({key for _email, _subject, key in told()}) == 3 * len(steps)


def test_a_missed_date_makes_one_public_redress_follow_up(ladder, told):
    service, _steps = ladder
    service_request = file_request(service)
    on_time = file_request(service)
    with time_machine.travel(local(2026, 11, 25, 12), tick=False):
        requests.change_status(on_time, Status.CLOSED, actor=None, public_reason="Repair Completed")

    assert sweep_at(DUE - dt.timedelta(minutes=1))["redressed"] == 0
    assert sweep_at(DUE + dt.timedelta(minutes=1))["redressed"] == 1
    assert sweep_at(DUE + dt.timedelta(days=1))["redressed"] == 0

    entry = service_request.history.get(kind=HistoryEntry.Kind.REDRESS)
    assert entry.is_public
    assert entry.actor_label == "System"
    assert entry.text == (
        "We missed the date we gave you (Nov. 25, 2026); your request is now a priority and "
        "a supervisor is following it up."
    )
    service_request.refresh_from_db()
    assert service_request.is_priority
    assert service_request.redress_due_at == DUE
    assert not on_time.history.filter(kind=HistoryEntry.Kind.REDRESS).exists()
    on_time.refresh_from_db()
    assert not on_time.is_priority


def test_the_people_of_a_step_are_emailed_through_the_outbox(ladder, told):
    service, _steps = ladder
    service_request = file_request(service)
    mail.outbox.clear()

    sweep_at(POINT_PERSON_AT)
    escalation_pk = Escalation.objects.get(service_request=service_request).pk
    [(email, _subject, key)] = told()
    assert email == "point@example.org"
    assert key == f"staff:escalation:{escalation_pk}:point@example.org:point@example.org"

    sweep_at(DUE + dt.timedelta(minutes=1))
    assert sorted(message.to[0] for message in mail.outbox) == ["point@example.org", "supervisor@example.org"]
    message = next(m for m in mail.outbox if m.to == ["supervisor@example.org"])
    assert f"request {service_request.tracking_number}" in message.subject
    assert "supervisor" in message.body
    # Sent by the outbox (its Message-ID names the row), and linked to the request.
    sent = OutboundMessage.objects.get(recipient="supervisor@example.org")
    assert sent.state == OutboundMessage.State.SENT
    assert sent.service_request_id == service_request.pk
    assert message.extra_headers["Message-ID"].startswith(f"<{sent.reference}@")
    # Running the sweep again tells nobody twice.
    sweep_at(DUE + dt.timedelta(minutes=10))
    assert len(mail.outbox) == 2


def test_an_escalation_announced_again_tells_nobody_twice(ladder, told):
    from civic311.notifications import services as notifications

    service, _steps = ladder
    service_request = file_request(service)
    sweep_at(DUE + dt.timedelta(minutes=1))
    assert len(told()) == 2
    entries = HistoryEntry.objects.filter(service_request=service_request, kind=HistoryEntry.Kind.ESCALATED)
    assert sorted(Escalation.objects.values_list("history_entry_id", flat=True)) == sorted(e.pk for e in entries)

    for entry in entries:  # a retry after another listener failed, or two workers
        assert notifications.history_recorded(entry) == []
    assert len(told()) == 2


def test_an_escalation_recorded_before_entries_named_theirs_is_not_told_again(ladder, told):
    """Before Escalation.history_entry, the sweep queued the e-mails itself: an entry of then, announced
    after the upgrade, makes nothing (its e-mails are in the outbox already)."""
    from civic311.notifications import services as notifications

    service, _steps = ladder
    service_request = file_request(service)
    sweep_at(POINT_PERSON_AT)
    [before] = told()
    entry = HistoryEntry.objects.get(service_request=service_request, kind=HistoryEntry.Kind.ESCALATED)
    Escalation.objects.update(history_entry=None)

    assert notifications.tell_escalation(entry) == []
    assert told() == [before]


def test_an_escalation_rolled_back_leaves_nothing_in_the_outbox(ladder, told, monkeypatch):
    service, _steps = ladder
    service_request = file_request(service)
    record = escalation.services.record_escalation
    calls = []

    def fails_the_second_time(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database gone")
        return record(*args, **kwargs)

    # Two steps are due: the first is recorded and its e-mail queued, then the second fails. The sweep's
    # transaction takes the first step's e-mail with it...
    with monkeypatch.context() as patch:
        patch.setattr(escalation.services, "record_escalation", fails_the_second_time)
        with pytest.raises(RuntimeError):
            sweep_at(DUE + dt.timedelta(minutes=1))
    assert len(calls) == 2
    assert told() == [] and not Escalation.objects.exists()
    assert mail.outbox == []
    # ...and the next sweep does it all, once.
    sweep_at(DUE + dt.timedelta(minutes=5))
    assert fired(service_request) == ["point person", "supervisor"]
    assert [email for email, _subject, _key in told()] == ["point@example.org", "supervisor@example.org"]


def test_a_reopened_request_climbs_the_ladder_again_for_its_new_date(ladder, told):
    service, _steps = ladder
    service_request = file_request(service)
    sweep_at(DIRECTOR_AT)
    assert len(fired(service_request)) == 3
    with time_machine.travel(local(2026, 12, 1, 9), tick=False):
        requests.change_status(service_request, Status.CLOSED, actor=None, public_reason="Issue Resolved")
        requests.change_status(service_request, Status.REOPENED, actor=None)
    service_request.refresh_from_db()
    # Reopened Tuesday 1 December at 9 am: 3 business days → Friday 4 December at 5 pm.
    assert service_request.expected_at == local(2026, 12, 4, 17)
    assert sweep_at(local(2026, 12, 3, 16))["escalated"] == 0
    assert sweep_at(local(2026, 12, 3, 17))["escalated"] == 1
    new = Escalation.objects.filter(service_request=service_request, due_at=service_request.expected_at)
    assert list(new.values_list("step__label", flat=True)) == ["point person"]
    # The old escalations stay, for the old date.
    assert Escalation.objects.filter(service_request=service_request, due_at=DUE).count() == 3
    assert sweep_at(local(2026, 12, 4, 18))["redressed"] == 1
    assert service_request.history.filter(kind=HistoryEntry.Kind.REDRESS).count() == 2


def test_requests_without_a_ladder_or_a_due_date_are_left_alone(db, told):
    service = ServiceFactory(sla_unit="none", sla_value=None)
    with time_machine.travel(FILED, tick=False):
        no_date = filed_request(service)
    assert no_date.expected_at is None
    assert sweep_at(local(2027, 1, 1, 12)) == {"escalated": 0, "redressed": 0}


# --- the admin ----------------------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    user = StaffFactory(username="boss")
    user.is_superuser = True
    user.save()
    return user


def test_the_supervisors_view_lists_overdue_and_escalated_requests_oldest_due_first(
    ladder, told, superuser, client, django_assert_max_num_queries
):
    service, _steps = ladder
    first = file_request(service)
    with time_machine.travel(local(2026, 11, 23, 10), tick=False):
        second = filed_request(service)  # due Friday 27 at 5 pm (Thanksgiving skipped)
    sweep_at(local(2026, 11, 26, 12))
    with time_machine.travel(local(2026, 11, 25, 9), tick=False):
        third = filed_request(service)
        requests.change_status(third, Status.CLOSED, actor=None, public_reason="Issue Resolved")
    client.force_login(superuser)
    url = reverse("admin:requests_servicerequest_overdue")
    with time_machine.travel(local(2026, 11, 26, 12), tick=False), django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    # The first is overdue (supervisor told); the second only escalated to its point person so far.
    assert "2 open requests overdue or escalated: 1 past their due date, 1 made a priority" in page
    assert page.index(f"#{first.tracking_number}") < page.index(f"#{second.tracking_number}")
    assert f"#{third.tracking_number}" not in page
    assert "supervisor (" in page and "point person (" in page


def test_the_supervisors_view_keeps_its_queries_bounded(ladder, told, superuser, client, django_assert_max_num_queries):
    service, _steps = ladder
    for _ in range(8):
        file_request(service)
    sweep_at(DIRECTOR_AT)
    client.force_login(superuser)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:requests_servicerequest_overdue"))
    assert response.content.decode().count("director (") == 8


def test_the_escalated_filter_and_the_inlines_render(ladder, told, superuser, client, django_assert_max_num_queries):
    service, _steps = ladder
    escalated = file_request(service)
    sweep_at(POINT_PERSON_AT)
    with time_machine.travel(POINT_PERSON_AT, tick=False):
        calm = filed_request(service)
    client.force_login(superuser)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("admin:requests_servicerequest_changelist") + "?escalated=yes")
    page = response.content.decode()
    assert response.status_code == 200
    assert f">{escalated.tracking_number}<" in page and f">{calm.tracking_number}<" not in page
    assert reverse("admin:requests_servicerequest_overdue") in page
    response = client.get(reverse("admin:requests_servicerequest_change", args=[escalated.pk]))
    assert response.status_code == 200 and "point person" in response.content.decode()
    response = client.get(reverse("admin:catalogue_department_change", args=[service.department.pk]))
    assert response.status_code == 200 and "director@example.org" in response.content.decode()


# --- history is history: imports and windows long closed (issue 14) ------------------------------------------


def _imported(service, **row):
    """A request loaded by `import_requests` (Philadelphia's columns), as a city loads its past."""
    import io

    from civic311.opendata.services import import_requests

    from .test_open_data_import import philly_csv

    values = {"service_code": service.code, "service_name": service.name, **row}
    import_requests(service.jurisdiction, io.BytesIO(philly_csv(values)), None, rejects=io.StringIO())
    number = row.get("service_request_id", "9000001")
    return ServiceRequest.objects.get(jurisdiction=service.jurisdiction, tracking_number=number)


def _untouched(service_request: ServiceRequest, updated_at: dt.datetime) -> None:
    service_request.refresh_from_db()
    assert not Escalation.objects.filter(service_request=service_request).exists()
    assert not service_request.history.exclude(kind=HistoryEntry.Kind.OPENED).exists()
    assert service_request.updated_at == updated_at
    assert not service_request.is_priority and service_request.redress_due_at is None


def test_an_imported_overdue_request_from_2020_is_history_not_live_work(ladder, told):
    service, _steps = ladder
    imported = _imported(
        service,
        status="Open",
        requested_datetime="2020-03-02T10:00:00-05:00",
        updated_datetime="2020-03-03T09:00:00-05:00",
        expected_datetime="2020-03-09T17:00:00-04:00",
    )
    assert imported.is_imported and imported.is_open and imported.expected_at < FILED
    updated_at = imported.updated_at
    # Minutes after the import, and again years after its date: nothing happens to it.
    for moment in (dt.datetime.now(dt.UTC), local(2020, 3, 12, 9)):
        assert sweep_at(moment) == {"escalated": 0, "redressed": 0}
    _untouched(imported, updated_at)
    # Called directly (not through the sweep), the rules still hold.
    assert escalation.escalate(imported, list(service.department.escalation_steps.all()), DIRECTOR_AT) == 0
    assert escalation.redress(imported, DIRECTOR_AT) is False
    _untouched(imported, updated_at)
    assert told() == []


def test_an_imported_request_due_yesterday_is_not_escalated_either(ladder, told):
    service, _steps = ladder
    imported = _imported(
        service,
        status="Open",
        requested_datetime="2026-11-20T10:00:00-05:00",
        expected_datetime="2026-11-25T17:00:00-05:00",
    )
    updated_at = imported.updated_at
    assert sweep_at(DIRECTOR_AT + dt.timedelta(hours=1)) == {"escalated": 0, "redressed": 0}
    _untouched(imported, updated_at)


def test_a_request_filed_here_still_escalates_and_is_redressed(ladder, told):
    service, _steps = ladder
    live = file_request(service)
    assert not live.is_imported
    assert sweep_at(DIRECTOR_AT + dt.timedelta(hours=1)) == {"escalated": 3, "redressed": 1}


def test_a_window_long_closed_is_not_acted_on(ladder, told, settings):
    settings.CIVIC311_ESCALATION_STALE_DAYS = 30
    service, _steps = ladder
    live = file_request(service)
    updated_at = live.updated_at
    # Found by the sweep only 40 days after its due date (a sweep stopped for weeks, a ladder added late):
    # a date missed that long ago is no news to tell the resident, and no step is due any more.
    assert sweep_at(DUE + dt.timedelta(days=40)) == {"escalated": 0, "redressed": 0}
    _untouched(live, updated_at)
    # Within the limit, the late sweep catches up on every step whose time has come, and the redress.
    assert sweep_at(DIRECTOR_AT + dt.timedelta(days=25)) == {"escalated": 2, "redressed": 1}
    assert fired(live) == ["supervisor", "director"]  # the point person's moment is more than 30 days back


def test_the_stale_limit_is_exact(ladder, told, settings):
    settings.CIVIC311_ESCALATION_STALE_DAYS = 30
    service, _steps = ladder
    live = file_request(service)
    limit = dt.timedelta(days=30)
    assert escalation.redress(live, DUE + limit + dt.timedelta(seconds=1)) is False
    assert escalation.redress(live, DUE + limit) is True


def test_a_live_request_updated_by_an_import_stays_live(ladder, told):
    service, _steps = ladder
    live = file_request(service)
    again = _imported(
        service,
        service_request_id=live.tracking_number,
        status="Open",
        requested_datetime="2026-11-20T10:00:00-05:00",
        expected_datetime="2026-11-25T17:00:00-05:00",
    )
    assert again.pk == live.pk and ServiceRequest.objects.count() == 1
    assert not again.is_imported
    assert sweep_at(DIRECTOR_AT + dt.timedelta(hours=1)) == {"escalated": 3, "redressed": 1}


# --- the ladder's move to the catalogue (catalogue 0004) -------------------------------------------------


@pytest.fixture
def fresh_content_types():
    """These tests rename and delete content types in their transaction: nobody after them may see the
    cached rows."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


def _content_type_migration():
    import importlib

    return importlib.import_module("civic311.catalogue.migrations.0004_escalationstep_content_type")


def _old_ladder_permissions():
    """What a database of before the move holds: requests.escalationstep and its permissions, in a group."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    old = ContentType.objects.create(app_label="requests", model="escalationstep")
    group = Group.objects.create(name="ladder keepers")
    for action in ("add", "change", "delete", "view"):
        group.permissions.add(
            Permission.objects.create(content_type=old, codename=f"{action}_escalationstep", name=action)
        )
    return old, group


@pytest.mark.parametrize("catalogue_type_made", [False, True])
def test_after_the_move_the_ladders_permissions_are_still_held(db, fresh_content_types, catalogue_type_made):
    from types import SimpleNamespace

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    if not catalogue_type_made:  # the usual upgrade: migrate has not made the catalogue's yet
        ContentType.objects.filter(app_label="catalogue", model="escalationstep").delete()
    old, group = _old_ladder_permissions()
    keeper = StaffFactory(username="keeper")
    keeper.groups.add(group)

    _content_type_migration().forwards(apps, SimpleNamespace(connection=connection))

    keeper = type(keeper).objects.get(pk=keeper.pk)
    assert keeper.has_perm("catalogue.change_escalationstep") and keeper.has_perm("catalogue.view_escalationstep")
    current = ContentType.objects.get_for_model(EscalationStep)
    assert (current.pk == old.pk) is not catalogue_type_made  # the same row, renamed, when there was one only


def test_the_ladders_content_type_goes_back_with_the_migration(db, fresh_content_types):
    from types import SimpleNamespace

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    moved = ContentType.objects.get(app_label="catalogue", model="escalationstep")
    _content_type_migration().backwards(apps, SimpleNamespace(connection=connection))
    moved.refresh_from_db()
    assert moved.app_label == "requests"


def test_a_request_closed_before_its_escalation_is_announced_chases_nobody(ladder, django_capture_on_commit_callbacks):
    service, _steps = ladder
    service_request = file_request(service)
    with django_capture_on_commit_callbacks(execute=False):  # the worker is late: nothing announced yet
        escalation.sweep(DIRECTOR_AT + dt.timedelta(hours=1))
    assert fired(service_request) == ["point person", "supervisor", "director"]
    ServiceRequest.objects.filter(pk=service_request.pk).update(status=Status.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        announcements.sweep(now=timezone.now() + dt.timedelta(hours=2))  # announced now: closed meanwhile
    assert not OutboundMessage.objects.filter(dedup_key__startswith="staff:escalation:").exists()
    assert not Announcement.objects.filter(history_entry__service_request=service_request).exists()
