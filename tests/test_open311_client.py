"""The Open311 client: forwarding requests to a department's work-order system and pulling updates back.

The work-order system is a small GeoReport v2 server run in this process over real HTTP on loopback. It
records what it received and fails on demand (500, 429, a timeout, 400, an answer that is not JSON), can
answer with tokens, and honours `client_request_id` the way the extension says.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends import locmem
from django.urls import reverse
from django.utils import timezone

from civic311.notifications import services as notifications
from civic311.notifications.models import OutboundMessage
from civic311.open311 import forwarding
from civic311.open311.georeport_client import GeoReportClient, GeoReportError
from civic311.open311.models import ForwardedRequest, WorkOrderSystem
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, ServiceRequest

from .factories import ServiceFactory, StaffFactory, filed_request, select_attribute

State = ForwardedRequest.State
API_KEY = "their-secret-key"
PREFIX = "/open311/v2/"

pytestmark = pytest.mark.django_db(transaction=True)


# --- the work-order system -------------------------------------------------------------------------


class FakeWorkOrders:
    """A GeoReport v2 server: POST/GET requests.json and GET tokens/{token}.json."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.posts: list[dict[str, list[str]]] = []
        self.gets: list[tuple[str, dict[str, list[str]]]] = []
        self.failures: list[str] = []  # what the next calls do instead of answering well, in order
        self.answer_with_tokens = False
        self.records: dict[str, dict] = {}  # their id → what GET requests.json shows
        self.by_client_id: dict[str, dict] = {}  # client_request_id → the first answer
        self.tokens: dict[str, str | None] = {}  # token → their id once "made"
        self.ids = itertools.count(1000)
        self.endpoint = ""

    # what the tests do to it
    def update(self, their_id: str, *, status: str, notes: str, at: dt.datetime) -> None:
        with self.lock:
            self.records[their_id].update(
                status=status, status_notes=notes, updated_datetime=at.isoformat(timespec="seconds")
            )

    def resolve_tokens(self) -> None:
        with self.lock:
            for token, their_id in self.tokens.items():
                if their_id is None:
                    self.tokens[token] = self._make_record("resolved")

    def post_count(self) -> int:
        with self.lock:
            return len(self.posts)

    # the server side
    def _make_record(self, service_code: str) -> str:
        their_id = str(next(self.ids))
        self.records[their_id] = {
            "service_request_id": their_id,
            "status": "open",
            "status_notes": "",
            "service_code": service_code,
            "updated_datetime": timezone.now().isoformat(timespec="seconds"),
        }
        return their_id

    def handle_post(self, form: dict[str, list[str]]) -> tuple[int, object, str]:
        with self.lock:
            self.posts.append(form)
            failure = self.failures.pop(0) if self.failures else ""
            if form.get("api_key") != [API_KEY]:
                return 403, [{"code": 403, "description": "Invalid api_key"}], ""
            if failure == "400":
                return 400, [{"code": 400, "description": "service_code DUMPING is not known here"}], ""
            if failure in ("500", "429"):
                return int(failure), [{"code": int(failure), "description": "Try again later"}], ""
            if failure == "html":
                return 200, "<html>Service Unavailable</html>", ""
            if failure == "two":
                return 200, [{"service_request_id": "1"}, {"service_request_id": "2"}], ""
            client_id = (form.get("client_request_id") or [""])[0]
            if client_id and client_id in self.by_client_id:
                return 200, [self.by_client_id[client_id]], failure
            if self.answer_with_tokens:
                token = f"tok-{next(self.ids)}"
                self.tokens[token] = None
                answer = {"token": token, "service_notice": "", "account_id": None}
            else:
                their_id = self._make_record(form["service_code"][0])
                answer = {"service_request_id": their_id, "service_notice": "5 days", "account_id": None}
            if client_id:
                self.by_client_id[client_id] = answer
            # A "timeout" makes the work order and answers too late: the answer is lost on the way.
            return 200, [answer], failure

    def handle_get(self, path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        with self.lock:
            self.gets.append((path, query))
            if path == "requests.json":
                ids = (query.get("service_request_id") or [""])[0].split(",")
                return 200, [dict(self.records[i]) for i in ids if i in self.records]
            if path.startswith("tokens/") and path.endswith(".json"):
                token = unquote(path[len("tokens/") : -len(".json")])
                if self.tokens.get(token) is None:
                    return 404, [{"code": 404, "description": "No such request yet"}]
                return 200, [{"service_request_id": self.tokens[token], "token": token}]
            return 404, [{"code": 404, "description": "Not found"}]


def make_handler(fake: FakeWorkOrders) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _path(self) -> tuple[str, dict[str, list[str]]]:
            parts = urlsplit(self.path)
            assert parts.path.startswith(PREFIX), parts.path
            return parts.path[len(PREFIX) :], parse_qs(parts.query, keep_blank_values=True)

        def _answer(self, status: int, body: object) -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client may have given up waiting
                self.wfile.write(data)

        def do_POST(self):
            path, _query = self._path()
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            if path != "requests.json":
                return self._answer(404, [{"code": 404, "description": "Not found"}])
            status, body, failure = fake.handle_post(form)
            if failure == "timeout":
                fake.release.wait(1.5)
            self._answer(status, body)

        def do_GET(self):
            path, query = self._path()
            self._answer(*fake.handle_get(path, query))

    return Handler


@pytest.fixture
def remote() -> Iterator[FakeWorkOrders]:
    fake = FakeWorkOrders()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.endpoint = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch):
    monkeypatch.setattr(forwarding, "TIMEOUT", (2.0, 0.5))


