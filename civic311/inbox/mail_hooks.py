"""The inbound-mail webhook: a mail provider posts each message a city's address receives.

The format is Mailgun's inbound routes (which the common providers' inbound parsers follow or offer): a
form POST to `/inbox/hooks/mail/<mailbox's webhook token>/` with `timestamp`, `token` and `signature` =
hex HMAC-SHA256(the mailbox's signing key, timestamp + token), and either the raw message in `body-mime`
(Mailgun's "store and notify" / forward to a URL ending in `mime`), which is preferred, or the parsed
message: `sender`, `from`, `subject`, `body-plain`, `body-html`, `Message-Id`, `In-Reply-To`,
`References`, `message-headers` (JSON) and the files `attachment-1`, `attachment-2`...

Answers (plain text): 200 received, or a duplicate (so the provider stops retrying); 403 a bad signature, a
stale timestamp or a replayed token; 404 an unknown or inactive mailbox; 413 over the size limit; 400 a
message that cannot be read; 429 (with Retry-After) a sender over the flood limit. Nothing is half-written:
the token's receipt and the message are one transaction, so a refused request can be retried.
"""

from __future__ import annotations

import hashlib
import json
import logging
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from urllib.parse import parse_qsl

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import mail_parsing, signatures
from .models import Mailbox
from .services.email import receive_email
from .services.receiving import Flooded

logger = logging.getLogger(__name__)

# Room for the form's own fields and encoding around a message of the largest size taken.
FORM_OVERHEAD = 1024 * 1024
# Headers of the original message kept when the message is rebuilt from the parsed fields (the body and
# its MIME headers are rebuilt; everything else says who, what it answers, or that it is automatic).
SKIPPED_HEADERS = {"content-type", "content-transfer-encoding", "mime-version", "content-disposition"}
FIELD_HEADERS: tuple[tuple[str, str], ...] = (
    ("from", "From"),
    ("subject", "Subject"),
    ("Message-Id", "Message-ID"),
    ("In-Reply-To", "In-Reply-To"),
    ("References", "References"),
)


class Form:
    """The POSTed fields (as bytes, exactly as sent) and files (name, content type, bytes)."""

    def __init__(self) -> None:
        self.fields: dict[str, bytes] = {}
        self.files: dict[str, tuple[str, str, bytes]] = {}

    def text(self, name: str) -> str:
        return self.fields.get(name, b"").decode("utf-8", errors="replace")


def read_form(request: HttpRequest) -> Form:
    """The form, read with the standard library's MIME parser (form-data is MIME, RFC 7578) rather than
    Django's: Django decodes fields as UTF-8 with replacement (which would change the bytes of an 8-bit raw
    message) and caps a field at DATA_UPLOAD_MAX_MEMORY_SIZE, far below a message's 25 MB."""
    form = Form()
    data = request.read()
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        # latin-1 maps each percent-decoded byte to one character, and back: the bytes as sent.
        for name, value in parse_qsl(data.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
            form.fields.setdefault(name, value.encode("latin-1"))
        return form
    if not content_type.startswith("multipart/form-data"):
        raise ValidationError("Post the message as multipart/form-data.")
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode("latin-1", errors="replace")
    # This parse runs before the signature is checked (the signature is a field of the form): the same bounds
    # as a message's (`mail_parsing.read_message`), with room for the form's own boundaries, keep a form of
    # thousands of (nested) parts from holding the worker or exhausting the recursion.
    delimiters = mail_parsing.MAX_DELIMITER_LINES * 2 + 100
    if mail_parsing.count_at_most(mail_parsing.DELIMITER_LINE, data, delimiters) > delimiters:
        raise ValidationError("The form has too many parts.")
    try:
        message = BytesParser(policy=policy.default).parsebytes(head + data)
    except RecursionError:
        raise ValidationError("The form has too many parts.") from None
    parts = message.get_payload()
    if not isinstance(parts, list) or not parts:
        raise ValidationError("The form has no fields.")
    for part in parts:
        if not isinstance(part, Message):
            continue
        name = str(part.get_param("name", header="content-disposition") or "")
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):  # a part the parser read as a message (message/rfc822): its bytes
            inner = part.get_payload()
            content = (
                b"".join(each.as_bytes() for each in inner if isinstance(each, Message))
                if isinstance(inner, list)
                else b""
            )
        filename = part.get_filename()
        if filename is not None:
            form.files.setdefault(name, (str(filename), part.get_content_type(), content))
        else:
            form.fields.setdefault(name, content)
    return form


