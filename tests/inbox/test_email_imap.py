"""The IMAP poller (civic311.inbox.imap_polling) against a real IMAP server on loopback: pymap, started as
a process per test with its in-memory backend, filled with APPEND the way a mail server delivers."""

from __future__ import annotations

import contextlib
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from civic311.inbox import imap_polling
from civic311.inbox.models import InboxItem, InboxMessage, Mailbox

from ..servers import free_port, wait_until
from .test_email_parsing import mail

# The module-scoped fixtures are made once: all of this module's tests run on one xdist worker
# (bin/test and CI run pytest with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("email_imap")

USER, PASSWORD = "city311", "imap-secret"


class ImapServer:
    def __init__(self, port: int) -> None:
        self.port = port

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, *raws: bytes) -> None:
        client = self.client()
        try:
            for raw in raws:
                client.append("INBOX", raw)
        finally:
            client.logout()

    def empty(self) -> None:
        client = self.client()
        try:
            client.select_folder("INBOX")
            every = client.search(["ALL"])
            if every:
                client.delete_messages(every)
                client.expunge()
        finally:
            client.logout()

    def unseen(self) -> list[int]:
        client = self.client()
        try:
            client.select_folder("INBOX", readonly=True)
            return list(client.search(["UNSEEN"]))
        finally:
            client.logout()


def _answers(port: int) -> bool:
    try:
        client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=2)
    except OSError:
        return False
    with contextlib.suppress(Exception):
        client.logout()
    return True


@contextlib.contextmanager
def running_pymap(directory: Path, *tls: str) -> Iterator[ImapServer]:
    port = free_port()
    log = directory / "pymap.log"
    pymap = Path(sys.executable).parent / "pymap"
    command = [str(pymap), "--host", "127.0.0.1", "--port", str(port), *(tls or ["--no-tls"]), "dict"]
    command += ["--demo-user", USER, "--demo-password", PASSWORD]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _answers(port), process=process, log=log, what="pymap")
        yield ImapServer(port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def pymap_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapServer]:
    """One pymap per test module (it starts in seconds); each test gets it empty (`imap_server`)."""
    with running_pymap(tmp_path_factory.mktemp("pymap")) as server:
        yield server


@pytest.fixture
def imap_server(pymap_process: ImapServer) -> Iterator[ImapServer]:
    pymap_process.empty()
    yield pymap_process
    pymap_process.empty()


@pytest.fixture
def imap_mailbox(mailbox: Mailbox, imap_server: ImapServer) -> Mailbox:
    mailbox.imap_host = "127.0.0.1"
    mailbox.imap_port = imap_server.port
    mailbox.imap_security = Mailbox.Security.NONE
    mailbox.imap_username = USER
    mailbox.imap_password = PASSWORD
    mailbox.save()
    return mailbox


def test_unseen_messages_become_items_and_are_marked_seen(imap_mailbox, imap_server):
    imap_server.deliver(mail(), mail("A pothole on Elm St.", sender="bo@example.com", message_id="<b1@example.com>"))
    assert imap_polling.poll_mailbox(imap_mailbox) == 2
    assert sorted(InboxItem.objects.values_list("sender", flat=True)) == ["ana@example.com", "bo@example.com"]
    assert imap_server.unseen() == []
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_polled_at is not None and imap_mailbox.last_error == ""

    assert imap_polling.poll_mailbox(imap_mailbox) == 0  # nothing new
    assert InboxItem.objects.count() == 2


def test_a_message_read_twice_is_one_item(imap_mailbox, imap_server, monkeypatch):
    """The worker dies after the message's transaction committed and before it was marked seen: the next
    poll reads it again, and it stays one message."""
    imap_server.deliver(mail())
    real_add_flags = IMAPClient.add_flags

    def connection_lost(self, *args, **kwargs):
        raise OSError("connection reset")

    monkeypatch.setattr(IMAPClient, "add_flags", connection_lost)
    assert imap_polling.poll_mailbox(imap_mailbox) == 1
    imap_mailbox.refresh_from_db()
    assert "OSError" in imap_mailbox.last_error
    assert len(imap_server.unseen()) == 1

    monkeypatch.setattr(IMAPClient, "add_flags", real_add_flags)
    assert imap_polling.poll_mailbox(imap_mailbox) == 0  # read again: a duplicate
    assert InboxItem.objects.count() == 1
    assert InboxMessage.objects.filter(direction=InboxMessage.Direction.IN).count() == 1
    assert InboxMessage.objects.filter(direction=InboxMessage.Direction.OUT).count() == 1  # one acknowledgement
    assert imap_server.unseen() == []
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == ""


def test_a_reply_to_our_acknowledgement_threads_onto_the_item(imap_mailbox, imap_server):
    imap_server.deliver(mail())
    imap_polling.poll_mailbox(imap_mailbox)
    item = InboxItem.objects.get()
    ack = item.messages.get(direction=InboxMessage.Direction.OUT)

    imap_server.deliver(
        mail(
            "Still dark tonight.",
            subject="Re: Streetlight out",
            message_id="<m2@example.com>",
            in_reply_to=ack.external_id,
            references=f"<m1@example.com> {ack.external_id}",
        )
    )
    assert imap_polling.poll_mailbox(imap_mailbox) == 1
    assert InboxItem.objects.count() == 1
    assert item.messages.filter(direction=InboxMessage.Direction.IN).count() == 2


