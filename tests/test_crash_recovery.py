"""Nothing a filed request needs is lost when processes die or the database restarts mid-load.

Real processes, as in production: a throw-away PostgreSQL cluster (its own port and folder), gunicorn
with the documented configuration, and Huey's consumer. Open311 clients POST requests without pause while
the test kills one gunicorn worker with SIGKILL, kills the job worker and starts it again, and restarts
PostgreSQL with an immediate (crash) shutdown. A client retries whatever got no answer with the same
client_request_id, as real clients do. Then every accepted request must end with exactly its messages
(the requester's e-mail, the API client's webhook) sent, and its forwarding to the department's work-order
system done, once each; and while the database was away, clients saw 503, never 500.

PostgreSQL only (CI's second pass), like the read-replica test: it needs the server binaries.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import psycopg
import pytest
import requests as http
from django.db import connections

from .servers import answers, free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.crash

SETUP = r"""
import json
from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications.models import Webhook
from civic311.open311.models import WorkOrderSystem
from civic311.open311.services import issue_api_key
from tests.factories import DepartmentFactory, JurisdictionFactory, ServiceFactory

city = JurisdictionFactory()
department = DepartmentFactory(jurisdiction=city, slug="streets", name="Streets Department",
                               contact_email="streets@example.org")
service = ServiceFactory(jurisdiction=city, department=department, code="SR-ST02", name="Illegal Dumping")
issued = issue_api_key(city, "Crash client", requests_per_minute=1_000_000)
Webhook.objects.create(api_key=issued.api_key, url=FAKE + "/hook", secret="s3cret")
system = WorkOrderSystem.objects.create(department=department, name="Streets Work Orders",
                                        endpoint=FAKE + "/georeport/v2/", api_key="theirs")
