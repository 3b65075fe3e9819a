"""Notifications through the outbox, against a real SMTP server (aiosmtpd) and a real HTTP server."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import hmac
import json
import threading
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone

from civic311.notifications import services
from civic311.notifications.models import OutboundMessage, Subscription, Webhook
from civic311.outbox import Outbox
from civic311.people.models import StaffRole
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry

from .factories import StaffFactory, filed_request, jpeg, with_role
from .servers import free_port

State = OutboundMessage.State


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts (or answers 451 while `refuse` is set)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 Try again later"
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for rcpt, message in self.messages if address in rcpt]

    def recipients(self) -> list[str]:
        return sorted(address for rcpt, _message in self.messages for address in rcpt)


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.NOTIFICATIONS_SMTP_TIMEOUT = 5
    yield server
    server.stop()


def sweep_at(when: dt.datetime) -> int:
    """Run the periodic sweep as if it were `when` (the jobs it queues run then too, in immediate mode)."""
    with time_machine.travel(when, tick=True):
        return services.sweep_due()


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def active_subscriber(service_request, address: str, language: str = "en") -> Subscription:
    return Subscription.objects.create(
        service_request=service_request,
        email=address,
        language=language,
        state=Subscription.State.ACTIVE,
        confirmed_at=timezone.now(),
    )


# --- who gets what ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_public_status_change_reaches_requester_and_confirmed_subscribers_only(smtp, service, staff):
    service_request = filed_request(service, email="pat@example.org", first_name="Pat")
    # Filing is public: the requester hears about it at once.
    assert smtp.inbox.recipients() == ["pat@example.org"]
    active_subscriber(service_request, "fan@example.org")
    Subscription.objects.create(service_request=service_request, email="pending@example.org")
    Subscription.objects.create(
        service_request=service_request, email="gone@example.org", state=Subscription.State.UNSUBSCRIBED
    )
    smtp.inbox.messages.clear()

    requests_services.change_status(
        service_request, Status.IN_PROGRESS, actor=staff, public_reason="A crew is on the way."
    )

    assert smtp.inbox.recipients() == ["fan@example.org", "pat@example.org"]
    [to_fan] = smtp.inbox.to("fan@example.org")
    assert service_request.tracking_number in to_fan["Subject"]
    text = body(to_fan)
    assert "A crew is on the way." in text
    assert "/notifications/unsubscribe/" in text
    assert str(to_fan["List-Unsubscribe"]).strip().startswith("<http")
    assert to_fan["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert to_fan["Message-ID"].endswith("@civic311.localhost>")
    assert OutboundMessage.objects.filter(state=State.SENT).count() == 3
    assert not OutboundMessage.objects.exclude(state=State.SENT).exists()


@pytest.mark.django_db(transaction=True)
def test_internal_note_reaches_nobody(smtp, service, staff):
    service_request = filed_request(service, email="pat@example.org")
    active_subscriber(service_request, "fan@example.org")
    smtp.inbox.messages.clear()
    before = OutboundMessage.objects.count()

    requests_services.add_note(service_request, "Crew foreman is Bob.", actor=staff, public=False)

    assert smtp.inbox.messages == []
    assert OutboundMessage.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_public_note_reaches_the_requester(smtp, service, staff):
    service_request = filed_request(service, email="pat@example.org")
    smtp.inbox.messages.clear()

    requests_services.add_note(service_request, "We found the mattresses.", actor=staff, public=True)

    [message] = smtp.inbox.to("pat@example.org")
    assert "We found the mattresses." in body(message)


@pytest.mark.django_db(transaction=True)
def test_assignment_reaches_the_assignee(smtp, service, staff):
    service_request = filed_request(service)  # no requester: nothing for residents
    assignee = with_role(
        StaffFactory(username="lee", email="lee@example.org"), StaffRole.DEPARTMENT_STAFF, service.department
    )

    requests_services.change_status(service_request, Status.ASSIGNED, actor=staff, assignee=assignee)

    assert smtp.inbox.recipients() == ["lee@example.org"]
    [message] = smtp.inbox.to("lee@example.org")
    assert "Assigned to you" in message["Subject"]
    assert service_request.tracking_number in body(message)


@pytest.mark.django_db(transaction=True)
def test_the_same_history_entry_processed_twice_makes_one_message(smtp, service, staff):
    service_request = filed_request(service, email="pat@example.org")
    entry = HistoryEntry.objects.get(service_request=service_request, kind=HistoryEntry.Kind.OPENED)

    assert services.history_recorded(entry) == []  # the receiver already made it
    assert services.history_recorded(entry) == []

    assert len(smtp.inbox.to("pat@example.org")) == 1
    assert OutboundMessage.objects.filter(dedup_key__startswith=f"h{entry.pk}:").count() == 1


@pytest.mark.django_db(transaction=True)
def test_notify_staff_is_deduplicated_by_key(smtp, staff):
    first = services.notify_staff(staff, "Escalated: 10000001", "Please look.", dedup_key="escalation:1:1")
    again = services.notify_staff(staff, "Escalated: 10000001", "Please look.", dedup_key="escalation:1:1")
    by_address = services.notify_staff("boss@example.org", "Escalated", "Look.", dedup_key="escalation:1:2")

    assert first is not None and again is None and by_address is not None
    assert smtp.inbox.recipients() == ["boss@example.org", staff.email]
    assert services.notify_staff("", "x", "y", dedup_key="k") is None
    # No one to tell: nobody assigned (None), a member of staff without an address, an address of spaces.
    assert services.notify_staff(None, "x", "y", dedup_key="k") is None
    assert services.notify_staff(StaffFactory(username="no-mail", email=""), "x", "y", dedup_key="k") is None
    assert services.notify_staff("   ", "x", "y", dedup_key="k") is None


# --- retries and exactly once -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_retries_with_backoff_while_the_smtp_server_is_down(smtp, staff):
    smtp.stop()
    message = services.notify_staff(staff, "Hello", "Body", dedup_key="down")
    assert message is not None
    message.refresh_from_db()
    assert message.state == State.PENDING
    assert message.attempts == 1
    assert "refused" in message.last_error.lower() or "Error" in message.last_error
    assert message.next_attempt_at is not None
    first_wait = message.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=40) < first_wait < dt.timedelta(seconds=75)

    # Not due yet: the sweep leaves it alone.
    assert services.sweep_due() == 0
    # Still down at the second try: the wait doubles.
    later = message.next_attempt_at + dt.timedelta(seconds=1)
    assert services.deliver(message.pk, now=later) == "retry"
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at is not None
    assert dt.timedelta(seconds=90) < message.next_attempt_at - later < dt.timedelta(seconds=150)

    smtp.start()
    assert sweep_at(message.next_attempt_at + dt.timedelta(seconds=1)) == 1
    message.refresh_from_db()
    assert message.state == State.SENT
    assert message.attempts == 3
    assert smtp.inbox.recipients() == [staff.email]


@pytest.mark.django_db(transaction=True)
def test_a_4xx_answer_is_retried_and_gives_up_after_max_attempts(smtp, settings, staff):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    smtp.inbox.refuse = True
    message = services.notify_staff(staff, "Hello", "Body", dedup_key="refused")
    assert message is not None
    now = timezone.now()
    for _ in range(2):
        now += dt.timedelta(hours=3)
        services.deliver(message.pk, now=now)
    message.refresh_from_db()
    assert message.state == State.FAILED
    assert message.attempts == 3
    assert message.last_error == "SMTP 451"
    assert services.sweep_due(now=now + dt.timedelta(days=1)) == 0
    assert smtp.inbox.messages == []


def test_backoff_doubles_with_jitter_and_a_cap(settings):
    settings.NOTIFICATIONS_BACKOFF_BASE_SECONDS = 60
    settings.NOTIFICATIONS_BACKOFF_CAP_SECONDS = 600
    for attempts, expected in [(1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (9, 600)]:
        for _ in range(20):
            delay = services.backoff_delay(attempts).total_seconds()
            assert expected * 0.8 <= delay <= expected * 1.2


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_send_and_mark_resends_with_the_same_message_id(smtp, monkeypatch, staff):
    def killed(outbox, message, provider_id):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(Outbox, "mark_sent", killed)
        message = OutboundMessage.objects.create(
            channel=OutboundMessage.Channel.EMAIL,
            recipient=staff.email,
            subject="Once",
            body="Only once.",
            dedup_key="killed",
            reference=services.reference_for("killed"),
            next_attempt_at=timezone.now(),
        )
        with pytest.raises(SystemExit):
            services.deliver(message.pk)
    message.refresh_from_db()
    assert message.state == State.SENDING  # sent, but never marked
    assert len(smtp.inbox.messages) == 1

    # Another worker may not take it while the claim holds...
    assert services.deliver(message.pk) == "not due"
    assert services.sweep_due() == 0
    # ...and the sweep takes it once the claim has expired.
    assert message.claimed_until is not None
    assert sweep_at(message.claimed_until + dt.timedelta(seconds=1)) == 1
    message.refresh_from_db()
    assert message.state == State.SENT
    assert message.attempts == 2
    # The receiver saw the resend carry the same Message-ID, so it can drop it: one distinct message.
    ids = {received["Message-ID"] for _rcpt, received in smtp.inbox.messages}
    assert ids == {f"<{message.reference}@civic311.localhost>"}


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_once(smtp, staff):
    message = services.notify_staff(staff, "Hi", "Body", dedup_key="race")
    assert message is not None
    assert services.deliver(message.pk) == "not due"  # already sent by the on-commit job
    assert len(smtp.inbox.messages) == 1


# --- SMS ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sms_to_the_file_backend_when_only_a_phone_was_given(smtp, settings, tmp_path, service, staff):
    settings.SMS_BACKEND = "civic311.notifications.channels.FileSmsBackend"
    settings.SMS_FILE_DIR = tmp_path / "sms"
    service_request = filed_request(service, phone="215-555-0100", first_name="Pat")
    requests_services.change_status(service_request, Status.IN_PROGRESS, actor=staff)

    lines = [json.loads(line) for line in (Path(tmp_path) / "sms" / "outbox.jsonl").read_text().splitlines()]
    assert [line["to"] for line in lines] == ["+12155550100", "+12155550100"]  # E.164
    assert service_request.tracking_number in lines[1]["text"]
    assert "In progress" in lines[1]["text"] or "in progress" in lines[1]["text"].lower()
    sms = OutboundMessage.objects.filter(channel=OutboundMessage.Channel.SMS).order_by("pk")
    assert [line["reference"] for line in lines] == [message.reference for message in sms]
    assert all(message.state == State.SENT and message.provider_id.startswith("file-") for message in sms)
    assert smtp.inbox.messages == []


def test_console_sms_backend(capsys):
    from civic311.notifications.channels import ConsoleSmsBackend

    assert ConsoleSmsBackend().send("+12155550100", "Hello", "ref1") == "console-ref1"
    assert "Hello" in capsys.readouterr().out


# --- webhooks ----------------------------------------------------------------------------------


class Hook:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_next = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                data = self.rfile.read(length)
                if hook.fail_next:
                    hook.fail_next -= 1
                    self.send_response(503)
                else:
                    hook.received.append((dict(self.headers.items()), data))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    server = Hook()
    yield server
    server.close()


@pytest.mark.django_db(transaction=True)
def test_webhook_is_signed_and_retried(hook, service, staff):
    webhook = Webhook.objects.create(
        department=service.department, url=hook.url, secret="s3cret", events=["request.status"]
    )
    service_request = filed_request(service)  # "request.opened" is not among its events
    assert hook.received == []
    hook.fail_next = 1

    requests_services.change_status(service_request, Status.IN_PROGRESS, actor=staff, public_reason="On it.")

    message = OutboundMessage.objects.get(webhook=webhook)
    assert message.state == State.PENDING and message.last_error == "HTTP 503"
    assert message.next_attempt_at is not None
    sweep_at(message.next_attempt_at + dt.timedelta(seconds=1))
    message.refresh_from_db()
    assert message.state == State.SENT
    [(headers, data)] = hook.received
    expected = "sha256=" + hmac.new(b"s3cret", data, hashlib.sha256).hexdigest()
    assert headers["X-Civic311-Signature"] == expected
    assert headers["Idempotency-Key"] == message.reference
    payload = json.loads(data)
    assert payload["event"] == "request.status"
    assert payload["tracking_number"] == service_request.tracking_number
    assert payload["status"] == Status.IN_PROGRESS
    assert payload["text"] == "On it."
    assert "at" in payload
    assert "email" not in data.decode() and "requester" not in payload


@pytest.mark.django_db(transaction=True)
def test_webhook_4xx_is_not_retried(hook, service, staff):
    Webhook.objects.create(department=service.department, url=hook.url + "/missing", secret="x")
    hook.fail_next = 0
    hook.server.RequestHandlerClass.do_POST = lambda self: (self.send_response(404), self.end_headers())
    filed_request(service)
    message = OutboundMessage.objects.get(channel=OutboundMessage.Channel.WEBHOOK)
    assert message.state == State.FAILED
    assert message.last_error == "HTTP 404"


# --- translations ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_spanish_subscriber_gets_spanish_text(smtp, service, staff):
    service_request = filed_request(service, email="pat@example.org")
    active_subscriber(service_request, "ana@example.org", language="es")
    smtp.inbox.messages.clear()

    requests_services.change_status(service_request, Status.IN_PROGRESS, actor=staff)

    [spanish] = smtp.inbox.to("ana@example.org")
    [english] = smtp.inbox.to("pat@example.org")
    assert "Solicitud" in spanish["Subject"]
    assert "Hay novedades" in body(spanish)
    assert "There is news" in body(english)


@pytest.mark.django_db(transaction=True)
def test_only_the_requester_gets_the_link_to_comment_or_reopen(smtp, service, staff, client):
    service_request = filed_request(service, email="pat@example.org", first_name="Pat")
    active_subscriber(service_request, "fan@example.org")
    smtp.inbox.messages.clear()
    requests_services.change_status(service_request, Status.CLOSED, actor=staff, public_reason="Repair Completed")

    # The requester also gets the "was it fixed?" survey on a close (civic311.surveys.fixed): take the update.
    [to_requester] = [m for m in smtp.inbox.to("pat@example.org") if "was it fixed" not in str(m["Subject"])]
    [to_fan] = smtp.inbox.to("fan@example.org")
    assert "/follow-up/?t=" not in body(to_fan)
    link = next(line for line in body(to_requester).splitlines() if "/follow-up/?t=" in line).strip()
    page = client.get(link[link.index("/track/") :])
    assert page.status_code == 200
    assert b'name="comment"' in page.content and b'value="reopen"' in page.content


# --- webhooks of Open311 API clients ------------------------------------------------------------


def signed_by(secret: str, headers: dict[str, str], data: bytes) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Civic311-Signature"], expected)


def filed_by_client(service, api_key, **fields):
    from civic311.open311 import services as open311
    from civic311.service_requests.services import Report

    report = Report(
        service_code=service.code,
        lat="39.9526",
        long="-75.1635",
        description=fields.pop("description", "Tires in the alley."),
        **fields,
    )
    return open311.post_request(service.jurisdiction, report, api_key).service_request


@pytest.fixture
def clients(service):
    """Two Open311 clients of the city, each with a webhook (a secret of its own) on one local server."""
    from civic311.open311 import services as open311

    fix = open311.issue_api_key(service.jurisdiction, "FixMyStreet").api_key
    app = open311.issue_api_key(service.jurisdiction, "City app").api_key
    return fix, app


@pytest.mark.django_db(transaction=True)
def test_an_api_client_hears_signed_events_about_the_requests_it_filed_and_no_others(hook, service, staff, clients):
    fix, app = clients
    fix_hook = Webhook.objects.create(api_key=fix, url=hook.url + "/fix", secret="fix-secret")
    app_hook = Webhook.objects.create(api_key=app, url=hook.url + "/app", secret="app-secret")

    ours = filed_by_client(service, fix, email="pat@example.org")
    theirs = filed_by_client(service, app)
    by_resident = filed_request(service)  # filed on the web: no client hears about it
    for service_request in (ours, theirs, by_resident):
        requests_services.change_status(
            service_request, Status.IN_PROGRESS, actor=staff, public_reason="A crew is on the way."
        )
    requests_services.add_note(ours, "We found them.", actor=staff, public=True)
    # Internal steps stay inside the city: a client hears only what the public may see.
    requests_services.add_note(ours, "Crew foreman is Bob.", actor=staff, public=False)

    to_fix = [
        (json.loads(data), headers, data) for headers, data in hook.received if signed_by("fix-secret", headers, data)
    ]
    to_app = [json.loads(data) for headers, data in hook.received if signed_by("app-secret", headers, data)]
    assert len(to_fix) + len(to_app) == len(hook.received)  # every POST is signed with its webhook's secret
    assert [(payload["event"], payload["tracking_number"]) for payload, _h, _d in to_fix] == [
        ("request.opened", ours.tracking_number),
        ("request.status", ours.tracking_number),
        ("request.note", ours.tracking_number),
    ]
    assert [(payload["event"], payload["tracking_number"]) for payload in to_app] == [
        ("request.opened", theirs.tracking_number),
        ("request.status", theirs.tracking_number),
    ]
    # The same payload and headers as a department's webhook; nothing about the requester.
    payload, headers, data = to_fix[1]
    assert payload["text"] == "A crew is on the way." and payload["status"] == Status.IN_PROGRESS
    assert (
        headers["Idempotency-Key"]
        == OutboundMessage.objects.get(webhook=fix_hook, payload__event="request.status").reference
    )
    assert "pat@example.org" not in data.decode() and "Bob" not in data.decode()
    assert not OutboundMessage.objects.filter(webhook=app_hook, service_request__in=[ours, by_resident]).exists()
    assert set(
        OutboundMessage.objects.filter(channel=OutboundMessage.Channel.WEBHOOK).values_list("state", flat=True)
    ) == {State.SENT}


@pytest.mark.django_db(transaction=True)
def test_an_api_clients_webhook_sends_only_the_events_it_asked_for(hook, service, staff, clients):
    fix, _app = clients
    Webhook.objects.create(api_key=fix, url=hook.url, secret="s", events=["request.status"])
    service_request = filed_by_client(service, fix)
    requests_services.add_note(service_request, "We found them.", actor=staff, public=True)
    requests_services.change_status(service_request, Status.CLOSED, actor=staff, public_reason="Repair Completed")

    assert [json.loads(data)["event"] for _headers, data in hook.received] == ["request.status"]
    assert json.loads(hook.received[0][1])["to_status"] == Status.CLOSED


@pytest.mark.django_db(transaction=True)
def test_a_revoked_keys_webhook_is_not_sent_any_more(hook, service, staff, clients):
    from civic311.open311 import services as open311

    fix, _app = clients
    webhook = Webhook.objects.create(api_key=fix, url=hook.url, secret="s")
    service_request = filed_by_client(service, fix)
    assert len(hook.received) == 1
    hook.fail_next = 1
    requests_services.change_status(service_request, Status.IN_PROGRESS, actor=staff, public_reason="On it.")
    waiting = OutboundMessage.objects.get(webhook=webhook, state=State.PENDING)

    assert open311.revoke_key(fix)
    # What was waiting for a retry is dropped for good, and nothing new is queued.
    assert waiting.next_attempt_at is not None
    sweep_at(waiting.next_attempt_at + dt.timedelta(seconds=1))
    waiting.refresh_from_db()
    assert waiting.state == State.FAILED and "revoked" in waiting.last_error
    requests_services.add_note(service_request, "Done soon.", actor=staff, public=True)
    assert OutboundMessage.objects.filter(webhook=webhook).count() == 2
    assert len(hook.received) == 1


@pytest.mark.django_db(transaction=True)
def test_a_department_and_a_client_webhook_both_hear_a_client_request(hook, service, staff, clients):
    fix, _app = clients
    department_hook = Webhook.objects.create(department=service.department, url=hook.url + "/city", secret="c")
    client_hook = Webhook.objects.create(api_key=fix, url=hook.url + "/fix", secret="f")
    service_request = filed_by_client(service, fix)
    requests_services.change_status(service_request, Status.ASSIGNED, actor=staff, assignee=staff)

    # "assigned" is internal: the department hears it, the client does not.
    assert list(
        OutboundMessage.objects.filter(webhook=department_hook).order_by("pk").values_list("payload__event", flat=True)
    ) == ["request.opened", "request.status", "request.assigned"]
    assert list(
        OutboundMessage.objects.filter(webhook=client_hook).order_by("pk").values_list("payload__event", flat=True)
    ) == ["request.opened", "request.status"]
    assert len(hook.received) == 5


@pytest.mark.django_db
def test_a_webhook_belongs_to_a_department_or_an_api_client_not_both_nor_neither(service, clients):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    fix, _app = clients
    for owner in ({}, {"department": service.department, "api_key": fix}):
        with pytest.raises(ValidationError, match="either a department or an API client"):
            Webhook(url="https://example.org/h", secret="s", **owner).full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            Webhook.objects.create(url="https://example.org/h", secret="s", **owner)
    with pytest.raises(ValidationError, match="list of event names"):
        Webhook(api_key=fix, url="https://example.org/h", secret="s", events="request.status").full_clean()
    Webhook(api_key=fix, url="https://example.org/h", secret="s", events=["request.status"]).full_clean()


@pytest.mark.django_db
def test_a_client_registers_its_webhook_on_its_api_key_page(admin_client, service, clients):
    fix, _app = clients
    url = f"/admin/open311/apikey/{fix.pk}/change/"
    assert 'name="webhooks-TOTAL_FORMS"' in admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "name": fix.name,
            "contact_email": "",
            "requests_per_minute": "60",
            "activity-TOTAL_FORMS": "0",
            "activity-INITIAL_FORMS": "0",
            "activity-MIN_NUM_FORMS": "0",
            "activity-MAX_NUM_FORMS": "0",
            "webhooks-TOTAL_FORMS": "1",
            "webhooks-INITIAL_FORMS": "0",
            "webhooks-MIN_NUM_FORMS": "0",
            "webhooks-MAX_NUM_FORMS": "1000",
            "webhooks-0-url": "https://fix.example.org/civic311",
            "webhooks-0-secret": "t0ps3cret",
            "webhooks-0-events": '["request.status"]',
            "webhooks-0-is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    webhook = Webhook.objects.get()
    assert (webhook.api_key, webhook.department, webhook.events) == (fix, None, ["request.status"])
    assert admin_client.get("/admin/notifications/webhook/").status_code == 200


def test_the_migration_keeps_existing_department_webhooks(transactional_db):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("notifications", "0001_initial")], [("notifications", "0002_webhooks_for_api_clients")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    department = old_apps.get_model("catalogue", "Department").objects.create(
        jurisdiction=old_apps.get_model("jurisdictions", "Jurisdiction").objects.create(
            slug="x", name="X", jurisdiction_id="x.gov", min_lat=0, max_lat=1, min_long=0, max_long=1
        ),
        slug="streets",
        name="Streets",
    )
    old = old_apps.get_model("notifications", "DepartmentWebhook").objects.create(
        department=department, url="https://city.example.org/h", secret="s", events=["request.status"]
    )
    old_apps.get_model("notifications", "OutboundMessage").objects.create(
        channel="webhook", recipient=old.url, dedup_key="k", reference="r", webhook=old
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    webhook = new_apps.get_model("notifications", "Webhook").objects.get()
    assert (webhook.pk, webhook.department_id, webhook.api_key_id, webhook.url, webhook.events) == (
        old.pk,
        department.pk,
        None,
        "https://city.example.org/h",
        ["request.status"],
    )
    assert new_apps.get_model("notifications", "OutboundMessage").objects.get().webhook_id == old.pk
    # Back to the latest state of every app, for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


# --- every public change reaches the requester and subscribers ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_transfers_public_entry_reaches_the_requester_and_subscribers_not_its_reason(smtp, service, staff):
    from .factories import DepartmentFactory

    parks = DepartmentFactory(jurisdiction=service.jurisdiction, slug="parks", name="Parks and Recreation")
    service_request = filed_request(service, email="pat@example.org")
    active_subscriber(service_request, "fan@example.org")
    smtp.inbox.messages.clear()

    requests_services.transfer(service_request, parks, actor=staff, reason="Kim in Streets says it's a park.")

    assert smtp.inbox.recipients() == ["fan@example.org", "pat@example.org"]
    for message in (smtp.inbox.to("fan@example.org")[0], smtp.inbox.to("pat@example.org")[0]):
        assert "Transferred to Parks and Recreation." in body(message)
        assert "Kim" not in body(message) and "Kim" not in message["Subject"]


@pytest.mark.django_db(transaction=True)
def test_a_missed_date_reaches_the_requester(smtp, service):
    service_request = filed_request(service, email="pat@example.org")
    smtp.inbox.messages.clear()
    assert service_request.expected_at is not None

    requests_services.record_redress(service_request, now=service_request.expected_at + dt.timedelta(hours=1))

    [message] = smtp.inbox.to("pat@example.org")
    assert "We missed the date we gave you" in body(message)


# --- the site's public address ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("public_url", "host", "site", "photo_base"),
    [
        ("https://311.example.gov/", "311.phila.gov", "https://311.example.gov", "https://311.example.gov"),
        ("", "311.phila.gov", "https://311.phila.gov", "https://311.phila.gov"),
        ("", "", "http://localhost:8000", None),
    ],
)
def test_one_public_address_serves_message_links_and_forwarded_photo_links(
    settings, service, public_url, host, site, photo_base
):
    from civic311.jurisdictions.selectors import public_site_url
    from civic311.open311 import forwarding

    settings.CIVIC311_PUBLIC_URL = public_url
    settings.NOTIFICATIONS_FALLBACK_URL = "http://localhost:8000/"
    service.jurisdiction.host = host
    service.jurisdiction.save()
    service_request = filed_request(service, photos=[jpeg()])

    assert public_site_url(service_request.jurisdiction) == (photo_base or "")
    assert services.track_url(service_request) == f"{site}/track/{service_request.tracking_number}/"
    photo = forwarding.public_photo_url(service_request)
    if photo_base is None:
        assert photo == ""  # nowhere a work-order system could open it: no link at all
    else:
        assert photo.startswith(f"{photo_base}/media/") and photo.endswith(".jpg")
