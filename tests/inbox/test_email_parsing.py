"""Reading a raw e-mail into the inbox's terms (civic311.inbox.mail_parsing): threading, charsets, HTML,
quotes and signatures, attachments, auto-replies and bounces, and bad input."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from email.message import EmailMessage

import pytest
from django.core.exceptions import ValidationError

from civic311.inbox import mail_parsing
from civic311.inbox.mail_parsing import TooLarge, parse

from ..factories import jpeg

LIGHT = "The streetlight at 5th and Main has been out since Monday."


def mail(
    body: str = LIGHT,
    *,
    sender: str = "Ana Reyes <ana@example.com>",
    subject: str = "Streetlight out",
    message_id: str | None = "<m1@example.com>",
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """A raw e-mail as a mail client writes it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "311@city.example"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None and not body:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    for name, content_type, content in attachments:
        maintype, _slash, subtype = content_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def photo_bytes() -> bytes:
    return jpeg().read()


# --- threading ------------------------------------------------------------------------------------------


def test_sender_subject_and_threading_headers():
    incoming = parse(
        mail(
            sender='"Reyes, Ana" <Ana.Reyes@Example.com>',
            in_reply_to="<second@city.example>",
            references="<first@city.example> <second@city.example>",
        )
    )
    assert incoming.sender == "Ana.Reyes@Example.com"
    assert incoming.sender_name == "Reyes, Ana"
    assert incoming.subject == "Streetlight out"
    assert incoming.external_id == "<m1@example.com>"
    # The most direct first: In-Reply-To, then References from the newest; each once.
    assert list(incoming.in_reply_to) == ["<second@city.example>", "<first@city.example>"]
    assert incoming.body == LIGHT
    assert not incoming.automatic


def test_a_message_without_message_id_gets_a_stable_one():
    raw = mail(message_id=None)
    first, again = parse(raw), parse(raw)
    assert first.external_id == again.external_id
    assert first.external_id.endswith("@no-message-id.invalid>")
    assert parse(mail("Another text", message_id=None)).external_id != first.external_id


def test_in_reply_to_with_comments_and_without_brackets():
    raw = mail(in_reply_to="<a1@city.example> (Ana's message of Monday)", references="b2@city.example")
    assert list(parse(raw).in_reply_to) == ["<a1@city.example>", "<b2@city.example>"]


# --- charsets -------------------------------------------------------------------------------------------


def raw_text_mail(body: bytes, charset: str, *, subject: bytes = b"Farola", transfer: str = "8bit") -> bytes:
    return (
        b"From: ana@example.com\r\nTo: 311@city.example\r\nSubject: " + subject + b"\r\n"
        b"Message-ID: <c1@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: " + transfer.encode() + b"\r\n\r\n" + body + b"\r\n"
    )


def test_iso_8859_1_body_and_encoded_subject():
    raw = raw_text_mail(
        "La farola de la calle Señor está apagada.".encode("iso-8859-1"),
        "iso-8859-1",
        subject=b"=?iso-8859-1?q?Farola_apagada_en_la_calle_Se=F1or?=",
    )
    incoming = parse(raw)
    assert incoming.body == "La farola de la calle Señor está apagada."
    assert incoming.subject == "Farola apagada en la calle Señor"


@pytest.mark.parametrize(
    ("body", "declared"),
    [
        ("La farola está apagada.".encode("iso-8859-1"), "utf-8"),  # says UTF-8, is Latin-1
        ("La farola está apagada.".encode(), "iso-8859-1"),  # says Latin-1, is UTF-8
        ("La farola está apagada.".encode(), "x-klingon"),  # a charset nobody knows
        ("La farola está apagada.".encode(), ""),  # none at all
    ],
)
def test_a_wrong_or_unknown_charset_is_read_anyway(body, declared):
    assert parse(raw_text_mail(body, declared or '""')).body == "La farola está apagada."


def test_undecodable_bytes_never_crash():
    assert "farola" in parse(raw_text_mail(b"farola \x81\x8d\x8f\x90\x9d", "utf-8")).body


def test_quoted_printable_and_base64_bodies():
    qp = raw_text_mail(b"La farola est=C3=A1 apagada.", "utf-8", transfer="quoted-printable")
    b64 = raw_text_mail(base64.b64encode("La farola está apagada.".encode()), "utf-8", transfer="base64")
    assert parse(qp).body == parse(b64).body == "La farola está apagada."


# --- HTML -----------------------------------------------------------------------------------------------


