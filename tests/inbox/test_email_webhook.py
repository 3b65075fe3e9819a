"""The inbound-mail webhook (civic311.inbox.mail_hooks) in Mailgun's format: signed, fresh, never replayed,
the raw message (`body-mime`) or the parsed fields, and every refusal in its HTTP status."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civic311 import rate_limits
from civic311.inbox import mail_hooks
from civic311.inbox.models import InboxItem, InboxMessage, WebhookReceipt
from civic311.inbox.services import receiving
from civic311.notifications.models import OutboundMessage

from ..factories import jpeg
from .test_email_parsing import mail


def url(mailbox) -> str:
    return reverse("inbox:mail_hook", args=[mailbox.webhook_token])


def signed(key: str = "mail-key", *, timestamp: int | None = None, token: str | None = None) -> dict[str, str]:
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    token = token or uuid.uuid4().hex
    signature = hmac.new(key.encode(), f"{timestamp_text}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": timestamp_text, "token": token, "signature": signature}


def post_mime(client, mailbox, raw: bytes, fields: dict[str, str] | None = None):
    return client.post(url(mailbox), {**(fields or signed()), "body-mime": raw.decode()})


def test_a_signed_message_is_received(client, mailbox):
    response = post_mime(client, mailbox, mail())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().strip() == "Received."
    item = InboxItem.objects.get()
    assert item.sender == "ana@example.com" and item.mailbox == mailbox
    assert OutboundMessage.objects.count() == 1  # the acknowledgement
    assert WebhookReceipt.objects.filter(door=f"mail:{mailbox.pk}").count() == 1


def test_the_same_message_delivered_again_is_200_and_one_item(client, mailbox):
    assert post_mime(client, mailbox, mail()).status_code == 200
    again = post_mime(client, mailbox, mail())  # the provider's retry: a new token, the same message
    assert again.status_code == 200 and again.content.decode().strip() == "Already received."
    assert InboxItem.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


def test_a_forged_signature_is_refused(client, mailbox):
    response = post_mime(client, mailbox, mail(), signed("not-the-key"))
    assert response.status_code == 403
    assert not InboxItem.objects.exists() and not WebhookReceipt.objects.exists()


def test_a_missing_signature_is_refused(client, mailbox):
    assert client.post(url(mailbox), {"body-mime": mail().decode()}).status_code == 403
    assert not InboxItem.objects.exists()


def test_a_stale_timestamp_is_refused(client, mailbox):
    response = post_mime(client, mailbox, mail(), signed(timestamp=int(time.time()) - 3600))
    assert response.status_code == 403
    assert "Stale" in response.content.decode()
    assert not InboxItem.objects.exists()


def test_a_replayed_request_is_refused(client, mailbox):
    fields = signed()
    assert post_mime(client, mailbox, mail(), fields).status_code == 200
    replay = post_mime(client, mailbox, mail("Another text", message_id="<other@example.com>"), fields)
    assert replay.status_code == 403
    assert "Replayed" in replay.content.decode()
    assert InboxItem.objects.count() == 1


def test_an_unknown_or_inactive_mailbox_is_404(client, mailbox):
    assert client.post("/inbox/hooks/mail/no-such-token/", {**signed(), "body-mime": "x"}).status_code == 404
    mailbox.is_active = False
    mailbox.save()
    assert post_mime(client, mailbox, mail()).status_code == 404
    mailbox.is_active = True
    mailbox.signing_key = ""  # no key: nothing can be checked, so nothing is taken
    mailbox.save()
    assert post_mime(client, mailbox, mail()).status_code == 404
    assert not InboxItem.objects.exists()


def test_only_post(client, mailbox):
    assert client.get(url(mailbox)).status_code == 405


def test_an_oversize_request_is_413_before_it_is_read(client, mailbox, settings, monkeypatch):
    settings.CIVIC311_INBOX_MAX_MESSAGE_BYTES = 1000
    monkeypatch.setattr(mail_hooks, "FORM_OVERHEAD", 100)
    response = post_mime(client, mailbox, mail("x " * 2000))
    assert response.status_code == 413
    assert not InboxItem.objects.exists() and not WebhookReceipt.objects.exists()


def test_an_oversize_message_is_413(client, mailbox, settings):
    settings.CIVIC311_INBOX_MAX_MESSAGE_BYTES = 1000
    response = post_mime(client, mailbox, mail("x " * 2000))
    assert response.status_code == 413
    assert not InboxItem.objects.exists()
    assert not WebhookReceipt.objects.exists()  # refused in one transaction: the token can be used again


def test_an_oversize_parsed_message_is_413(client, mailbox, settings):
    settings.CIVIC311_INBOX_MAX_MESSAGE_BYTES = 1000
    response = client.post(
        url(mailbox), {**signed(), "from": "ana@example.com", "subject": "Big", "body-plain": "x " * 2000}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "raw",
    [
        b"Subject: nobody sent this\r\n\r\nHello\r\n",
        b"",
    ],
)
def test_a_message_that_cannot_be_read_is_400(client, mailbox, raw):
    fields = signed()
    response = client.post(url(mailbox), {**fields, "body-mime": raw.decode()} if raw else fields)
    assert response.status_code == 400
    assert not InboxItem.objects.exists()
    assert not WebhookReceipt.objects.exists()


def test_a_body_that_is_not_a_form_is_400(client, mailbox):
    response = client.post(url(mailbox), json.dumps({"hello": "world"}), content_type="application/json")
    assert response.status_code == 400


def test_a_flood_is_429_with_retry_after_and_nothing_written(client, mailbox, monkeypatch):
    monkeypatch.setattr(receiving, "SENDER_RATE", rate_limits.Rate("inbox-sender-test", 1, 600))
    assert post_mime(client, mailbox, mail()).status_code == 200
    fields = signed()
    response = post_mime(client, mailbox, mail("More", message_id="<m2@example.com>"), fields)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert InboxMessage.objects.filter(external_id="<m2@example.com>").count() == 0
    assert not WebhookReceipt.objects.filter(nonce=fields["token"]).exists()  # the retry will be taken


def test_the_parsed_fields_make_the_same_message(client, mailbox):
    ack_id = "<earlier@example.com>"
    response = client.post(
        url(mailbox),
        {
            **signed(),
            "sender": "bounce+ana=example.com@example.com",
            "from": "Ana Reyes <ana@example.com>",
            "recipient": "311@city.example",
            "subject": "Pothole on Elm St",
            "body-plain": "The pothole is back.\n\nOn Mon, City 311 <311@city.example> wrote:\n> Fixed.",
            "body-html": "<p>The pothole is back.</p>",
            "Message-Id": "<parsed1@example.com>",
            "In-Reply-To": ack_id,
            "References": f"<first@example.com> {ack_id}",
            "attachment-count": "2",
            "attachment-1": SimpleUploadedFile("pothole.jpg", jpeg().read(), content_type="image/jpeg"),
            "attachment-2": SimpleUploadedFile("form.pdf", b"%PDF-1.4", content_type="application/pdf"),
        },
    )
    assert response.status_code == 200, response.content
    message = InboxMessage.objects.get(direction=InboxMessage.Direction.IN)
    assert message.external_id == "<parsed1@example.com>"
    assert message.body == "The pothole is back."
    assert "Fixed." in message.quoted
    assert message.in_reply_to == [ack_id, "<first@example.com>"]
    assert message.attachments.count() == 1
    assert message.dropped_attachments == "form.pdf"
    assert message.item.sender_name == "Ana Reyes"
    assert not message.automatic


def test_parsed_fields_keep_the_automatic_headers(client, mailbox):
    headers = [["Auto-Submitted", "auto-replied"], ["Subject", "Out of office"], ["Content-Type", "text/plain"]]
    response = client.post(
        url(mailbox),
        {
            **signed(),
            "from": "ana@example.com",
            "subject": "Re: Streetlight",
            "body-plain": "I am away until Monday.",
            "message-headers": json.dumps(headers),
        },
    )
    assert response.status_code == 200
    message = InboxMessage.objects.get()
    assert message.automatic
    assert message.subject == "Out of office"  # the original headers win over the summary fields
    assert not OutboundMessage.objects.exists()


def test_parsed_fields_without_a_message_id_are_one_message_on_retry(client, mailbox):
    fields = {"from": "ana@example.com", "subject": "Light", "body-plain": "The light is out."}
    assert client.post(url(mailbox), {**signed(), **fields}).status_code == 200
    again = client.post(url(mailbox), {**signed(), **fields})
    assert again.status_code == 200 and again.content.decode().strip() == "Already received."
    assert InboxMessage.objects.filter(direction=InboxMessage.Direction.IN).count() == 1


def test_a_raw_message_in_8_bit_latin_1_keeps_its_bytes(client, mailbox):
    raw = (
        b"From: ana@example.com\r\nSubject: Farola\r\nMessage-ID: <l1@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "La farola de la calle Señor está apagada.".encode("iso-8859-1")
        + b"\r\n"
    )
    fields = signed()
    boundary = "civic311boundary"
    body = b""
    for name, value in [*[(key, value.encode()) for key, value in fields.items()], ("body-mime", raw)]:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    response = client.post(url(mailbox), body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200
    assert InboxMessage.objects.get(direction=InboxMessage.Direction.IN).body == (
        "La farola de la calle Señor está apagada."
    )


def test_a_urlencoded_post_is_read_too(client, mailbox):
    from urllib.parse import urlencode

    body = urlencode({**signed(), "body-mime": mail().decode()})
    response = client.post(url(mailbox), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert InboxItem.objects.count() == 1


def test_the_raw_message_may_come_as_a_file(client, mailbox):
    upload = SimpleUploadedFile("message.mime", mail(), content_type="message/rfc822")
    response = client.post(url(mailbox), {**signed(), "body-mime": upload})
    assert response.status_code == 200
    assert InboxItem.objects.get().sender == "ana@example.com"
