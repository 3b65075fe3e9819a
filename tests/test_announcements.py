"""The transactional outbox of requests: every history entry is written with its announcement row, and the
worker turns that row into messages, webhooks and forwarding in one transaction with deleting it.

And what clients see while the database is away: 503 with Retry-After, in their own format, never 500.
(tests/test_crash_recovery.py kills real processes and a real PostgreSQL; these are the rules one by one.)
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from civic311 import outage
from civic311.notifications.models import OutboundMessage
from civic311.open311.models import ForwardedRequest, WorkOrderSystem
from civic311.outage import is_outage
from civic311.service_requests import announcements, tasks
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Announcement, HistoryEntry, ServiceRequest
from civic311.service_requests.signals import history_recorded, listener

from .factories import filed_request

NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def forwarded_service(service, department):
    system = WorkOrderSystem.objects.create(
        department=department, name="Streets Work Orders", endpoint="http://127.0.0.1:9/georeport/v2/", api_key="k"
    )
    system.services.add(service)
    return service


def messages_for(service_request: ServiceRequest) -> list[str]:
    return sorted(OutboundMessage.objects.filter(service_request=service_request).values_list("dedup_key", flat=True))


def test_filing_writes_each_entrys_announcement_in_the_same_transaction(
    service, center_city, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        request = filed_request(service, email="pat@example.org")
    [opened] = request.history.all()
    assert Announcement.objects.filter(history_entry=opened).exists()
    assert messages_for(request) == []  # nothing is made before the worker announces it


def test_a_rolled_back_request_leaves_no_announcement(service, center_city):
    def fail(service_request):
        raise RuntimeError("the caller's own row could not be written")

    with pytest.raises(RuntimeError):
        requests_services.submit(
            service.jurisdiction,
            requests_services.Report(
                service_code=service.code, lat="39.9526", long="-75.1635", email="pat@example.org"
            ),
            also=fail,
        )
    assert not ServiceRequest.objects.exists()
    assert not Announcement.objects.exists()


def test_announcing_makes_the_messages_and_the_forwarding_once(
    forwarded_service, center_city, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        request = filed_request(forwarded_service, email="pat@example.org")
    opened = request.history.get()
    assert announcements.announce(opened.pk) is True
    assert messages_for(request) == [f"h{opened.pk}:email:pat@example.org"]
    assert ForwardedRequest.objects.filter(service_request=request).count() == 1
    assert not Announcement.objects.exists()
    # A second worker, or a stale wake-up, finds nothing left to do and makes nothing twice.
    assert announcements.announce(opened.pk) is False
    assert announcements.sweep() == 0
    assert len(messages_for(request)) == 1
    assert ForwardedRequest.objects.filter(service_request=request).count() == 1


def test_a_failing_listener_delays_only_itself_and_the_announcement_is_retried_later(
    forwarded_service, center_city, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        request = filed_request(forwarded_service, email="pat@example.org")
    opened = request.history.get()
    calls = []

    @listener(history_recorded, dispatch_uid="test-broken")
    def broken(sender, history_entry, **kwargs):
        calls.append(history_entry.pk)
        OutboundMessage.objects.create(
            channel="email", recipient="x@example.org", dedup_key="half-written", reference="half-written"
        )
        if len(calls) == 1:
            raise ConnectionError("a listener's bug or a lost connection")

    try:
        with caplog.at_level(logging.ERROR, logger="civic311.service_requests.announcements"):
            assert announcements.announce(opened.pk, now=NOW) is False
        waiting = Announcement.objects.get(pk=opened.pk)
        assert (waiting.attempts, waiting.last_error) == (1, "ConnectionError")
        assert waiting.next_attempt_at is not None
        assert waiting.next_attempt_at > NOW
        # What the failing listener wrote is undone; the others' rows stand: the requester's e-mail and the
        # forwarding are not held up by another listener's bug.
        assert messages_for(request) == [f"h{opened.pk}:email:pat@example.org"]
        assert not OutboundMessage.objects.filter(dedup_key="half-written").exists()
        assert ForwardedRequest.objects.filter(service_request=request).count() == 1
        # The log names the listener, the entry and the request's number, never the requester.
        assert "broken" in caplog.text and request.tracking_number in caplog.text
        assert "pat@example.org" not in caplog.text

        assert announcements.sweep(now=NOW) == 0  # not due yet: it backs off
        assert announcements.sweep(now=waiting.next_attempt_at) == 1
    finally:
        history_recorded.disconnect(dispatch_uid="test-broken")
    # Announced again as a whole: the listeners that had succeeded make nothing twice.
    assert calls == [opened.pk, opened.pk]
    assert messages_for(request) == [f"h{opened.pk}:email:pat@example.org"]
    assert ForwardedRequest.objects.filter(service_request=request).count() == 1
    assert OutboundMessage.objects.filter(dedup_key="half-written").count() == 1
    assert not Announcement.objects.exists()


def test_every_kind_of_entry_is_announced_and_the_status_change_tells_the_requester(
    service, center_city, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = filed_request(service, email="pat@example.org")
        requests_services.change_status(request, Status.CLOSED, actor=staff, public_reason="Cleaned up.")
    assert not Announcement.objects.exists()
    closed = request.history.get(kind=HistoryEntry.Kind.STATUS)
    assert f"h{closed.pk}:email:pat@example.org" in messages_for(request)


def test_a_lost_wake_up_only_delays_the_announcement_to_the_sweep(
    service, center_city, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    class QueueDown:
        def enqueue(self, *args, **kwargs):
            raise ConnectionRefusedError("the job queue is down")

    monkeypatch.setattr(announcements, "announce_pending", QueueDown())
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        request = filed_request(service, email="pat@example.org")  # filed all the same: no error page
    assert "the sweep will" in caplog.text
    assert Announcement.objects.count() == 1
    monkeypatch.undo()
    assert tasks.sweep_announcements.call_local() == 1
    assert len(messages_for(request)) == 1


def test_many_commits_queue_one_run_of_the_announcer_until_it_begins(
    service, center_city, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []

    class Queue:
        def enqueue(self, *args, **kwargs):
            queued.append(args)

    monkeypatch.setattr(announcements, "announce_pending", Queue())
    with django_capture_on_commit_callbacks(execute=True):
        filed = [filed_request(service, email=f"r{n}@example.org") for n in range(3)]
    assert len(queued) == 1  # one run will announce all three
    assert Announcement.objects.count() == 3

    monkeypatch.undo()
    assert announcements.announce_pending.call() == 3  # the run clears the flag before it reads
    assert not Announcement.objects.exists()
    assert all(messages_for(request) for request in filed)
    with django_capture_on_commit_callbacks(execute=True):
        filed_request(service, email="late@example.org")  # after the run began: a run of its own
    assert not Announcement.objects.exists()


def test_the_sweep_takes_the_oldest_first_and_stops_at_its_limit(
    service, center_city, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        requests = [filed_request(service, email=f"r{n}@example.org") for n in range(3)]
    assert announcements.sweep(limit=2) == 2
    assert Announcement.objects.get().history_entry.service_request == requests[-1]


def test_history_that_is_only_loaded_announces_nothing(service, center_city):
    request = filed_request(service)
    Announcement.objects.all().delete()
    with transaction.atomic():
        HistoryEntry.objects.create(
            service_request=request,
            kind=HistoryEntry.Kind.NOTE,
            is_public=True,
            text="Imported.",
            created_at=timezone.now(),
        )
    assert not Announcement.objects.exists()


# --- the database away: 503, in the caller's format ------------------------------------------------------


@pytest.fixture
def database_away(monkeypatch):
    """Every query of the request fails as it does while PostgreSQL restarts."""
    from django.db.backends.utils import CursorWrapper

    def refused(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    with monkeypatch.context() as away:  # undone before the test database is rolled back
        away.setattr(CursorWrapper, "execute", refused)
        away.setattr(CursorWrapper, "executemany", refused)
        yield


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/open311/v2/services.json", "application/json"),
        ("/open311/v2/services.xml", "text/xml"),
        ("/open311/v2/requests.json", "application/json"),
        ("/api/v1/service-requests/", "application/json"),
        ("/", "text/html"),
        ("/track/10000001/", "text/html"),
    ],
)
def test_clients_see_503_with_retry_after_in_their_format_while_the_database_is_away(
    client, jurisdiction, database_away, path, content_type
):
    client.raise_request_exception = False
    response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith(content_type)
    assert b"briefly unavailable" in response.content


def test_an_open311_post_while_the_database_is_away_is_503_in_json(client, jurisdiction, database_away):
    client.raise_request_exception = False
    response = client.post("/open311/v2/requests.json", {"api_key": "k", "service_code": "SR-ST02"})
    assert response.status_code == 503
    assert response.json() == [
        {"code": 503, "description": "The service is briefly unavailable. Please try again in a few seconds."}
    ]


def test_a_bug_is_still_a_500_and_a_wrapped_outage_is_503(rf):
    request = rf.get("/")
    try:
        raise ZeroDivisionError
    except ZeroDivisionError:
        assert outage.server_error(request).status_code == 500
    try:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as error:
            raise RuntimeError("a library wrapped it") from error
    except RuntimeError:
        assert outage.server_error(request).status_code == 503


def _wrapped(driver_error: BaseException, message: str) -> OperationalError:
    try:
        raise OperationalError(message) from driver_error
    except OperationalError as error:
        return error


@pytest.mark.parametrize(
    ("driver_error", "message", "outage"),
    [
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), "", True),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), "", True),
        (psycopg.OperationalError("connection failed: Connection refused"), "", True),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), "", False),
        (sqlite3.OperationalError("database is locked"), "database is locked", True),
        (
            sqlite3.OperationalError("no such table: requests_announcement"),
            "no such table: requests_announcement",
            False,
        ),
    ],
)
def test_only_an_unreachable_database_is_an_outage(driver_error, message, outage):
    # A statement timeout or a missing table is a bug of ours: a 500 with its traceback, not "try again".
    assert is_outage(_wrapped(driver_error, message or str(driver_error))) is outage
    assert is_outage(InterfaceError("connection already closed")) is True