def test_html_only_becomes_text_without_scripts_styles_or_the_quote():
    html = (
        "<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
        "<p>Hello,</p><p>The pothole on <b>Elm&nbsp;St</b> &amp; 3rd is back.</p>"
        "<ul><li>deep</li><li>wide</li></ul>"
        '<div class="gmail_quote">On Mon, City 311 wrote:<blockquote>We received your message.</blockquote></div>'
        "</body></html>"
    )
    incoming = parse(mail("", html=html))
    assert "Hello," in incoming.body
    assert "The pothole on Elm\xa0St & 3rd is back." in incoming.body or "Elm St & 3rd" in incoming.body
    assert "- deep" in incoming.body and "- wide" in incoming.body
    assert "alert" not in incoming.body and "color" not in incoming.body
    assert "We received your message." not in incoming.body
    assert "We received your message." in incoming.quoted


def test_text_preferred_over_html():
    incoming = parse(mail("Plain words.", html="<p>Rich words.</p>"))
    assert incoming.body == "Plain words."


# --- quotes and signatures ------------------------------------------------------------------------------


def test_quoted_reply_and_signature_trimmed_in_english():
    body = (
        "Yes, it is still out tonight.\n\n"
        "Thanks,\nAna Reyes\n\n"
        "On Mon, Dec 1, 2026 at 10:00 AM City 311 <311@city.example> wrote:\n"
        "> We received your message.\n> The reference number is 12.\n"
    )
    incoming = parse(mail(body))
    assert incoming.body == "Yes, it is still out tonight."
    assert "Thanks," in incoming.quoted
    assert "> We received your message." in incoming.quoted


def test_quoted_reply_and_signature_trimmed_in_spanish():
    body = (
        "Sí, la farola sigue apagada esta noche.\n\n"
        "El lun, 1 dic 2026 a las 10:00, Ciudad 311 (<311@city.example>) escribió:\n"
        "> Recibimos su mensaje.\n"
    )
    incoming = parse(mail(body))
    assert incoming.body == "Sí, la farola sigue apagada esta noche."
    assert "> Recibimos su mensaje." in incoming.quoted

    signed = parse(mail("La farola sigue apagada.\n\nSaludos,\nAna\n\nEnviado desde mi iPhone\n"))
    assert signed.body == "La farola sigue apagada."
    assert "Saludos," in signed.quoted


def test_a_dash_signature_is_trimmed_but_a_list_is_kept():
    incoming = parse(mail("Two problems:\n- a pothole\n- a dark streetlight\n\n-- \nAna Reyes\n555-0100\n"))
    assert incoming.body == "Two problems:\n- a pothole\n- a dark streetlight"
    assert "555-0100" in incoming.quoted


def test_a_message_that_is_all_quote_keeps_its_text():
    incoming = parse(mail("> only what we said\n> before"))
    assert "only what we said" in incoming.body


# --- auto-replies and bounces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"Precedence": "auto_reply"},
        {"List-Id": "<news.lists.example.com>"},
        {"Return-Path": "<>"},
        {"X-Failed-Recipients": "ana@example.com"},
    ],
)
def test_auto_replies_are_recognised(headers):
    assert parse(mail(headers=headers)).automatic


def test_auto_submitted_no_is_a_person():
    assert not parse(mail(headers={"Auto-Submitted": "no", "Precedence": "first-class"})).automatic


def test_an_out_of_office_subject_is_automatic():
    assert parse(mail(subject="Automatic reply: Streetlight out")).automatic
    assert parse(mail(subject="Respuesta automática: Farola")).automatic


def bounce() -> bytes:
    return (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        b"To: 311@city.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce1@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; gone@example.com\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: 311@city.example\r\nSubject: Re: Streetlight\r\n"
        b"--B--\r\n"
    )


def test_a_bounce_is_recognised():
    incoming = parse(bounce())
    assert incoming.automatic
    assert incoming.sender == "MAILER-DAEMON@mx.example.com"
    assert "could not be delivered" in incoming.body
    assert not incoming.dropped_attachments  # the report's parts are not the resident's attachments


def test_a_mailer_daemon_sender_is_automatic():
    assert parse(mail(sender="MAILER-DAEMON@mx.example.com")).automatic
    assert parse(mail(sender="postmaster@example.com")).automatic


# --- attachments ----------------------------------------------------------------------------------------


def test_photos_are_kept_and_other_attachments_dropped(settings):
    picture = photo_bytes()
    incoming = parse(
        mail(
            attachments=[
                ("pothole.jpg", "image/jpeg", picture),
                ("letter.pdf", "application/pdf", b"%PDF-1.4 ..."),
                ("notes.txt", "text/plain", b"some notes"),
            ]
        )
    )
    assert [(each.name, each.content_type, each.content) for each in incoming.attachments] == [
        ("pothole.jpg", "image/jpeg", picture)
    ]
    assert list(incoming.dropped_attachments) == ["letter.pdf", "notes.txt"]
    assert incoming.body == LIGHT  # the text attachment is not the body