def _one_line(value: str) -> str:
    return " ".join(value.replace("\x00", "").split())


def build_message(form: Form) -> bytes:
    """A raw message from the parsed fields (when the provider sent no `body-mime`)."""
    size = sum(len(value) for value in form.fields.values()) + sum(len(each[2]) for each in form.files.values())
    if size > mail_parsing.max_message_bytes():
        raise mail_parsing.too_large()
    message = EmailMessage(policy=policy.default)
    try:
        original = json.loads(form.text("message-headers") or "[]")
    except ValueError:
        original = []
    try:
        for pair in original if isinstance(original, list) else []:
            if isinstance(pair, list) and len(pair) == 2 and str(pair[0]).lower() not in SKIPPED_HEADERS:
                message[_one_line(str(pair[0]))] = _one_line(str(pair[1]))
        for field, header in FIELD_HEADERS:
            if header not in message and form.text(field).strip():
                message[header] = _one_line(form.text(field))
        if "Return-Path" not in message and "sender" in form.fields:
            message["Return-Path"] = f"<{_one_line(form.text('sender'))}>"
        if "Message-ID" not in message:
            # Stable across the provider's retries (a made-up id must not depend on the MIME boundaries).
            digest = hashlib.sha256()
            for name in sorted(form.fields):
                if name not in ("timestamp", "token", "signature"):
                    digest.update(name.encode() + b"\0" + form.fields[name] + b"\0")
            for name in sorted(form.files):
                digest.update(name.encode() + b"\0" + form.files[name][2] + b"\0")
            message["Message-ID"] = f"<{digest.hexdigest()[:40]}@{mail_parsing.MISSING_ID_DOMAIN}>"
        plain, html = form.text("body-plain"), form.text("body-html")
        if plain or not html:
            message.set_content(plain)
            if html:
                message.add_alternative(html, subtype="html")
        else:
            message.set_content(html, subtype="html")
        for name in sorted(form.files, key=_attachment_order):
            filename, content_type, content = form.files[name]
            maintype, _slash, subtype = content_type.partition("/")
            message.add_attachment(
                content, maintype=maintype or "application", subtype=subtype or "octet-stream", filename=filename
            )
    except (ValueError, TypeError, IndexError) as error:  # a header or a type the email package refuses
        raise ValidationError(f"The message's fields cannot be read ({type(error).__name__}).") from None
    return message.as_bytes()


def _attachment_order(name: str) -> tuple[int, str]:
    number = name.rpartition("-")[2]
    return (int(number) if number.isdigit() else 0, name)


def _answer(status: int, text: str) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def inbound_mail(request: HttpRequest, token: str) -> HttpResponse:
    mailbox = Mailbox.objects.select_related("jurisdiction").filter(webhook_token=token, is_active=True).first()
    if mailbox is None or not mailbox.signing_key:
        return _answer(404, "No such mailbox.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > mail_parsing.max_message_bytes() + FORM_OVERHEAD:
        return _answer(413, "The message is too large.")
    try:
        form = read_form(request)
    except ValidationError as error:
        return _answer(400, " ".join(error.messages))
    timestamp, nonce = form.text("timestamp"), form.text("token")
    expected = signatures.hmac_hex(mailbox.signing_key, f"{timestamp}{nonce}".encode())
    if not nonce or not signatures.same(expected, form.text("signature")):
        logger.warning("inbox: mail webhook for mailbox %s with a bad signature", mailbox.pk)
        return _answer(403, "Bad signature.")
    if not signatures.is_fresh(timestamp):
        return _answer(403, "Stale timestamp.")
    try:
        with transaction.atomic():
            if not signatures.first_use(f"mail:{mailbox.pk}", nonce):
                logger.warning("inbox: mail webhook for mailbox %s replayed", mailbox.pk)
                return _answer(403, "Replayed request.")
            sent_as_file = form.files.get("body-mime")
            raw = form.fields.get("body-mime") or (sent_as_file[2] if sent_as_file else b"") or build_message(form)
            receipt = receive_email(mailbox, raw)
    except mail_parsing.TooLarge:
        return _answer(413, "The message is too large.")
    except ValidationError as error:
        return _answer(400, " ".join(error.messages))
    except Flooded as flooded:
        response = _answer(429, "Too many messages from this sender; try again later.")
        response["Retry-After"] = str(flooded.retry_after)
        return response
    if receipt is None:
        return _answer(200, "Ignored.")
    return _answer(200, "Received." if receipt.created else "Already received.")