@pytest.fixture
def system(department, service, remote) -> WorkOrderSystem:
    system = WorkOrderSystem.objects.create(
        department=department,
        name="Streets Work Orders",
        endpoint=remote.endpoint,
        api_key=API_KEY,
        remote_jurisdiction_id="streets.phila.gov",
    )
    system.services.add(service)
    return system


def forwarded_for(service_request: ServiceRequest) -> ForwardedRequest:
    return ForwardedRequest.objects.get(service_request=service_request)


def internal_notes(service_request: ServiceRequest) -> list[HistoryEntry]:
    return list(service_request.history.filter(kind=HistoryEntry.Kind.NOTE, is_public=False))


def run_due_at(moment: dt.datetime) -> int:
    """The minute sweep, at a moment (the queued jobs run at once in the tests' immediate mode)."""
    with time_machine.travel(moment, tick=True):
        return forwarding.sweep_due()


# --- forwarding on filing ----------------------------------------------------------------------------


def test_a_filed_request_is_sent_and_their_id_stored_with_an_internal_note(system, service, remote):
    select_attribute(service, "contents", ["mattress", "tires"], multi=True)
    select_attribute(service, "size", ["small", "large"])
    request = filed_request(
        service,
        address="1400 John F Kennedy Blvd",
        zipcode="19107",
        answers={"contents": ["mattress", "tires"], "size": "large"},
        first_name="Pat",
        last_name="Resident",
        email="pat@example.org",
        phone="215-555-0100",
        media_url="https://photos.example.org/1.jpg",
    )

    forwarded = forwarded_for(request)
    assert forwarded.state == State.SENT
    assert forwarded.external_id == "1000"
    assert forwarded.attempts == 1
    assert forwarded.first_sent_at is not None
    assert forwarded.next_attempt_at is None
    assert forwarded.last_error == ""

    [posted] = remote.posts
    assert posted["service_code"] == ["SR-ST02"]
    assert posted["api_key"] == [API_KEY]
    assert posted["jurisdiction_id"] == ["streets.phila.gov"]
    assert posted["client_request_id"] == [request.tracking_number]
    assert posted["lat"] == ["39.9526000"] and posted["long"] == ["-75.1635000"]
    assert posted["address_string"] == ["1400 John F Kennedy Blvd, 19107"]
    assert posted["description"] == ["Mattresses on the sidewalk."]
    assert posted["attribute[contents][]"] == ["mattress", "tires"]
    assert posted["attribute[size]"] == ["large"]
    assert posted["media_url"] == ["https://photos.example.org/1.jpg"]
    # No personal data leaves.
    for personal in ("email", "first_name", "last_name", "phone", "account_id", "device_id"):
        assert personal not in posted
    assert "pat@example.org" not in json.dumps(posted)

    [note] = internal_notes(request)
    assert note.text == "Sent to Streets Work Orders as #1000."
    assert note.actor_label == "Streets Work Orders"
    assert note.actor_id is None