def test_an_image_over_the_photo_size_is_dropped(settings):
    settings.CIVIC311_PHOTO_MAX_BYTES = 100
    incoming = parse(mail(attachments=[("big.jpg", "image/jpeg", photo_bytes())]))
    assert not incoming.attachments
    assert list(incoming.dropped_attachments) == ["big.jpg"]


def test_a_forwarded_message_is_named_not_read():
    inner = EmailMessage()
    inner["From"] = "someone@example.com"
    inner["Subject"] = "Old news"
    inner.set_content("Forwarded words that are not the resident's.")
    outer = EmailMessage()
    outer["From"] = "ana@example.com"
    outer["Subject"] = "Fwd: Old news"
    outer["Message-ID"] = "<fwd@example.com>"
    outer.set_content("See below.")
    outer.add_attachment(inner)
    incoming = parse(outer.as_bytes())
    assert incoming.body == "See below."
    assert len(incoming.dropped_attachments) == 1


# --- bad input ------------------------------------------------------------------------------------------


def test_oversize_is_refused(settings):
    settings.CIVIC311_INBOX_MAX_MESSAGE_BYTES = 2000
    with pytest.raises(TooLarge):
        parse(mail("x" * 3000))
    assert parse(mail("x" * 100)).body  # under the limit: read


def test_the_size_limit_defaults_to_25_mb(settings):
    del settings.CIVIC311_INBOX_MAX_MESSAGE_BYTES
    assert mail_parsing.max_message_bytes() == 25 * 1024 * 1024


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n",
        b"\x00\x01\x02 binary garbage \xff\xfe",
        b"Subject: nobody sent this\r\n\r\nHello\r\n",
        b"From: not an address\r\nSubject: x\r\n\r\nHello\r\n",
    ],
)
def test_a_message_without_a_sender_is_refused(raw):
    with pytest.raises(ValidationError):
        parse(raw)


def test_malformed_mime_is_read_as_far_as_it_goes():
    no_boundary = (
        b"From: ana@example.com\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed\r\n\r\nThe pothole is still there.\r\n"
    )
    assert "pothole" in parse(no_boundary).body

    wrong_boundary = (
        b"From: ana@example.com\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
        b"--ABC\r\nContent-Type: text/plain\r\n\r\nWords.\r\n--ABC--\r\n"
    )
    parse(wrong_boundary)  # no crash; what it reads is best effort

    bad_base64 = (
        b"From: ana@example.com\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64@@@\r\n"
    )
    parse(bad_base64)

    bad_headers = (
        b"From: =?utf-8?q?Ana_=E2=80?= <ana@example.com>\r\nSubject: =?bogus?x?zzz?=\r\n"
        b"In-Reply-To: <<<>>>\r\nReferences: \x00\r\n\r\nHello \x00 there\r\n"
    )
    incoming = parse(bad_headers)
    assert incoming.sender == "ana@example.com"
    assert "\x00" not in incoming.body


def test_a_mime_bomb_of_nested_parts_stops():
    raw = b"From: ana@example.com\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    depth = 50
    for level in range(depth):
        raw += f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
    raw += b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    for level in reversed(range(depth)):
        raw += f"--b{level}--\r\n".encode()
    parse(raw)  # read (or not) without recursing without end


def test_a_very_long_line_is_kept_whole_and_quotes_still_trimmed():
    line = "On " * 10000  # through mail-parser-reply's quote patterns this line alone took minutes
    incoming = parse(mail(f"Look:\n{line}\n\nOn Mon, Dec 1, 2026, City 311 <311@city.example> wrote:\n> before"))
    assert line.strip() in incoming.body
    assert "> before" in incoming.quoted


def test_huge_headers_are_cut_not_chewed():
    raw = (
        b"From: " + b"ana@example.com, " * 20000 + b"\r\n"
        b"Subject: " + b"=?utf-8?q?Farola?= " * 20000 + b"\r\n"
        b"References: " + b" ".join(f"<r{n}@example.com>".encode() for n in range(5000)) + b"\r\n\r\nHello\r\n"
    )
    incoming = parse(raw)
    assert incoming.sender == "ana@example.com"
    assert incoming.subject.startswith("Farola") and len(incoming.subject) <= 300
    assert incoming.in_reply_to[0] == "<r4999@example.com>"  # the newest, from the end that was kept