system.services.add(service)
print("RESULT " + json.dumps({"api_key": issued.key}))
"""


# --- the department's systems: a work-order system and a webhook receiver ---------------------------------


@dataclass
class Receiver:
    lock: threading.Lock = field(default_factory=threading.Lock)
    forwards: collections.Counter = field(default_factory=collections.Counter)  # our tracking number → POSTs
    hooks: collections.Counter = field(default_factory=collections.Counter)  # Idempotency-Key → deliveries
    hook_numbers: set = field(default_factory=set)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(5000))
    their_ids: dict = field(default_factory=dict)


def make_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            with receiver.lock:
                if self.path.startswith("/hook"):
                    receiver.hooks[self.headers.get("Idempotency-Key", "")] += 1
                    receiver.hook_numbers.add(json.loads(body)["tracking_number"])
                    answer: object = {"ok": True}
                else:  # GeoReport POST requests.json, deduplicated by client_request_id as real systems are
                    number = parse_qs(body)["client_request_id"][0]
                    receiver.forwards[number] += 1
                    their_id = receiver.their_ids.setdefault(number, str(next(receiver.ids)))
                    answer = [{"service_request_id": their_id, "service_notice": "", "account_id": None}]
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


# --- processes ---------------------------------------------------------------------------------------------


def run(*command: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=False, **options)


class Cluster:
    """A throw-away PostgreSQL server in a folder of its own; run as `postgres` when we are root."""

    def __init__(self, bindir: str, folder: Path, port: int) -> None:
        self.bindir, self.data, self.port = bindir, folder / "data", port
        self.log = folder / "server.log"
        self.owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _ctl(self, *args: str) -> None:
        done = run(
            *self.owner,
            f"{self.bindir}/pg_ctl",
            f"--pgdata={self.data}",
            f"--log={self.log}",
            "--wait",
            "--timeout=60",
            *args,
        )
        assert done.returncode == 0, done.stdout + done.stderr + self.log.read_text(errors="replace")[-2000:]

    def init(self) -> None:
        done = run(
            *self.owner,
            f"{self.bindir}/initdb",
            f"--pgdata={self.data}",
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        assert done.returncode == 0, done.stderr
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.data.parent}'\nfsync = off\n"
            )
        self.start()
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE civic311")

    def start(self) -> None:
        self._ctl("start")

    def crash(self) -> None:
        """An immediate shutdown: no checkpoint, connections cut; the next start recovers from the WAL."""
        self._ctl("--mode=immediate", "stop")

    def url(self, database: str = "civic311") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def cluster():
    if connections["default"].vendor != "postgresql":
        pytest.skip("the crash test runs once per CI run, in its PostgreSQL pass (DATABASE_URL)")
    found = run(shutil.which("bash") or "/bin/bash", str(ROOT / "deploy" / "local-replica.sh"), "bindir")
    if found.returncode != 0:
        pytest.skip(f"no PostgreSQL server binaries on this machine: {found.stderr.strip()}")
    folder = Path(tempfile.mkdtemp(prefix="civic311-crash-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    server = Cluster(found.stdout.strip(), folder, free_port())
    try:
        server.init()
        yield server
    finally:
        with contextlib.suppress(AssertionError):
            server.crash()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def receiver():
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield state
    server.shutdown()
    server.server_close()


def environment(cluster: Cluster, var: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_", "DJANGO_", "CIVIC311_", "HUEY_", "REDIS_", "MEDIA_", "PYTEST"))
        and name not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "EMAIL_BACKEND")
    }
    env.update(
        DATABASE_URL=cluster.url(),
        DJANGO_SETTINGS_MODULE="civic311.settings",
        CIVIC311_VAR_DIR=str(var),
        DEBUG="0",
        SECRET_KEY="crash-test-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        CIVIC311_LEASE_SECONDS="5",
        DATABASE_CONNECT_TIMEOUT="2",
        NOTIFICATIONS_BACKOFF_BASE_SECONDS="1",
        NOTIFICATIONS_BACKOFF_CAP_SECONDS="5",
        PYTHONUNBUFFERED="1",
    )
    return env


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("ab")
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(30)


def gunicorn_workers(master: subprocess.Popen) -> list[int]:
    found = run("pgrep", "-P", str(master.pid))
    return [int(pid) for pid in found.stdout.split()]


# --- the clients -------------------------------------------------------------------------------------------


@dataclass
class Load:
    base: str
    api_key: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    accepted: dict = field(default_factory=dict)  # our client_request_id → their service_request_id
    unanswered: set = field(default_factory=set)  # sent, no answer yet: must be retried
    statuses_while_down: collections.Counter = field(default_factory=collections.Counter)
    database_down: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def post(self, client_id: str, session: http.Session) -> None:
        form = {
            "api_key": self.api_key,
            "service_code": "SR-ST02",
            "lat": "39.9526",
            "long": "-75.1635",
            "description": "Mattresses on the sidewalk.",
            "email": f"{client_id}@example.org",
            "client_request_id": client_id,
        }
        down = self.database_down.is_set()
        try:
            response = session.post(f"{self.base}/open311/v2/requests.json", data=form, timeout=15)
        except http.RequestException:
            with self.lock:
                self.statuses["no answer"] += 1
                self.unanswered.add(client_id)
            return
        with self.lock:
            self.statuses[response.status_code] += 1
            if down and self.database_down.is_set():
                self.statuses_while_down[response.status_code] += 1
            if response.status_code == 201 or response.status_code == 200:
                self.accepted[client_id] = response.json()[0]["service_request_id"]
                self.unanswered.discard(client_id)
            else:
                self.unanswered.add(client_id)

    def client(self) -> None:
        session = http.Session()
        while not self.stop.is_set():
            with self.lock:
                retry = next(iter(self.unanswered), None) if self.unanswered else None
            self.post(retry or f"c{next(self.numbers)}", session)
            if retry:
                time.sleep(0.2)

    def finish(self) -> None:
        """Retry everything still unanswered until it is answered (as a patient client would)."""
        session = http.Session()

        def all_answered() -> bool:
            for client_id in sorted(self.unanswered):
                self.post(client_id, session)
            return not self.unanswered

        wait_until(all_answered, what="the web server")


# --- the test ----------------------------------------------------------------------------------------------


def drained(cluster: Cluster) -> dict[str, int]:
    with psycopg.connect(cluster.url(), connect_timeout=5) as conn:

        def one(sql: str) -> int:
            row = conn.execute(sql).fetchone()
            assert row is not None, sql
            return int(row[0])

        return {
            "announcements": one("SELECT count(*) FROM requests_announcement"),
            "unsent messages": one("SELECT count(*) FROM notifications_outboundmessage WHERE state <> 'sent'"),
            "unsent forwards": one("SELECT count(*) FROM open311_forwardedrequest WHERE state <> 'sent'"),
        }


def test_nothing_a_request_needs_is_lost_when_processes_die_or_the_database_restarts(cluster, receiver, tmp_path):
    env = environment(cluster, tmp_path)
    migrated = run(sys.executable, "manage.py", "migrate", "--noinput", cwd=ROOT, env=env, timeout=300)
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    made = run(
        sys.executable, "manage.py", "shell", "-c", f"FAKE = {receiver.url!r}\n" + SETUP, cwd=ROOT, env=env, timeout=120
    )
    result = [line for line in made.stdout.splitlines() if line.startswith("RESULT ")]
    assert result, made.stdout + made.stderr
    api_key = json.loads(result[-1].removeprefix("RESULT "))["api_key"]

    port = free_port()
    web_env = {
        **env,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "civic311.wsgi:application"]
    web = start(gunicorn, web_env, tmp_path / "web.log")
    worker = start([sys.executable, "manage.py", "run_huey"], env, tmp_path / "worker-1.log")
    load = Load(f"http://127.0.0.1:{port}", api_key)
    try:
        wait_until(
            answers(f"{load.base}/open311/v2/discovery.json"), process=web, log=tmp_path / "web.log", what="gunicorn"
        )
        clients = [threading.Thread(target=load.client, daemon=True) for _ in range(4)]
        for each in clients:
            each.start()

        time.sleep(3)
        os.kill(gunicorn_workers(web)[0], signal.SIGKILL)  # a web worker dies mid-request
        time.sleep(2)
        stop(worker, signal.SIGKILL)  # the job worker dies with whatever it had claimed
        time.sleep(3)
        worker = start([sys.executable, "manage.py", "run_huey"], env, tmp_path / "worker-2.log")
        time.sleep(2)
        cluster.crash()  # PostgreSQL goes away: every connection is cut
        load.database_down.set()  # a POST begun and ended inside this window cannot have reached it
        time.sleep(4)
        load.database_down.clear()
        cluster.start()
        time.sleep(4)
        load.stop.set()
        for each in clients:
            each.join(30)
        load.finish()

        load_ended = time.monotonic()
        # The sweeps run every minute and a dead worker's claims expire in 5 s: wait for them, however long a
        # loaded machine takes, as long as the job worker lives.
        wait_until(
            lambda: not any(drained(cluster).values()),
            process=worker,
            log=tmp_path / "worker-2.log",
            what="the job worker",
        )
        left = drained(cluster)
        print(
            f"crash test: {len(load.accepted)} requests accepted; answers {dict(load.statuses)}; while the "
            f"database was down {dict(load.statuses_while_down)}; drained {time.monotonic() - load_ended:.0f} s "
            f"after the load ended"
        )
    finally:
        stop(worker)
        stop(web)

    logs = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in tmp_path.glob("*.log"))
    assert not load.unanswered, f"never answered: {sorted(load.unanswered)}\n{logs}"
    assert load.statuses[500] == 0, f"{load.statuses}\n{logs}"
    assert set(load.statuses) <= {200, 201, 503, "no answer"}, load.statuses
    assert load.statuses_while_down, "no POST was made while the database was down"
    assert set(load.statuses_while_down) <= {503, "no answer"}, load.statuses_while_down
    assert load.statuses_while_down[503] > 0
    assert left == {"announcements": 0, "unsent messages": 0, "unsent forwards": 0}, f"{left}\n{logs}"

    accepted = set(load.accepted.values())
    assert len(accepted) == len(load.accepted) > 20  # one request per client id, whatever was retried
    with psycopg.connect(cluster.url()) as conn:
        filed = {row[0] for row in conn.execute("SELECT tracking_number FROM requests_servicerequest")}
        opened: dict[str, int] = dict(
            conn.execute(
                "SELECT r.tracking_number, h.id FROM requests_historyentry h "
                "JOIN requests_servicerequest r ON r.id = h.service_request_id WHERE h.kind = 'opened'"
            ).fetchall()
        )
        channels = collections.Counter(
            (number, channel)
            for number, channel in conn.execute(
                "SELECT r.tracking_number, m.channel FROM notifications_outboundmessage m "
                "JOIN requests_servicerequest r ON r.id = m.service_request_id "
                "JOIN requests_historyentry h ON h.service_request_id = r.id AND h.kind = 'opened' "
                "WHERE m.dedup_key LIKE 'h' || h.id || ':%%'"
            )
        )
        forwards: dict[str, str] = dict(
            conn.execute(
                "SELECT r.tracking_number, f.external_id FROM open311_forwardedrequest f "
                "JOIN requests_servicerequest r ON r.id = f.service_request_id"
            ).fetchall()
        )
    # Every committed request was answered to its client (no request filed behind a client's back)...
    assert filed == accepted
    assert set(opened) == accepted
    for number in accepted:
        # ...and has exactly its messages: the requester's e-mail and the client's webhook, both sent...
        assert channels[(number, "email")] == 1, number
        assert channels[(number, "webhook")] == 1, number
        # ...and its forwarding, confirmed with the work-order system's id.
        assert forwards.get(number), number
    assert receiver.hook_numbers >= accepted
    assert set(receiver.forwards) == accepted