def test_a_broken_message_does_not_block_the_mailbox(imap_mailbox, imap_server):
    imap_server.deliver(b"Subject: from nobody\r\n\r\nno sender at all\r\n", mail())
    assert imap_polling.poll_mailbox(imap_mailbox) == 1
    assert InboxItem.objects.get().sender == "ana@example.com"
    assert imap_server.unseen() == []  # the broken one is marked seen (and left in the mailbox)
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error.startswith("1 message(s) could not be read")
    assert imap_polling.poll_mailbox(imap_mailbox) == 0


def test_an_oversize_message_is_not_fetched(imap_mailbox, imap_server, settings):
    settings.CIVIC311_INBOX_MAX_MESSAGE_BYTES = 3000
    imap_server.deliver(mail("x " * 3000), mail(message_id="<small@example.com>"))
    assert imap_polling.poll_mailbox(imap_mailbox) == 1
    assert InboxMessage.objects.filter(direction=InboxMessage.Direction.IN).get().external_id == "<small@example.com>"
    assert imap_server.unseen() == []


def test_a_poll_reads_a_bounded_number_in_batches(imap_mailbox, imap_server, monkeypatch):
    monkeypatch.setattr(imap_polling, "MAX_PER_POLL", 3)
    monkeypatch.setattr(imap_polling, "BATCH", 2)
    imap_server.deliver(
        *[mail(f"Problem number {n}", sender=f"r{n}@example.com", message_id=f"<n{n}@example.com>") for n in range(5)]
    )
    assert imap_polling.poll_mailbox(imap_mailbox) == 3
    assert len(imap_server.unseen()) == 2
    assert imap_polling.poll_mailbox(imap_mailbox) == 2
    assert InboxItem.objects.count() == 5


def test_a_wrong_password_is_recorded_without_raising(imap_mailbox, imap_server):
    imap_server.deliver(mail())
    imap_mailbox.imap_password = "wrong"
    imap_mailbox.save()
    assert imap_polling.poll_all() == 0
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error.startswith("the IMAP server refused")
    assert USER not in imap_mailbox.last_error and "wrong" not in imap_mailbox.last_error
    assert imap_mailbox.last_polled_at is not None
    assert len(imap_server.unseen()) == 1


def test_one_unreachable_mailbox_does_not_stop_the_others(imap_mailbox, imap_server, jurisdiction):
    dead = Mailbox.objects.create(
        jurisdiction=jurisdiction,
        address="permits@city.example",
        imap_host="127.0.0.1",
        imap_port=free_port(),  # nothing listens there
        imap_security=Mailbox.Security.NONE,
        imap_username=USER,
        imap_password=PASSWORD,
    )
    Mailbox.objects.create(jurisdiction=jurisdiction, address="webhook-only@city.example")  # no IMAP: skipped
    imap_server.deliver(mail())
    assert imap_polling.poll_all() == 1
    dead.refresh_from_db()
    assert dead.last_error.startswith("could not reach the IMAP server")
    assert InboxItem.objects.get().mailbox == imap_mailbox


def test_an_inactive_mailbox_is_not_polled(imap_mailbox, imap_server):
    imap_mailbox.is_active = False
    imap_mailbox.save()
    imap_server.deliver(mail())
    assert imap_polling.poll_all() == 0
    assert len(imap_server.unseen()) == 1


# --- STARTTLS ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), which the poller is told to trust in these tests."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def tls_pymap(tmp_path_factory: pytest.TempPathFactory, certificate: tuple[Path, Path]) -> Iterator[ImapServer]:
    cert, key = certificate
    with running_pymap(tmp_path_factory.mktemp("pymap-tls"), "--cert", str(cert), "--key", str(key)) as server:
        yield server


def starttls_client(server: ImapServer, cert: Path) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=10)
    client.starttls(ssl.create_default_context(cafile=str(cert)))
    client.login(USER, PASSWORD)
    return client


def test_starttls_is_used_and_the_certificate_checked(mailbox, tls_pymap, certificate, monkeypatch):
    cert, _key = certificate
    client = starttls_client(tls_pymap, cert)
    client.append("INBOX", mail())
    client.logout()
    mailbox.imap_host, mailbox.imap_port = "127.0.0.1", tls_pymap.port
    mailbox.imap_security = Mailbox.Security.STARTTLS
    mailbox.imap_username, mailbox.imap_password = USER, PASSWORD
    mailbox.save()

    # The system's certificates do not include our self-signed one: refused, and said so.
    assert imap_polling.poll_mailbox(mailbox) == 0
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith("could not reach the IMAP server (SSL")

    monkeypatch.setattr(imap_polling, "tls_context", lambda: ssl.create_default_context(cafile=str(cert)))
    assert imap_polling.poll_mailbox(mailbox) == 1
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""
    assert InboxItem.objects.get().sender == "ana@example.com"


def test_starttls_required_but_not_offered_is_an_error(imap_mailbox, imap_server):
    imap_server.deliver(mail())
    imap_mailbox.imap_security = Mailbox.Security.STARTTLS
    imap_mailbox.save()
    assert imap_polling.poll_mailbox(imap_mailbox) == 0
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error.startswith("the IMAP server refused")
    assert len(imap_server.unseen()) == 1  # never logged in without TLS