def test_our_service_code_is_mapped_to_theirs(system, service, remote):
    system.service_code_map = {"SR-ST02": "DUMPING"}
    system.save()
    filed_request(service)
    assert remote.posts[0]["service_code"] == ["DUMPING"]


def test_services_not_chosen_and_systems_switched_off_forward_nothing(system, service, department, remote):
    other = ServiceFactory(jurisdiction=service.jurisdiction, department=department, code="SR-ST03")
    request = filed_request(other)
    assert not ForwardedRequest.objects.filter(service_request=request).exists()

    system.is_active = False
    system.save()
    request = filed_request(service)
    assert not ForwardedRequest.objects.filter(service_request=request).exists()
    assert remote.posts == []


def test_private_requests_are_forwarded_too(system, service, remote):
    request = filed_request(service, is_private=True)
    assert forwarded_for(request).state == State.SENT
    assert len(remote.posts) == 1


def test_a_request_routed_to_another_department_is_not_sent_to_this_one(system, service, remote):
    from .factories import DepartmentFactory

    water = DepartmentFactory(jurisdiction=service.jurisdiction, slug="water")
    request = filed_request(service)
    ServiceRequest.objects.filter(pk=request.pk).update(department=water)
    request.refresh_from_db()
    ForwardedRequest.objects.all().delete()
    assert forwarding.forward_if_chosen(request) is None


# --- tokens -------------------------------------------------------------------------------------------


def test_tokens_are_stored_and_resolved_in_one_sweep(system, service, remote):
    remote.answer_with_tokens = True
    requests = [filed_request(service) for _ in range(3)]
    forwarded = [forwarded_for(request) for request in requests]
    assert {f.state for f in forwarded} == {State.AWAITING_ID}
    assert all(f.token.startswith("tok-") and not f.external_id for f in forwarded)
    assert internal_notes(requests[0])[0].text.startswith("Sent to Streets Work Orders; waiting for their id")

    # Not made yet there: their 404 means "wait".
    run_due_at(timezone.now() + dt.timedelta(minutes=2))
    assert {f.state for f in ForwardedRequest.objects.all()} == {State.AWAITING_ID}

    remote.resolve_tokens()
    assert run_due_at(timezone.now() + dt.timedelta(minutes=4)) == 3
    for request in requests:
        resolved = forwarded_for(request)
        assert resolved.state == State.SENT
        assert resolved.external_id == remote.tokens[resolved.token]
        assert internal_notes(request)[-1].text == f"Streets Work Orders gave it the id #{resolved.external_id}."
    token_calls = [path for path, _ in remote.gets if path.startswith("tokens/")]
    assert len(token_calls) == 6  # three before they existed, three after
    assert len(remote.posts) == 3


# --- retries --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["500", "429", "html", "two"])
def test_passing_failures_are_retried_with_growing_backoff_then_given_up(system, service, remote, failure):
    remote.failures = [failure] * forwarding.MAX_ATTEMPTS
    request = filed_request(service)
    forwarded = forwarded_for(request)
    assert forwarded.state == State.PENDING and forwarded.attempts == 1
    assert forwarded.last_error

    first_sent = forwarded.first_sent_at
    assert forwarded.next_attempt_at is not None and first_sent is not None
    delays = [forwarded.next_attempt_at - first_sent]
    for attempt in range(2, forwarding.MAX_ATTEMPTS + 1):
        before = forwarded_for(request)
        assert before.next_attempt_at is not None
        # Not yet due: the sweep leaves it alone.
        run_due_at(before.next_attempt_at - dt.timedelta(seconds=30))
        assert forwarded_for(request).attempts == attempt - 1
        with time_machine.travel(before.next_attempt_at + dt.timedelta(seconds=1), tick=True):
            forwarding.sweep_due()
            after = forwarded_for(request)
            assert after.attempts == attempt
            if attempt < forwarding.MAX_ATTEMPTS:
                assert after.state == State.PENDING
                assert after.next_attempt_at is not None
                delays.append(after.next_attempt_at - timezone.now())
    assert all(later > earlier for earlier, later in itertools.pairwise(delays))
    assert dt.timedelta(minutes=1) < delays[0] < dt.timedelta(minutes=3)
    assert delays[-1] > dt.timedelta(hours=1)

    given_up = forwarded_for(request)
    assert given_up.state == State.FAILED
    assert given_up.next_attempt_at is None
    assert given_up.first_sent_at == first_sent
    assert len(remote.posts) == forwarding.MAX_ATTEMPTS
    assert internal_notes(request)[-1].text.startswith(
        f"Could not send to Streets Work Orders after {forwarding.MAX_ATTEMPTS} attempts"
    )
    # Nothing more happens.
    run_due_at(timezone.now() + dt.timedelta(days=1))
    assert len(remote.posts) == forwarding.MAX_ATTEMPTS


