"""Polling the cities' IMAP mailboxes (imapclient), every minute from `inbox.tasks`.

Each poll connects (TLS, STARTTLS, or plain on loopback), selects the folder and reads the UNSEEN messages,
oldest first, in batches, at most MAX_PER_POLL of them (the rest wait for the next poll). A message is read
with BODY.PEEK[], which leaves it unseen, received (`services.email.receive_email`) in its own transaction,
and marked \\Seen only after that transaction committed: a crash in between reads it again next time, and
the inbox's dedup on its Message-ID keeps it one message. A message that cannot be read (broken, too large,
from a sender over the flood limit) is marked seen too and counted, so it never blocks the mailbox; it
stays in the mailbox for a person to look at. Connection and login errors are kept in `mailbox.last_error`
(their kind, never an address or a message), and `poll_all` never raises.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from . import mail_parsing
from .models import Mailbox
from .services.email import receive_email
from .services.receiving import Flooded

logger = logging.getLogger(__name__)

MAX_PER_POLL = 200
BATCH = 20
TIMEOUT = 30.0  # seconds for the connection and each command
SEEN = b"\\Seen"


def tls_context() -> ssl.SSLContext:
    """The system's trusted certificates, the host name checked (tests trust their own certificate here)."""
    return ssl.create_default_context()


@contextmanager
def connect(mailbox: Mailbox) -> Iterator[IMAPClient]:
    """A logged-in client on the mailbox's folder, logged out afterwards."""
    security = mailbox.imap_security
    context = tls_context()
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=security == Mailbox.Security.SSL,
        ssl_context=context if security == Mailbox.Security.SSL else None,
        timeout=TIMEOUT,
    )
    client.normalise_times = False  # INTERNALDATE as the server's aware time, not the host's local time
    try:
        if security == Mailbox.Security.STARTTLS:
            client.starttls(context)
        client.login(mailbox.imap_username, mailbox.imap_password)
        client.select_folder(mailbox.imap_folder or "INBOX")
        yield client
    finally:
        try:
            client.logout()
        except (IMAPClientError, OSError):
            with contextlib.suppress(Exception):  # the connection is broken already: the first error counts
                client.shutdown()


def poll_all(now: dt.datetime | None = None) -> int:
    """Read what is new in every active mailbox with an IMAP server; how many messages were received."""
    total = 0
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host="").select_related("jurisdiction"):
        try:
            total += poll_mailbox(mailbox, now=now)
        except Exception as error:  # noqa: BLE001 (one mailbox's trouble never stops the others)
            logger.error("inbox: polling mailbox %s failed: %s", mailbox.pk, type(error).__name__)
    return total


def poll_mailbox(mailbox: Mailbox, now: dt.datetime | None = None) -> int:
    """Read the mailbox's unseen messages into the inbox; how many were received (duplicates not counted)."""
    tally = _Tally()
    error = ""
    try:
        with connect(mailbox) as client:
            uids = sorted(client.search(["UNSEEN"]))[:MAX_PER_POLL]
            for start in range(0, len(uids), BATCH):
                _read_batch(client, mailbox, uids[start : start + BATCH], now, tally)
    except IMAPClientError as problem:
        error = _describe(problem, "the IMAP server refused")
    except OSError as problem:  # refused, timed out, TLS failed
        error = _describe(problem, "could not reach the IMAP server")
    except _Stop as stop:
        error = stop.reason
    if not error and tally.failed:
        error = f"{tally.failed} message(s) could not be read; marked as read and left in the mailbox"
    if error:
        logger.warning("inbox: mailbox %s: %s", mailbox.pk, error)
    mailbox.last_error = error[:300]
    mailbox.last_polled_at = now or timezone.now()
    mailbox.save(update_fields=["last_error", "last_polled_at"])
    return tally.received


@dataclass
class _Tally:
    received: int = 0
    failed: int = 0


class _Stop(Exception):
    """The database failed: stop this poll, leave the message unseen for the next one."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _describe(problem: Exception, what: str) -> str:
    # The kind of error only: an IMAP server's text may quote the user name or the message.
    return f"{what} ({type(problem).__name__})"


def _read_batch(client: IMAPClient, mailbox: Mailbox, uids: list[int], now: dt.datetime | None, tally: _Tally) -> None:
    limit = mail_parsing.max_message_bytes()
    sizes = client.fetch(uids, ["RFC822.SIZE"])
    wanted = [uid for uid in uids if int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0)) <= limit]
    for uid in uids:
        if uid not in wanted and uid in sizes:
            logger.warning("inbox: mailbox %s: message uid %s is too large; not read", mailbox.pk, uid)
            client.add_flags([uid], [SEEN])
            tally.failed += 1
    fetched = client.fetch(wanted, ["BODY.PEEK[]", "INTERNALDATE"]) if wanted else {}
    for uid in wanted:
        data = fetched.get(uid)
        if data is None:  # deleted by someone else meanwhile
            continue
        outcome = _receive_one(mailbox, uid, data.get(b"BODY[]") or b"", _aware(data.get(b"INTERNALDATE")), now)
        tally.received += outcome == "received"
        tally.failed += outcome == "failed"
        client.add_flags([uid], [SEEN])  # its transaction has committed (or it was refused): done with it


def _aware(value: object) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _receive_one(mailbox: Mailbox, uid: int, raw: bytes, arrived: dt.datetime | None, now: dt.datetime | None) -> str:
    try:
        with transaction.atomic():
            receipt = receive_email(mailbox, raw, now=now, received_at=arrived)
    except Flooded:
        logger.warning("inbox: mailbox %s: message uid %s refused, its sender is over the limit", mailbox.pk, uid)
        return "failed"
    except ValidationError:
        logger.warning("inbox: mailbox %s: message uid %s could not be read", mailbox.pk, uid)
        return "failed"
    except DatabaseError as error:
        raise _Stop(f"the database failed ({type(error).__name__})") from None
    except Exception as error:  # noqa: BLE001 (a message we cannot read must not block the mailbox)
        logger.error("inbox: mailbox %s: message uid %s failed: %s", mailbox.pk, uid, type(error).__name__)
        return "failed"
    return "received" if receipt is not None and receipt.created else "duplicate"
