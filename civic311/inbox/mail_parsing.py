"""An e-mail as the inbox reads it: raw RFC 822 bytes into a `ParsedMail` (the e-mail door,
`services.email`, makes it the `Incoming` every door gives `receiving.receive`; this module knows only mail).

The `email` package (with `policy.default`) reads the MIME; `mail-parser-reply` trims quoted text and
signatures (English and Spanish markers) and what it trims is kept in `quoted`. What is read:

- who wrote (From: address and name), the subject, the Message-ID (made up, stably, from a hash of the
  bytes when the message has none, so the same message delivered twice is still one message), and what it
  answers: In-Reply-To, then References from the newest, so a reply finds its conversation;
- the text: text/plain preferred, else the HTML turned into text; a charset that is wrong or unknown is
  decoded as well as it can be (UTF-8, then Windows-1252, then with replacement characters), never an error;
- photos (image/* attachments) for the requests' photo checks; other and over-size attachments are only
  named in `dropped_attachments`;
- auto-replies and bounces (RFC 3834 Auto-Submitted, X-Autoreply, Precedence bulk/list/junk, delivery
  reports, MAILER-DAEMON, an empty Return-Path, mailing lists...) are marked `automatic`: kept, never answered.

A message larger than `CIVIC311_INBOX_MAX_MESSAGE_BYTES` (25 MB unless set) is refused with `TooLarge`, and
one without a sender address with a ValidationError; broken MIME otherwise gives what could be read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from mailparser_reply.parser import EmailMessage as ReplyText

from civic311.people.contact_details import is_valid_email

DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_BODY_CHARS = 100_000
MAX_PARTS = 200  # a message of more parts than this is read no further (a MIME bomb)
MAX_DEPTH = 10
MAX_REFERENCES = 20
# The Message-ID given to a message that has none: made from its bytes, so it is the same on every delivery.
MISSING_ID_DOMAIN = "no-message-id.invalid"
# The languages whose "On ... wrote:" lines and sign-offs mail-parser-reply looks for.
REPLY_LANGUAGES = ("en", "es")
# Parts of a delivery report that are not attachments of the resident's.
REPORT_PARTS = {"message/delivery-status", "message/disposition-notification", "text/rfc822-headers"}
PRECEDENCE_AUTOMATIC = {"bulk", "junk", "list", "auto_reply"}
AUTOMATIC_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|bounces?)([+._-].*)?$", re.IGNORECASE)
AUTOMATIC_SUBJECTS = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|auto:|out of (the )?office|respuesta autom[aá]tica|"
    r"fuera de la oficina|undeliverable:|undelivered mail|delivery status notification|"
    r"mail delivery failed|returned mail:|failure notice)",
    re.IGNORECASE,
)
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedMail:
    """One e-mail in the inbox's terms (the fields of `receiving.Incoming` an e-mail gives)."""

    external_id: str  # its Message-ID, "<...>"
    sender: str  # the From: address
    sender_name: str
    subject: str
    body: str  # what the resident wrote now: quoted text and signature trimmed
    quoted: str  # what was trimmed
    in_reply_to: tuple[str, ...]  # In-Reply-To, then References from the newest
    attachments: tuple[Attachment, ...]  # photos, for the photo checks
    dropped_attachments: tuple[str, ...]  # the names of the others
    automatic: bool  # an auto-reply, a bounce, a list or bulk message


class TooLarge(ValidationError):
    """The message is larger than the inbox takes (the webhook answers 413)."""