def test_backoff_doubles_within_the_jitter():
    import random

    rng = random.Random(4)
    for attempts in range(1, forwarding.MAX_ATTEMPTS):
        delay = forwarding.backoff_delay(attempts, rng)
        base = min(forwarding.BACKOFF_BASE * 2 ** (attempts - 1), forwarding.BACKOFF_CAP)
        assert base * 0.8 <= delay <= base * 1.2
    total = sum(
        (
            min(forwarding.BACKOFF_BASE * 2 ** (n - 1), forwarding.BACKOFF_CAP)
            for n in range(1, forwarding.MAX_ATTEMPTS)
        ),
        dt.timedelta(),
    )
    assert dt.timedelta(hours=3) < total < dt.timedelta(hours=6)


def test_a_timeout_is_retried_and_the_resend_does_not_make_a_second_work_order(system, service, remote):
    remote.failures = ["timeout"]
    request = filed_request(service)
    forwarded = forwarded_for(request)
    assert forwarded.state == State.PENDING
    assert "Timed out" in forwarded.last_error
    assert len(remote.records) == 1  # they made it; we never heard

    assert forwarded.next_attempt_at is not None
    run_due_at(forwarded.next_attempt_at + dt.timedelta(seconds=1))
    forwarded = forwarded_for(request)
    assert forwarded.state == State.SENT
    assert forwarded.attempts == 2
    assert forwarded.external_id == "1000"
    assert len(remote.records) == 1
    assert [post["client_request_id"] for post in remote.posts] == [[request.tracking_number]] * 2


def test_a_400_fails_at_once_with_their_error(system, service, remote):
    remote.failures = ["400"]
    request = filed_request(service)
    forwarded = forwarded_for(request)
    assert forwarded.state == State.FAILED
    assert forwarded.attempts == 1
    assert forwarded.next_attempt_at is None
    assert forwarded.last_error == "HTTP 400: service_code DUMPING is not known here"
    note = internal_notes(request)[-1]
    assert note.text == "Streets Work Orders refused the request: HTTP 400: service_code DUMPING is not known here"
    run_due_at(timezone.now() + dt.timedelta(hours=1))
    assert len(remote.posts) == 1


def test_a_wrong_api_key_fails_at_once(system, service, remote):
    system.api_key = "wrong"
    system.save()
    forwarded = forwarded_for(filed_request(service))
    assert forwarded.state == State.FAILED
    assert forwarded.last_error == "HTTP 403: Invalid api_key"


def test_an_unreachable_system_is_retried(system, service, remote):
    system.endpoint = "http://127.0.0.1:9/open311/v2/"  # discard port: nothing listens
    system.save()
    forwarded = forwarded_for(filed_request(service))
    assert forwarded.state == State.PENDING
    assert forwarded.last_error.startswith("Could not connect")


def test_the_sweep_sends_what_a_dead_worker_left_behind(system, service, remote):
    system.is_active = False
    system.save()
    request = filed_request(service)
    # As if the job had been lost: the row is there, nothing was sent.
    forwarded = ForwardedRequest.objects.create(service_request=request, system=system, next_attempt_at=timezone.now())
    system.is_active = True
    system.save()
    assert forwarding.sweep_due() == 1
    forwarded.refresh_from_db()
    assert forwarded.state == State.SENT


