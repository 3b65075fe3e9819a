"""Security: e-mails built to exhaust the server (MIME bombs) are refused as unreadable, quickly, by the parser
and by the inbound-mail webhook (a 400, never a 500), and nothing is written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civic311.inbox import mail_parsing
from civic311.inbox.models import InboxItem

from .test_email_webhook import post_mime, signed, url

pytestmark = pytest.mark.django_db

HEAD = b"From: Ana <ana@example.com>\r\nSubject: Pothole\r\nMessage-ID: <bomb@example.com>\r\n"


def nested(depth: int) -> bytes:
    raw = HEAD
    for level in range(depth):
        raw += f"Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n".encode()
    return raw + b"Content-Type: text/plain\r\n\r\nThe pothole on Main.\r\n"


def many_parts(count: int) -> bytes:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(count))
    return HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"


def many_headers(count: int) -> bytes:
    return HEAD + b"X-Filler: x\r\n" * count + b"\r\nThe pothole on Main.\r\n"


@pytest.mark.parametrize(
    "raw",
    [nested(3000), many_parts(mail_parsing.MAX_DELIMITER_LINES + 1), many_headers(mail_parsing.MAX_HEADER_LINES + 1)],
    ids=["nested", "parts", "headers"],
)
def test_a_mime_bomb_is_refused_as_unreadable(raw):
    with pytest.raises(ValidationError, match="too many parts or headers"):
        mail_parsing.parse(raw)


def test_an_ordinary_message_with_parts_and_headers_is_read():
    parsed = mail_parsing.parse(many_parts(20))
    assert parsed.sender == "ana@example.com"
    parsed = mail_parsing.parse(many_headers(50))
    assert parsed.body == "The pothole on Main."


def test_the_webhook_answers_400_to_a_mime_bomb(client, mailbox):
    response = post_mime(client, mailbox, nested(3000))
    assert response.status_code == 400
    assert not InboxItem.objects.exists()


def test_the_webhook_answers_400_to_a_form_of_nested_parts_before_its_signature_is_read(client, mailbox):
    # The form's own MIME, deeply nested: read before the signature (a field of the form) can be checked.
    body = b""
    for level in range(3000):
        body += f'--f{level}\r\nContent-Disposition: form-data; name="x"\r\n'.encode()
        body += f"Content-Type: multipart/mixed; boundary=f{level + 1}\r\n\r\n".encode()
    response = client.generic("POST", url(mailbox), body, content_type="multipart/form-data; boundary=f0")
    assert response.status_code == 400
    assert not InboxItem.objects.exists()


def test_the_signature_fields_alone_are_still_read(client, mailbox):
    fields = signed()
    assert client.post(url(mailbox), fields).status_code == 400  # signed, but no message: unreadable, not a 500
