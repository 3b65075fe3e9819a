"""The senders: e-mail over Django's mail backend (SMTP in production), SMS through a pluggable provider,
webhooks by a signed POST. Each raises `Transient` for a failure worth retrying and `Permanent` for one
that is not; both carry a short reason that never includes the recipient or the message."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import uuid
from pathlib import Path
from typing import Any, Protocol

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.module_loading import import_string

from civic311.outbox import DeliveryError, Permanent, Transient  # the shared ones, under the old names

from .models import OutboundMessage

SIGNATURE_HEADER = "X-Civic311-Signature"
WEBHOOK_TIMEOUT = (5.0, 15.0)


def message_id(message: OutboundMessage) -> str:
    """The Message-ID of an e-mail: derived from the row, so a resend after a lost claim carries the same one."""
    return f"<{message.reference}@{settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN}>"


# --- e-mail ------------------------------------------------------------------------------------


def send_email(message: OutboundMessage) -> str:
    headers = {"Message-ID": message_id(message), **(message.headers or {})}
    email = EmailMultiAlternatives(message.subject, message.body, None, [message.recipient], headers=headers)
    try:
        connection = get_connection(fail_silently=False, timeout=settings.NOTIFICATIONS_SMTP_TIMEOUT)
        sent = connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        reason = f"SMTP {codes[0] if codes else '?'} recipient refused"
        raise (Transient(reason) if codes and all(400 <= code < 500 for code in codes) else Permanent(reason)) from None
    except smtplib.SMTPResponseException as error:
        reason = f"SMTP {error.smtp_code}"
        raise (Permanent(reason) if 500 <= error.smtp_code < 600 else Transient(reason)) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        raise Transient(type(error).__name__) from None
    if not sent:
        raise Transient("not sent")
    return message_id(message)


# --- SMS ---------------------------------------------------------------------------------------


class SmsBackend(Protocol):
    """What an SMS provider adapter offers: send one text, return the provider's id for it.

    `reference` is stable for the message (the outbox row's reference): pass it to the provider as the
    client reference, so a provider that deduplicates on it drops a resend after a worker died."""

    def send(self, to: str, text: str, reference: str) -> str: ...


class FileSmsBackend:
    """Writes one JSON line per text to VAR_DIR/sms/outbox.jsonl (development, tests, demos)."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory or settings.SMS_FILE_DIR)

    def send(self, to: str, text: str, reference: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        provider_id = f"file-{uuid.uuid4().hex[:12]}"
        line = json.dumps({"id": provider_id, "to": to, "text": text, "reference": reference}, ensure_ascii=False)
        with (self.directory / "outbox.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return provider_id


class ConsoleSmsBackend:
    """Prints each text to standard output."""

    def send(self, to: str, text: str, reference: str) -> str:
        print(f"SMS to {to} (ref {reference}):\n{text}\n", flush=True)
        return f"console-{reference}"


def sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(message: OutboundMessage) -> str:
    try:
        return sms_backend().send(message.recipient, message.body, message.reference)
    except DeliveryError:
        raise
    except OSError as error:
        raise Transient(type(error).__name__) from None


# --- webhooks ----------------------------------------------------------------------------------


def webhook_body(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def send_webhook(message: OutboundMessage) -> str:
    webhook = message.webhook
    if webhook is None or not webhook.may_send:
        raise Permanent("webhook removed, inactive or its API key revoked")
    body = webhook_body(message.payload)
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": message.reference,
        SIGNATURE_HEADER: signature(webhook.secret, body),
        "User-Agent": "civic311-webhooks",
    }
    try:
        response = requests.post(
            webhook.url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT, allow_redirects=False
        )
    except requests.RequestException as error:
        raise Transient(type(error).__name__) from None
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise Transient(f"HTTP {response.status_code}")
    if response.status_code >= 300:
        raise Permanent(f"HTTP {response.status_code}")
    return message.reference


SENDERS = {
    OutboundMessage.Channel.EMAIL: send_email,
    OutboundMessage.Channel.SMS: send_sms,
    OutboundMessage.Channel.WEBHOOK: send_webhook,
}