def test_a_claimed_row_is_not_sent_twice_at_once(system, service, remote):
    system.is_active = False
    system.save()
    request = filed_request(service)
    forwarded = ForwardedRequest.objects.create(service_request=request, system=system, next_attempt_at=timezone.now())
    system.is_active = True
    system.save()
    now = timezone.now()
    # The first worker's claim holds the row for a lease; a second worker at the same moment finds it taken.
    assert (
        ForwardedRequest.objects.filter(forwarding._due(now), pk=forwarded.pk).update(
            next_attempt_at=now + forwarding.LEASE
        )
        == 1
    )
    assert forwarding.send(forwarded.pk, now=now) == "not due"
    assert remote.posts == []
    # A worker that died leaves the lease to run out; then the sweep sends it.
    run_due_at(now + forwarding.LEASE + dt.timedelta(seconds=1))
    assert forwarded_for(request).state == State.SENT


# --- updates back ---------------------------------------------------------------------------------------


def test_their_notes_and_close_come_back_into_our_history_once(system, service, remote):
    request = filed_request(service)
    their_id = forwarded_for(request).external_id
    start = timezone.now()

    remote.update(their_id, status="open", notes="Crew scheduled for Tuesday.", at=start + dt.timedelta(minutes=1))
    assert forwarding.poll_updates(system, force=True) == 1
    assert forwarding.poll_updates(system, force=True) == 0
    request.refresh_from_db()
    assert request.status_notes == "Crew scheduled for Tuesday."
    notes = list(request.history.filter(kind=HistoryEntry.Kind.NOTE, is_public=True))
    assert [(n.text, n.actor_label) for n in notes] == [("Crew scheduled for Tuesday.", "Streets Work Orders")]

    remote.update(their_id, status="closed", notes="Removed 2 mattresses.", at=start + dt.timedelta(minutes=2))
    assert forwarding.poll_updates(system, force=True) == 1
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert request.status_notes == "Removed 2 mattresses."
    [closed] = request.history.filter(kind=HistoryEntry.Kind.STATUS)
    assert closed.is_public and closed.to_status == Status.CLOSED
    assert closed.text == "Removed 2 mattresses." and closed.actor_label == "Streets Work Orders"
    forwarded = forwarded_for(request)
    assert forwarded.remote_status == "closed"
    assert forwarded.remote_updated_at == start.replace(microsecond=0) + dt.timedelta(minutes=2)

    # Never twice, even when asked directly with the same update.
    count = request.history.count()
    assert forwarding.poll_updates(system, force=True) == 0
    from civic311.open311.georeport_client import RemoteRequest

    again = RemoteRequest(their_id, "closed", "Removed 2 mattresses.", forwarded.remote_updated_at)
    assert forwarding.apply_remote_update(forwarded.pk, again) is False
    assert request.history.count() == count


def test_a_close_without_their_note_uses_a_standard_reason(system, service, remote):
    request = filed_request(service)
    their_id = forwarded_for(request).external_id
    remote.update(their_id, status="closed", notes="", at=timezone.now() + dt.timedelta(minutes=1))
    forwarding.poll_updates(system, force=True)
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert request.status_notes == "Issue Resolved"


def test_their_close_of_a_request_we_already_ended_is_an_internal_note(system, service, remote, staff):
    request = filed_request(service)
    their_id = forwarded_for(request).external_id
    requests_services.change_status(request, Status.CANCELLED, actor=staff, public_reason="Withdrawn.")
    forwarded = forwarded_for(request)
    from civic311.open311.georeport_client import RemoteRequest

    remote_close = RemoteRequest(their_id, "closed", "Nothing found.", timezone.now())
    assert forwarding.apply_remote_update(forwarded.pk, remote_close) is True
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
    expected = f"Streets Work Orders closed their work order #{their_id}: Nothing found."
    assert internal_notes(request)[-1].text == expected


