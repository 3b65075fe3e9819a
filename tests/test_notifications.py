"""Notifications through the outbox, against a real SMTP server (aiosmtpd) and a real HTTP server."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import hmac
import json
import socket
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
from civic311.notifications.models import DepartmentWebhook, OutboundMessage, Subscription
from civic311.requests import services as requests_services
from civic311.requests.lifecycle import Status
from civic311.requests.models import HistoryEntry

from .factories import StaffFactory, filed_request

State = OutboundMessage.State


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts (or answers 451 while `refuse` is set)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 Try again later"
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
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
    return Subscription.objects.create(service_request=service_request, email=address, language=language,
                                       state=Subscription.State.ACTIVE, confirmed_at=timezone.now())


# --- who gets what ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_public_status_change_reaches_requester_and_confirmed_subscribers_only(smtp, service, staff):
    service_request = filed_request(service, email="pat@example.org", first_name="Pat")
    # Filing is public: the requester hears about it at once.
    assert smtp.inbox.recipients() == ["pat@example.org"]
    active_subscriber(service_request, "fan@example.org")
    Subscription.objects.create(service_request=service_request, email="pending@example.org")
    Subscription.objects.create(service_request=service_request, email="gone@example.org",
                                state=Subscription.State.UNSUBSCRIBED)
    smtp.inbox.messages.clear()

    requests_services.change_status(service_request, Status.IN_PROGRESS, actor=staff,
                                    public_reason="A crew is on the way.")

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
    assignee = StaffFactory(username="lee", email="lee@example.org")

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
    first_wait = message.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=40) < first_wait < dt.timedelta(seconds=75)

    # Not due yet: the sweep leaves it alone.
    assert services.sweep_due() == 0
    # Still down at the second try: the wait doubles.
    later = message.next_attempt_at + dt.timedelta(seconds=1)
    assert services.deliver(message.pk, now=later) == "retry"
    message.refresh_from_db()
    assert message.attempts == 2
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
    def killed(message, provider_id):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(services, "_mark_sent", killed)
        message = OutboundMessage.objects.create(
            channel=OutboundMessage.Channel.EMAIL, recipient=staff.email, subject="Once", body="Only once.",
            dedup_key="killed", reference=services.reference_for("killed"), next_attempt_at=timezone.now())
        with pytest.raises(SystemExit):
            services.deliver(message.pk)
    message.refresh_from_db()
    assert message.state == State.SENDING  # sent, but never marked
    assert len(smtp.inbox.messages) == 1

    # Another worker may not take it while the claim holds...
    assert services.deliver(message.pk) == "not due"
    assert services.sweep_due() == 0
    # ...and the sweep takes it once the claim has expired.
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
    assert [line["to"] for line in lines] == ["215-555-0100", "215-555-0100"]
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
    webhook = DepartmentWebhook.objects.create(department=service.department, url=hook.url, secret="s3cret",
                                               events=["request.status"])
    service_request = filed_request(service)  # "request.opened" is not among its events
    assert hook.received == []
    hook.fail_next = 1

    requests_services.change_status(service_request, Status.IN_PROGRESS, actor=staff, public_reason="On it.")

    message = OutboundMessage.objects.get(webhook=webhook)
    assert message.state == State.PENDING and message.last_error == "HTTP 503"
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
    DepartmentWebhook.objects.create(department=service.department, url=hook.url + "/missing", secret="x")
    hook.fail_next = 0
    hook.server.RequestHandlerClass.do_POST = lambda self: (self.send_response(404), self.end_headers())  # type: ignore[method-assign]
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

    [to_requester] = smtp.inbox.to("pat@example.org")
    [to_fan] = smtp.inbox.to("fan@example.org")
    assert "/follow-up/?t=" not in body(to_fan)
    link = next(line for line in body(to_requester).splitlines() if "/follow-up/?t=" in line).strip()
    page = client.get(link[link.index("/track/"):])
    assert page.status_code == 200
    assert b'name="comment"' in page.content and b'value="reopen"' in page.content