def max_message_bytes() -> int:
    return int(getattr(settings, "CIVIC311_INBOX_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES))


def too_large() -> TooLarge:
    megabytes = max(1, max_message_bytes() // (1024 * 1024))
    return TooLarge(
        _("The e-mail is larger than %(size)d MB, which is the most the inbox takes.") % {"size": megabytes}
    )


# --- headers -----------------------------------------------------------------------------------------------


# A header longer than this is cut before it is decoded (the email package takes seconds over a From: of
# 20,000 addresses or a Subject: of 20,000 encoded words); References keeps its end, where the newest ids are.
MAX_HEADER_CHARS = 8000


def _raw_header(message: Message, name: str) -> str | None:
    for key, raw in message.raw_items():
        if key.lower() == name.lower():
            return str(raw)
    return None


def _decode_raw(raw: str) -> str:
    try:
        return " ".join(str(make_header(decode_header(raw))).split())
    except Exception:  # noqa: BLE001
        return " ".join(raw.split())


def _header(message: Message, name: str) -> str:
    """A header's decoded value ("" when absent), whatever state it is in: policy.default parses headers
    lazily and a few malformed ones raise; those are read from the raw value instead."""
    raw = _raw_header(message, name)
    if raw is None:
        return ""
    if len(raw) > MAX_HEADER_CHARS:
        return _decode_raw(raw[-MAX_HEADER_CHARS:] if name.lower() == "references" else raw[:MAX_HEADER_CHARS])
    try:
        value = message.get(name)
        return "" if value is None else " ".join(str(value).split())
    except Exception:  # noqa: BLE001 (any parser error: fall back to the raw text)
        return _decode_raw(raw)


def message_ids(value: str) -> list[str]:
    """The `<id>`s in a Message-ID, In-Reply-To or References value, in their order."""
    found = [f"<{each}>" for each in MESSAGE_ID.findall(value or "")]
    if not found and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')}>"]
    return [each[:500] for each in found]


def _threading(message: Message) -> list[str]:
    """What the message answers, the most direct first: In-Reply-To, then References from the newest."""
    ids = message_ids(_header(message, "In-Reply-To")) + list(reversed(message_ids(_header(message, "References"))))
    return list(dict.fromkeys(ids))[:MAX_REFERENCES]


def _sender(message: Message) -> tuple[str, str]:
    raw = _header(message, "From") or _header(message, "Sender")
    if len(_raw_header(message, "From") or "") > MAX_HEADER_CHARS:
        name, address = parseaddr(raw)
        return address, name
    try:
        header = message["From"]
        addresses = getattr(header, "addresses", ())  # policy.default's AddressHeader
        if addresses:
            return addresses[0].addr_spec, addresses[0].display_name
    except Exception:  # noqa: BLE001, S110 (a header policy.default cannot parse: read it the old way below)
        pass
    pairs = getaddresses([raw]) or [parseaddr(raw)]
    name, address = pairs[0]
    return address, name


# --- text --------------------------------------------------------------------------------------------------

SINGLE_BYTE = re.compile(r"^(us-)?ascii$|^iso-8859-|^latin|^windows-125|^cp125")


def decode_text(payload: bytes, declared: str | None) -> str:
    """Bytes of a text part as text. The declared charset is tried, but not blindly: text that is valid
    UTF-8 is UTF-8 even when it says Latin-1 (a common mislabel), an unknown or wrong charset falls back to
    Windows-1252 (a superset of Latin-1), and nothing here ever raises."""
    declared = (declared or "").strip().lower()
    candidates = ["utf-8", declared] if SINGLE_BYTE.match(declared) else [declared, "utf-8"]
    for charset in [*candidates, "cp1252"]:
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


class _HtmlText(HTMLParser):
    """HTML to plain text: block elements end lines, quoted blocks get "> " (so the reply trimmer sees them
    as quotes), scripts and styles vanish. Hand-written on the standard library's parser: the inbox needs
    the words of a resident's HTML-only e-mail, not a renderer, and no HTML-to-text package is in the stack."""

    BLOCKS = {"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre"}
    SKIPPED = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.skip_depth = 0

    def _end_line(self) -> None:
        text = " ".join("".join(self.current).split())
        self.current = []
        if text or (self.lines and self.lines[-1]):
            self.lines.append(("> " * self.quote_depth) + text if text else "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skip_depth += 1
        elif tag == "blockquote":
            self._end_line()
            self.quote_depth += 1
        elif tag in self.BLOCKS:
            self._end_line()
            if tag == "li":
                self.current.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "blockquote":
            self._end_line()
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag in self.BLOCKS:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.current.append(data)

    def text(self) -> str:
        self._end_line()
        return "\n".join(self.lines).strip()


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 (html.parser is lenient; never let broken markup lose the message)
        return " ".join(re.sub(r"<[^>]*>", " ", html).split())
    return parser.text()


def trim_reply(text: str) -> tuple[str, str]:
    """(what the resident wrote now, what was trimmed: the quoted messages, the signature)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return "", ""
    short, long_lines = _set_aside_long_lines(text)
    try:
        # keep_hyphen_lists: a resident's "- the pothole / - the light" is a list, not a signature.
        replies = ReplyText(text=short, languages=list(REPLY_LANGUAGES), keep_hyphen_lists=True).read().replies
    except Exception:  # noqa: BLE001 (a regex library on untrusted text: keep everything rather than fail)
        return text, ""
    if not replies:
        return text, ""
    latest = replies[0]
    body, quote_below = _trailing_quote((latest.body or "").strip())
    if not body:  # all of it looked quoted or like a signature: better too much than nothing
        return text, ""
    trimmed = [quote_below, latest.signatures or "", *latest.disclaimers]
    trimmed += [f"{reply.headers}\n{reply.full_body}".strip() for reply in replies[1:]]
    quoted = "\n\n".join(piece for piece in trimmed if piece.strip())
    return _put_back(body, long_lines), _put_back(quoted, long_lines)


# mail-parser-reply's "On ... wrote:" patterns backtrack on a long line (a 6,000-character line of "On On
# On ..." takes seconds, 12,000 take twenty): a line longer than this, which is never a quote header nor a
# sign-off, is set aside behind a placeholder while it runs, and put back afterwards.
LONG_LINE = 200


def _set_aside_long_lines(text: str) -> tuple[str, dict[str, str]]:
    nonce = hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()[:12]
    long_lines: dict[str, str] = {}
    lines = []
    for line in text.split("\n"):
        if len(line) > LONG_LINE:
            placeholder = f"civic311line{nonce}n{len(long_lines)}"
            long_lines[placeholder] = line.strip()
            lines.append(placeholder)
        else:
            lines.append(line)
    return "\n".join(lines), long_lines


def _put_back(text: str, long_lines: dict[str, str]) -> str:
    for placeholder, line in long_lines.items():
        text = text.replace(placeholder, line)
    return text


WROTE_LINE = re.compile(r"(wrote|escribi[oó])\s*:\s*$", re.IGNORECASE)


def _trailing_quote(text: str) -> tuple[str, str]:
    """A block of "> " lines closing the text (and the "... wrote:" line above it), which mail-parser-reply
    leaves when no header it knows introduces it (a quote in HTML, Gmail's Spanish "escribió:")."""
    lines = text.split("\n")
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    if end == len(lines):
        return text, ""
    if end and WROTE_LINE.search(lines[end - 1]):
        end -= 1
    return "\n".join(lines[:end]).strip(), "\n".join(lines[end:]).strip()


# --- parts -------------------------------------------------------------------------------------------------


@dataclass
class _Parts:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    report: bool = False
    count: int = 0


def _name(part: Message, fallback: str) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001
        name = ""
    name = " ".join(str(name).replace("\x00", "").split())
    return (name or fallback)[:100]


def _payload(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 (a broken transfer encoding: nothing readable)
        return b""
    return payload if isinstance(payload, bytes) else b""


def _is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment"
    except Exception:  # noqa: BLE001
        return False


def _walk(part: Message, parts: _Parts, depth: int = 0) -> None:
    parts.count += 1
    if parts.count > MAX_PARTS or depth > MAX_DEPTH:
        return
    content_type = part.get_content_type()
    maintype = part.get_content_maintype()
    if maintype == "multipart":
        children = part.get_payload()
        if not isinstance(children, list) or not children:
            # A multipart without parts (no boundary, or a wrong one): what is there is read as text.
            parts.plain.append(decode_text(_payload(part) or str(part.get_payload() or "").encode(), "utf-8"))
            return
        if content_type == "multipart/report":
            parts.report = True
        if content_type == "multipart/alternative":
            plain = [
                child for child in children if isinstance(child, Message) and child.get_content_type() == "text/plain"
            ]
            children = plain[:1] or children[-1:]  # the plain text, else the richest (the last) alternative
        for child in children:
            if isinstance(child, Message):
                _walk(child, parts, depth + 1)
        return
    if content_type in REPORT_PARTS:
        parts.report = True
        return
    if maintype == "message":  # a forwarded message, or the original inside a bounce
        parts.dropped.append(_name(part, _("forwarded message")))
        return
    if content_type in ("text/plain", "text/html") and not _is_attachment(part):
        text = decode_text(_payload(part), part.get_content_charset())
        (parts.plain if content_type == "text/plain" else parts.html).append(text)
        return
    if maintype == "image":
        content = _payload(part)
        name = _name(part, _("photo"))
        if not content or len(content) > settings.CIVIC311_PHOTO_MAX_BYTES:
            parts.dropped.append(name)
        else:
            parts.files.append(Attachment(name=name, content_type=content_type, content=content))
        return
    parts.dropped.append(_name(part, _("attachment")))


# --- auto-replies and bounces ------------------------------------------------------------------------------


def is_automatic(message: Message, sender: str, *, report: bool = False) -> bool:
    """An auto-reply, a bounce, a list or bulk message: kept, never answered (RFC 3834 and the headers
    the common mail systems use where they do not follow it)."""
    if report or message.get_content_type() == "multipart/report":
        return True
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-AutoReply-From", "X-Mail-Autoreply"):
        if _header(message, name):
            return True
    if _header(message, "Precedence").lower() in PRECEDENCE_AUTOMATIC:
        return True
    if _header(message, "X-Failed-Recipients") or _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        return True
    if "Return-Path" in message and _header(message, "Return-Path") in ("<>", ""):
        return True
    if AUTOMATIC_SENDERS.match(sender.partition("@")[0]):
        return True
    return bool(AUTOMATIC_SUBJECTS.match(_header(message, "Subject")))


# --- the message -------------------------------------------------------------------------------------------


# The email package's parser takes about two milliseconds a MIME part and a few microseconds a header line,
# whatever MAX_PARTS lets `_walk` read afterwards: a 25 MB message of 500,000 empty parts, or of two million
# header lines, would hold a worker for many minutes, and a few thousand nested multiparts exhaust Python's
# recursion. A real e-mail has a few dozen of each; one with more than these is refused before it is parsed.
MAX_DELIMITER_LINES = 1000  # lines beginning "--" (MIME boundaries; also "-- " signature lines)
MAX_HEADER_LINES = 5000  # lines that look like "Name: value" (headers of the message and of its parts)
DELIMITER_LINE = re.compile(rb"^--", re.MULTILINE)
HEADER_LINE = re.compile(rb"^[!-9;-~]{1,100}:", re.MULTILINE)


def count_at_most(pattern: re.Pattern[bytes], raw: bytes, limit: int) -> int:
    count = 0
    for _match in pattern.finditer(raw):
        count += 1
        if count > limit:
            break
    return count


def read_message(raw: bytes) -> EmailMessage:
    if len(raw) > max_message_bytes():
        raise too_large()
    if not raw.strip():
        raise ValidationError(_("The e-mail is empty."))
    if (
        count_at_most(DELIMITER_LINE, raw, MAX_DELIMITER_LINES) > MAX_DELIMITER_LINES
        or count_at_most(HEADER_LINE, raw, MAX_HEADER_LINES) > MAX_HEADER_LINES
    ):
        raise ValidationError(_("The e-mail has too many parts or headers to be read."))
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:
        raise ValidationError(_("The e-mail has too many parts or headers to be read.")) from None
    assert isinstance(message, EmailMessage)
    return message


def _clean(text: str) -> str:
    return text.replace("\x00", "")


def parse(raw: bytes) -> ParsedMail:
    """Read one e-mail (see the module's docstring): TooLarge, or a ValidationError when it has no sender."""
    message = read_message(raw)
    try:
        return _parse(raw, message)
    except RecursionError:  # policy.default's header objects recurse over deeply nested structures
        raise ValidationError(_("The e-mail has too many parts or headers to be read.")) from None


def _parse(raw: bytes, message: EmailMessage) -> ParsedMail:
    address, name = _sender(message)
    address = _clean(address).strip()
    if not is_valid_email(address):
        raise ValidationError(_("The e-mail has no sender address that can be answered."))
    parts = _Parts()
    _walk(message, parts)
    if parts.plain:
        text = "\n\n".join(piece.strip() for piece in parts.plain if piece.strip())
    else:
        text = "\n\n".join(html_to_text(piece) for piece in parts.html)
    body, quoted = trim_reply(_clean(text)[:MAX_BODY_CHARS])
    own_id = message_ids(_header(message, "Message-ID"))
    external_id = own_id[0] if own_id else f"<{hashlib.sha256(raw).hexdigest()[:40]}@{MISSING_ID_DOMAIN}>"
    return ParsedMail(
        external_id=_clean(external_id),
        sender=address,
        sender_name=_clean(name)[:200],
        subject=_clean(_header(message, "Subject"))[:300],
        body=body,
        quoted=quoted,
        in_reply_to=tuple(_clean(each) for each in _threading(message)),
        attachments=tuple(parts.files),
        dropped_attachments=tuple(parts.dropped),
        automatic=is_automatic(message, address, report=parts.report),
    )