def test_polling_takes_turns(system, service, remote):
    request = filed_request(service)
    now = timezone.now()
    assert forwarding.claim_poll(system, now)
    assert not forwarding.claim_poll(system, now)  # a second sweep at the same time skips it
    assert not forwarding.claim_poll(system, now + dt.timedelta(minutes=1))
    assert forwarding.claim_poll(system, now + forwarding.POLL_EVERY)
    remote.update(forwarded_for(request).external_id, status="closed", notes="Done.", at=now + dt.timedelta(hours=1))
    assert forwarding.poll_all(now=now + forwarding.POLL_EVERY + dt.timedelta(seconds=1)) == 0  # not its turn
    assert forwarding.poll_all(now=now + 2 * forwarding.POLL_EVERY) == 1
    assert [path for path, _ in remote.gets] == ["requests.json"]


def test_ids_are_asked_for_in_batches(system, service, remote, monkeypatch):
    monkeypatch.setattr(forwarding, "POLL_BATCH", 2)
    requests = [filed_request(service) for _ in range(5)]
    forwarding.poll_updates(system, force=True)
    asked = [query["service_request_id"][0].split(",") for path, query in remote.gets if path == "requests.json"]
    assert [len(batch) for batch in asked] == [2, 2, 1]
    assert sorted(itertools.chain(*asked)) == sorted(forwarded_for(r).external_id for r in requests)
    assert all(query["jurisdiction_id"] == ["streets.phila.gov"] for _, query in remote.gets)


# --- the alert ------------------------------------------------------------------------------------------


def test_a_request_without_their_id_an_hour_after_sending_raises_one_alert(system, service, remote):
    remote.failures = ["500"] * forwarding.MAX_ATTEMPTS
    start = timezone.now()
    request = filed_request(service)
    mail.outbox.clear()

    assert forwarding.raise_alerts(now=start + dt.timedelta(minutes=59)) == 0
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=True):
        assert forwarding.raise_alerts() == 1
        assert forwarding.raise_alerts() == 0
    assert forwarding.raise_alerts(now=start + dt.timedelta(hours=5)) == 0

    [message] = mail.outbox
    assert message.to == ["streets@example.org"]
    assert message.subject == (
        f"Not confirmed by Streets Work Orders: {service.name}, request {request.tracking_number}"
    )
    assert "HTTP 500" in message.body
    assert "Mattresses" not in message.body
    forwarded = forwarded_for(request)
    assert forwarded.alerted_at is not None
    note = internal_notes(request)[-1]
    assert note.text.startswith("Alert: Streets Work Orders has not confirmed this request an hour after it was sent")
    assert note.actor_label == "System"


def test_an_alert_whose_mail_fails_is_kept_in_the_outbox_and_retried(system, service, remote, monkeypatch):
    remote.failures = ["500"] * forwarding.MAX_ATTEMPTS
    start = timezone.now()
    request = filed_request(service)

    def broken_mail(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", broken_mail)
    # The alert is raised once, with its note, whatever the mail server does: the e-mail is an outbox row
    # written in the same transaction, sent by the worker and retried with backoff until it goes.
    assert forwarding.raise_alerts(now=start + dt.timedelta(minutes=61)) == 1
    assert forwarded_for(request).alerted_at is not None
    assert [n for n in internal_notes(request) if n.text.startswith("Alert:")]
    [queued] = OutboundMessage.objects.filter(dedup_key__startswith="staff:forwarding-alert:")
    assert (queued.state, queued.attempts, queued.last_error) == (
        OutboundMessage.State.PENDING,
        1,
        "ConnectionRefusedError",
    )
    assert mail.outbox == []
    monkeypatch.undo()
    assert queued.next_attempt_at is not None
    assert notifications.deliver(queued.pk, now=queued.next_attempt_at + dt.timedelta(seconds=1)) == "sent"
    assert len(mail.outbox) == 1
    assert forwarding.raise_alerts(now=start + dt.timedelta(minutes=66)) == 0  # raised once


def test_a_token_that_never_resolves_raises_the_alert(system, service, remote):
    remote.answer_with_tokens = True
    start = timezone.now()
    request = filed_request(service)
    assert forwarding.raise_alerts(now=start + dt.timedelta(minutes=61)) == 1
    assert forwarded_for(request).state == State.AWAITING_ID


def test_a_sent_request_raises_no_alert(system, service, remote):
    filed_request(service)
    assert forwarding.raise_alerts(now=timezone.now() + dt.timedelta(hours=2)) == 0
    assert mail.outbox == []


# --- the client on its own ------------------------------------------------------------------------------


def test_the_client_reads_lists_defensively(remote):
    remote.records["7"] = {
        "service_request_id": 7,
        "status": "CLOSED",
        "status_notes": "ok",
        "updated_datetime": "2024-01-01T00:13:37Z",
    }
    remote.records["8"] = {"service_request_id": "8", "status": "pending"}  # not a GeoReport status: skipped
    remote.records["9"] = {"service_request_id": "9", "status": "open", "updated_datetime": "yesterday"}
    client = GeoReportClient(remote.endpoint)
    found = {r.service_request_id: r for r in client.get_requests(["7", "8", "9"])}
    assert set(found) == {"7", "9"}
    assert found["7"].status == "closed"
    assert found["7"].updated_datetime == dt.datetime(2024, 1, 1, 0, 13, 37, tzinfo=dt.UTC)
    assert found["9"].updated_datetime is None
    with pytest.raises(GeoReportError) as error:
        GeoReportClient(remote.endpoint + "nothing/").get_requests(["7"])
    assert not error.value.retryable and error.value.status == 404
    with pytest.raises(GeoReportError):
        GeoReportClient("ftp://example.org/")


# --- the admin ------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(username="root", is_superuser=True))
    return client


def test_the_admin_pages_render(admin_client, system, service, remote):
    request = filed_request(service)
    forwarded = forwarded_for(request)
    for url in (
        reverse("admin:open311_workordersystem_changelist"),
        reverse("admin:open311_workordersystem_add"),
        reverse("admin:open311_workordersystem_change", args=[system.pk]),
        reverse("admin:open311_forwardedrequest_changelist"),
        reverse("admin:open311_forwardedrequest_changelist") + "?state=sent&alerted=no",
        reverse("admin:open311_forwardedrequest_change", args=[forwarded.pk]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert API_KEY not in response.content.decode(), url
    page = admin_client.get(reverse("admin:open311_forwardedrequest_changelist")).content.decode()
    assert request.tracking_number in page and "1000" in page


def test_the_admin_keeps_the_saved_key_and_checks_the_code_map(admin_client, system, service, department):
    url = reverse("admin:open311_workordersystem_change", args=[system.pk])
    form = {
        "department": department.pk,
        "name": "Streets Work Orders",
        "endpoint": "https://wo.example.gov/v2",
        "remote_jurisdiction_id": "",
        "api_key": "",
        "is_active": "on",
        "services": [service.pk],
        "service_code_map": '{"SR-ST02": "DUMPING"}',
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    system.refresh_from_db()
    assert system.api_key == API_KEY
    assert system.endpoint == "https://wo.example.gov/v2/"
    assert system.service_code_map == {"SR-ST02": "DUMPING"}

    response = admin_client.post(url, {**form, "service_code_map": '{"SR-XX99": "OTHER"}'})
    assert response.status_code == 200
    assert "not among the services forwarded" in response.content.decode()

    admin_client.post(url, {**form, "clear_api_key": "on"})
    system.refresh_from_db()
    assert system.api_key == ""


def test_retry_now_sends_a_failed_request_again(admin_client, system, service, remote):
    remote.failures = ["400"]
    request = filed_request(service)
    forwarded = forwarded_for(request)
    assert forwarded.state == State.FAILED

    response = admin_client.post(
        reverse("admin:open311_forwardedrequest_changelist"),
        {"action": "retry_now", "_selected_action": [forwarded.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 request queued to be sent again." in response.content.decode()
    forwarded.refresh_from_db()
    assert forwarded.state == State.SENT
    assert forwarded.attempts == 1
    assert len(remote.posts) == 2

    response = admin_client.post(
        reverse("admin:open311_forwardedrequest_changelist"),
        {"action": "retry_now", "_selected_action": [forwarded.pk]},
        follow=True,
    )
    assert "already sent" in response.content.decode()
    assert len(remote.posts) == 2
