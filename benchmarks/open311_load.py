"""Load-test the Open311 GeoReport v2 server over real HTTP: gunicorn on loopback, driven by wrk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic311_bench .venv/bin/python benchmarks/open311_load.py

The database must be migrated and hold the demo city (`CIVIC311_DEMO=1 manage.py seed_demo_city --requests 1000000`).
The script starts gunicorn exactly as production does (`gunicorn civic311.wsgi -c deploy/gunicorn.conf.py`,
DEBUG=0, 2 x cores + 1 gthread workers unless WEB_CONCURRENCY says otherwise) on a free loopback port,
then measures, one after the other, for --duration seconds each at --connections concurrent clients:

  ceiling   GET a static file served by WhiteNoise (gunicorn + WSGI, no Django view, no database)
  django    GET /open311/v2/no-such-method.json: Django's request handling, the machine-API middleware chain
            (civic311/machine_api.py) and the Open311 404 view (the jurisdiction's small queries)
  list p1   GET requests.json?service_code=<busiest service>&start_date=<90 days ago>&end_date=<now>
            &page_size=1000 (page 1)
  list p2+  the same, pages 2..n in turn
  one       GET requests/<id>.json for 1,000 ids picked at random, in turn
  post      POST requests.json with a valid API key (rate limit raised out of the way), a point inside
            the city near a real request, and a distinct client_request_id per request

and prints requests/s and latency p50/p95/p99 for each, the data size and the machine. The load generator
is wrk (Debian: `apt-get install -y wrk`); without it a small Python thread client is used, which is
much slower itself and says so. wrk and gunicorn share the machine's cores: the figures are a floor.

Options: --url reuses a server that is already running (then the script only measures; the data it
looks up still comes from DATABASE_URL), --skip-post leaves the database unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import math
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import cpu_meter  # noqa: E402 - this folder's own modules, after the path is set
import post_rows_ceiling  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")

STATIC_FILE = "/static/vendor/leaflet/images/marker-icon.png"
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}  # as the reverse proxy sends; DEBUG=0 redirects plain HTTP
BENCH_RATE_LIMIT = 1_000_000_000  # requests per minute: far above anything two cores can do


# --------------------------------------------------------------------------------------------------
# The API key. The POST side issues keys through a function in civic311.open311.services; this is the
# one place that knows its name and shape.
# --------------------------------------------------------------------------------------------------


def issue_benchmark_key(jurisdiction) -> str:
    """Issue an Open311 API key for the benchmark through the POST side's own function; return the raw key.

    `civic311.open311.services.issue_api_key(jurisdiction, name, requests_per_minute=…)` returns an
    `IssuedKey(api_key, key)`; the key is shown once. Its rate limit is set far above what the machine
    can do, so the limiter's bookkeeping (one UPDATE per POST) is measured but never refuses.
    """
    from civic311.open311 import services as open311

    issued = open311.issue_api_key(
        jurisdiction, f"open311_load benchmark {secrets.token_hex(4)}", requests_per_minute=BENCH_RATE_LIMIT
    )
    return issued.key


def revoke_benchmark_keys(jurisdiction) -> None:
    from django.utils import timezone

    from civic311.open311.models import ApiKey

    ApiKey.objects.filter(
        jurisdiction=jurisdiction, name__startswith="open311_load benchmark", revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


# --------------------------------------------------------------------------------------------------
# What the benchmark needs from the database
# --------------------------------------------------------------------------------------------------


@dataclass
class Fixture:
    jurisdiction_pk: int
    jurisdiction_id: str
    busy_service: str
    busy_service_count: int
    post_candidates: list[str]
    points: list[tuple[float, float]]
    sample_ids: list[str] = field(default_factory=list)
    data: dict[str, str] = field(default_factory=dict)


def load_fixture(days: int) -> Fixture:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count, Max, Min, Q
    from django.utils import timezone

    from civic311.catalogue import selectors as catalogue
    from civic311.demo import services as demo
    from civic311.service_requests.models import Contact, HistoryEntry, ServiceRequest

    city = demo.demo_city()
    if city is None:
        raise SystemExit(
            "No demo city in this database: run `CIVIC311_DEMO=1 manage.py seed_demo_city --requests 1000000` first."
        )
    since = timezone.now() - dt.timedelta(days=days)
    busy = (
        ServiceRequest.objects.filter(jurisdiction=city, requested_at__gte=since)
        .values("service__code")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    if busy is None:
        raise SystemExit(f"The demo city has no request in the last {days} days.")
    # An offered realtime service with no required question takes a bare POST; the first that answers 200 is used.
    candidates = list(
        catalogue.offered_services(city)
        .filter(open311_type="realtime")
        .annotate(required=Count("attributes", filter=Q(attributes__required=True)))
        .filter(required=0)
        .order_by("code")
        .values_list("code", flat=True)
    )
    points = list(
        ServiceRequest.objects.filter(jurisdiction=city, lat__isnull=False, long__isnull=False)
        .order_by("-requested_at")
        .values_list("lat", "long")[:500]
    )
    fixture = Fixture(city.pk, city.jurisdiction_id, busy["service__code"], busy["n"], candidates, points)
    bounds = ServiceRequest.objects.filter(jurisdiction=city).aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is not None:
        pks = random.Random(311).sample(
            range(bounds["low"], bounds["high"] + 1), min(1500, bounds["high"] - bounds["low"] + 1)
        )
        fixture.sample_ids = list(
            ServiceRequest.objects.filter(jurisdiction=city, is_private=False, pk__in=pks).values_list(
                "tracking_number", flat=True
            )[:1000]
        )
    megabyte = 1024 * 1024
    fixture.data["requests"] = f"{ServiceRequest.objects.filter(jurisdiction=city).count():,}"
    fixture.data["history entries"] = f"{HistoryEntry.objects.count():,}"
    fixture.data["contacts"] = f"{Contact.objects.count():,}"
    fixture.data[f"{busy['service__code']} in the last {days} days"] = f"{busy['n']:,}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            fixture.data["database"] = f"PostgreSQL {cursor.fetchone()[0]}"
            cursor.execute("SELECT pg_database_size(current_database())")
            fixture.data["database size"] = f"{cursor.fetchone()[0] / megabyte:,.0f} MB"
        else:
            fixture.data["database"] = connection.vendor
    return fixture


# --------------------------------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "CPU": f"{cpu}, {cores} cores",
        "RAM": ram,
        "Python": platform.python_version(),
        "OS": f"{platform.system()} {platform.release()}",
    }


# --------------------------------------------------------------------------------------------------
# gunicorn
# --------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with deploy/gunicorn.conf.py, DEBUG=0, its own throw-away var dir (collected static files)."""

    def __init__(self, database_url: str, workers: int | None, redis_url: str) -> None:
        self.port = free_port()
        self.var_dir = Path(tempfile.mkdtemp(prefix="civic311-bench-var-"))
        self.log_path = self.var_dir / "gunicorn.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            # The same key as this process, so the session it signs a staff member into is valid there.
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CIVIC311_VAR_DIR": str(self.var_dir),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "GUNICORN_LOG_LEVEL": "warning",
            "REDIS_URL": redis_url,
            # No worker recycled during a run: a new worker's cold start would be measured as the server's.
            "GUNICORN_MAX_REQUESTS": "0",
        }
        self.env.pop("GUNICORN_BIND", None)
        if workers:
            self.env["WEB_CONCURRENCY"] = str(workers)
        self.process: subprocess.Popen | None = None
        self.log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        python = Path(sys.executable)
        subprocess.run(
            [str(python), "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        gunicorn = shutil.which("gunicorn", path=str(python.parent)) or "gunicorn"
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [gunicorn, "civic311.wsgi", "-c", "deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError, urllib.error.URLError):
                status, _, _ = fetch(self.url + STATIC_FILE)
                if status == 200:
                    return
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within 60 s:\n{self.log_path.read_text()[-3000:]}")

    def workers(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        booted = text.count("Booting worker")
        return str(booted) if booted else self.env.get("WEB_CONCURRENCY", f"{(os.cpu_count() or 1) * 2 + 1}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log:
            self.log.close()
        shutil.rmtree(self.var_dir, ignore_errors=True)


def fetch(url: str, *, data: bytes | None = None, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=PROXY_HEADERS)  # noqa: S310 (loopback only)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# --------------------------------------------------------------------------------------------------
# Load generators
# --------------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    what: str
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    p50: float = math.nan  # milliseconds
    p95: float = math.nan
    p99: float = math.nan
    note: str = ""
    web_ms: float = math.nan  # CPU of gunicorn's processes per request
    db_ms: float | None = None  # CPU of PostgreSQL's processes per request

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


LUA_DONE = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    "WRKJSON {\"requests\":%d,\"duration_us\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,"
    .. "\"status\":%d,\"timeout\":%d,\"p50\":%d,\"p95\":%d,\"p99\":%d}\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""

LUA_SETUP = r"""
local thread_count = 0
setup = function(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end
"""

LUA_GET = (
    LUA_SETUP
    + r"""
local i = 0
request = function()
  i = i + 1
  if i > #paths then i = 1 end
  return wrk.format("GET", paths[i], headers)
end
init = function(args)
  i = (tid * 7919) % #paths
end
"""
    + LUA_DONE
)

LUA_POST = (
    LUA_SETUP
    + r"""
local n = 0
init = function(args)
  math.randomseed(os.time() + tid * 7919)
end
request = function()
  n = n + 1
  local k = math.random(#points)
  local lat = points[k][1] + (math.random() - 0.5) * 0.0004
  local long = points[k][2] + (math.random() - 0.5) * 0.0004
  local body = base .. string.format("&lat=%.6f&long=%.6f&client_request_id=%s-%d-%d", lat, long, run, tid, n)
  return wrk.format("POST", path, headers, body)
end
"""
    + LUA_DONE
)


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for our ASCII values


def lua_headers(extra: dict[str, str] | None = None) -> str:
    items = {**PROXY_HEADERS, **(extra or {})}
    return "headers = {" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in items.items()) + "}\n"


def run_wrk(base_url: str, script: str, *, duration: int, connections: int, threads: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        path = handle.name
    try:
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "30s",
            "-s",
            path,
            base_url + "/",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        os.unlink(path)
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON ") :])
    raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def wrk_get(base_url: str, paths: list[str], headers: dict[str, str] | None = None, **options) -> dict:
    script = "paths = {" + ", ".join(lua_string(p) for p in paths) + "}\n" + lua_headers(headers) + LUA_GET
    return run_wrk(base_url, script, **options)


def wrk_post(
    base_url: str, path: str, form: dict[str, str], points: list[tuple[float, float]], run: str, **options
) -> dict:
    script = (
        f"path = {lua_string(path)}\nrun = {lua_string(run)}\n"
        f"base = {lua_string(urllib.parse.urlencode(form))}\n"
        "points = {"
        + ", ".join(f"{{{lat:.6f}, {long:.6f}}}" for lat, long in points)
        + "}\n"
        + lua_headers({"Content-Type": "application/x-www-form-urlencoded"})
        + LUA_POST
    )
    return run_wrk(base_url, script, **options)


def from_wrk(result: Result, figures: dict, *, errors_expected: bool = False) -> Result:
    """`errors_expected`: the answers are 4xx by design (the Open311 404), so only socket errors count."""
    result.requests = figures["requests"]
    result.seconds = figures["duration_us"] / 1e6
    kinds = (
        ("connect", "read", "write", "timeout")
        if errors_expected
        else ("connect", "read", "write", "status", "timeout")
    )
    result.errors = sum(figures[k] for k in kinds)
    result.p50, result.p95, result.p99 = (figures[k] / 1000 for k in ("p50", "p95", "p99"))
    return result


def python_load(base_url: str, make_request, *, duration: int, connections: int) -> dict:
    """A keep-alive thread client, for machines without wrk. Much slower than wrk; a floor, not a ceiling."""
    host = urllib.parse.urlsplit(base_url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        mine, bad, count = [], 0, 0
        while time.monotonic() < stop_at:
            count += 1
            method, path, body, headers = make_request(number, count)
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers={**PROXY_HEADERS, **headers})
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> int:
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6) if latencies else 0

    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "connect": 0,
        "read": 0,
        "write": 0,
        "status": errors[0],
        "timeout": 0,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
    }


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


def staff_session(fixture: Fixture) -> tuple[str, list[str]]:
    """A signed-in session of the demo's Streets Department worker, and the queue pages to load with it."""
    from django.conf import settings
    from django.test import Client

    from civic311.people.models import RoleAssignment, StaffRole

    worker = (
        RoleAssignment.objects.filter(role=StaffRole.DEPARTMENT_STAFF, department__slug__startswith="streets")
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if worker is None:
        return "", []
    client = Client()
    client.force_login(worker.user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    # The default view (open work in SLA-risk order with the counts), overdue, mine, newest first.
    return cookie, ["/work/", "/work/?sla=overdue", "/work/?assignee=me", "/work/?sort=newest&status=all"]


def follow_next_links(base_url: str, path: str, pages: int) -> list[str]:
    """The paths of up to `pages` pages after `path`, each found in the previous page's Link rel=next."""
    found: list[str] = []
    while len(found) < pages:
        status, headers, _ = fetch(base_url + path)
        if status != 200:
            break
        nexts = [part.split(";")[0].strip(" <>") for part in headers.get("Link", "").split(",") if 'rel="next"' in part]
        if not nexts:
            break
        parsed = urllib.parse.urlsplit(nexts[0])
        path = f"{parsed.path}?{parsed.query}"
        found.append(path)
    return found


def probe_pages(base_url: str, path: str, page_size: int) -> tuple[int | None, str]:
    """How many pages the list has, from the server's headers (or None), and which header said so."""
    status, headers, body = fetch(base_url + path)
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}: {body[:500]!r}")
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("x-total-pages", "x-page-count"):
        if lowered.get(name, "").isdigit():
            return int(lowered[name]), name
    for name in ("x-total-count", "x-total", "x-result-count"):
        if lowered.get(name, "").isdigit():
            return math.ceil(int(lowered[name]) / page_size), name
    link = lowered.get("link", "")
    for part in link.split(","):
        if 'rel="last"' in part:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(part.split(";")[0].strip(" <>")).query)
            if query.get("page", [""])[0].isdigit():
                return int(query["page"][0]), "Link rel=last"
    return None, ""


def time_once(base_url: str, path: str, tries: int = 3) -> float:
    took = []
    for _ in range(tries):
        started = time.perf_counter()
        status, _, body = fetch(base_url + path)
        took.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}: {body[:300]!r}")
    return statistics.median(took)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", ""), help="The database (default: $DATABASE_URL)."
    )
    parser.add_argument("--duration", type=int, default=15, help="Seconds per measurement (default 15).")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of uncounted load before each (default 3).")
    parser.add_argument("--connections", type=int, default=32, help="Concurrent clients (default 32).")
    parser.add_argument("--threads", type=int, default=0, help="wrk threads (default: the number of cores).")
    parser.add_argument("--url", default="", help="Measure a server that is already running at this base URL.")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="gunicorn processes (default: WEB_CONCURRENCY or 2 x cores + 1, as the conf says).",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", ""),
        help="Job queue for the server (default $REDIS_URL, else Huey on SQLite in a temp dir).",
    )
    parser.add_argument("--days", type=int, default=90, help="The list's window in days (default 90).")
    parser.add_argument("--pages", type=int, default=10, help="At most this many pages for 'list p2+' (default 10).")
    parser.add_argument(
        "--deep-pages", type=int, default=60, help="Pages to reach through next links for 'deep' (default 60)."
    )
    parser.add_argument("--skip-post", action="store_true", help="Do not measure POST (leaves the data alone).")
    parser.add_argument(
        "--only",
        default="",
        help="Comma list of scenarios to run: ceiling,django,list,deep,one,track,queue,post,rows (default: all; "
        "rows, the POST's rows inserted by psycopg directly, runs after post).",
    )
    parser.add_argument("--python-client", action="store_true", help="Use the Python client even if wrk is there.")
    parser.add_argument(
        "--profile",
        default="",
        help="A folder: record each measured run's gunicorn workers with py-spy (raw collapsed stacks) there and "
        "print the functions taking the most of their time.",
    )
    options = parser.parse_args()
    load_before = os.getloadavg()
    if options.database_url:
        os.environ["DATABASE_URL"] = options.database_url
    threads = options.threads or len(os.sched_getaffinity(0))
    use_wrk = shutil.which("wrk") is not None and not options.python_client
    if not use_wrk and not options.python_client:
        print(
            "wrk is not installed (Debian/Ubuntu: apt-get install -y wrk); using the slower Python client.",
            file=sys.stderr,
        )

    print("Reading the data…", file=sys.stderr, flush=True)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    fixture = load_fixture(options.days)
    worker_cookie, worker_paths = staff_session(fixture)
    from django.db import connections

    from civic311.jurisdictions.models import Jurisdiction

    city = Jurisdiction.objects.get(pk=fixture.jurisdiction_pk)
    api_key = ""
    if not options.skip_post:
        if not fixture.post_candidates:
            raise SystemExit("No offered realtime service without required questions to POST to.")
        api_key = issue_benchmark_key(city)
    connections.close_all()

    server = None
    base_url = options.url.rstrip("/")
    if not base_url:
        server = Server(options.database_url, options.workers or None, options.redis_url)
        print(f"Starting gunicorn on {server.url}…", file=sys.stderr, flush=True)
        server.start()
        base_url = server.url

    post_form: dict[str, str] = {}
    posted_number = ""
    if api_key:
        refusals = []
        for code in fixture.post_candidates:
            form = {
                "api_key": api_key,
                "jurisdiction_id": fixture.jurisdiction_id,
                "service_code": code,
                "description": "Benchmark: a pothole in the right lane.",
                "email": "bench@example.org",
            }
            lat, long = fixture.points[0]
            status, _, body = fetch(
                base_url + "/open311/v2/requests.json",
                data=urllib.parse.urlencode({**form, "lat": lat, "long": long}).encode(),
            )
            if status in (200, 201):
                post_form = form
                posted_number = str(json.loads(body)[0]["service_request_id"])
                break
            refusals.append(f"{code}: {status} {body[:200]!r}")
        if not post_form:
            if server:
                server.stop()
            raise SystemExit("No service took a test POST:\n" + "\n".join(refusals))

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = (now - dt.timedelta(days=options.days)).isoformat().replace("+00:00", "Z")
    end = now.isoformat().replace("+00:00", "Z")
    query = urllib.parse.urlencode(
        {
            "jurisdiction_id": fixture.jurisdiction_id,
            "service_code": fixture.busy_service,
            "start_date": start,
            "end_date": end,
            "page_size": 1000,
        }
    )
    list_path = f"/open311/v2/requests.json?{query}"
    results: list[Result] = []
    notes: list[str] = []

    wanted = {name.strip() for name in options.only.split(",") if name.strip()}

    def measure(
        result: Result,
        *,
        paths: list[str] | None = None,
        post: dict | None = None,
        errors_expected: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        if wanted and result.name.split()[0] not in wanted:
            return
        print(f"  {result.name}: {result.what}", file=sys.stderr, flush=True)
        if options.warmup:
            # Not counted: fills every worker's connections, caches and PostgreSQL's buffers for this call.
            run_load(post, paths, options.warmup, headers)
        vacuum_hot_tables(options.database_url)
        before = cpu_meter.read(server.process.pid if server and server.process else None)
        figures = run_load(post, paths, options.duration, headers)
        after = cpu_meter.read(server.process.pid if server and server.process else None)
        profiler = start_profile(options, server, result.name)
        if profiler is not None:  # a run of its own: sampling slows the server, so it is never the one measured
            run_load(post, paths, options.duration, headers)
            profiler.wait(timeout=options.duration + 30)
            notes.append(profile_summary(Path(options.profile) / f"{result.name.replace(' ', '_')}.txt", result.name))
        measured = from_wrk(result, figures, errors_expected=errors_expected)
        measured.web_ms, measured.db_ms = cpu_meter.per_request_ms(before, after, measured.requests)
        if not server:
            measured.web_ms = math.nan  # another server's processes are not ours to read
        results.append(measured)

    def run_load(
        post: dict | None, paths: list[str] | None, duration: int, headers: dict[str, str] | None = None
    ) -> dict:
        load = {"duration": duration, "connections": options.connections}
        if use_wrk:
            if post is not None:
                figures = wrk_post(
                    base_url,
                    "/open311/v2/requests.json",
                    post,
                    fixture.points,
                    f"bench{secrets.token_hex(4)}",
                    threads=threads,
                    **load,
                )
            else:
                figures = wrk_get(base_url, paths, headers, threads=threads, **load)
        else:
            run = f"bench{secrets.token_hex(4)}"

            def make(number: int, count: int):
                if post is None:
                    return "GET", paths[(number * 7919 + count) % len(paths)], None, headers or {}
                lat, long = random.choice(fixture.points)
                form = {
                    **post,
                    "lat": f"{lat + (random.random() - 0.5) * 4e-4:.6f}",
                    "long": f"{long + (random.random() - 0.5) * 4e-4:.6f}",
                    "client_request_id": f"{run}-{number}-{count}",
                }
                return (
                    "POST",
                    "/open311/v2/requests.json",
                    urllib.parse.urlencode(form),
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )

            figures = python_load(base_url, make, **load)
        return figures

    failed = ""
    try:
        print("Measuring…", file=sys.stderr, flush=True)
        # Warm every worker's connections and caches a little before each kind of call.
        measure(Result("ceiling", f"GET {STATIC_FILE} (static file via WhiteNoise)"), paths=[STATIC_FILE])
        measure(
            Result(
                "django",
                "GET /open311/v2/no-such-method.json (Django + Open311's middleware + its 404 view; 404 by design)",
            ),
            paths=["/open311/v2/no-such-method.json"],
            errors_expected=True,
        )

        total_pages, said_by = probe_pages(base_url, list_path + "&page=1", 1000)
        pages_note = (
            f"{total_pages} pages of 1000 (per the {said_by} header)" if total_pages else "no page count in the headers"
        )
        notes.append(
            f"list: {fixture.busy_service}, {fixture.busy_service_count:,} requests in {options.days} days; "
            f"{pages_note}"
        )
        measure(
            Result(
                "list p1",
                f"GET requests.json?service_code={fixture.busy_service}&start_date&end_date&page_size=1000, page 1",
            ),
            paths=[list_path + "&page=1"],
        )
        last = total_pages or options.pages + 1
        later = list(range(2, min(last, options.pages + 1) + 1))
        if later:
            measure(
                Result("list p2+", f"the same, pages {later[0]}..{later[-1]} in turn"),
                paths=[f"{list_path}&page={page}" for page in later],
            )
        if total_pages and total_pages > 1 and (not wanted or "list" in wanted):
            notes.append(
                f"list: the last page ({total_pages}) alone takes "
                f"{time_once(base_url, f'{list_path}&page={total_pages}'):.0f} ms (median of 3, no load)"
            )

        if not wanted or "deep" in wanted:
            deep = follow_next_links(base_url, list_path + "&page=1", options.deep_pages)
            if deep:
                notes.append(
                    f"deep: {len(deep)} pages reached by following each page's Link rel=next "
                    f"(keyset cursor), from page 2 to page {len(deep) + 1}"
                )
                measure(
                    Result("deep", f"the same list, pages 2..{len(deep) + 1} by their next links (cursor)"), paths=deep
                )

        ids = fixture.sample_ids
        if ids:
            measure(
                Result("one", f"GET requests/<id>.json, {len(ids)} random ids of the whole table in turn"),
                paths=[
                    f"/open311/v2/requests/{urllib.parse.quote(str(i))}.json?jurisdiction_id="
                    f"{urllib.parse.quote(fixture.jurisdiction_id)}"
                    for i in ids
                ],
            )
            measure(
                Result("track", f"GET /track/<id>/ (the public track page), {len(ids)} random ids in turn"),
                paths=[f"/track/{urllib.parse.quote(str(i))}/" for i in ids],
            )
        if worker_cookie:
            measure(
                Result(
                    "queue", "GET the department queue with its counts as a Streets worker: " + ", ".join(worker_paths)
                ),
                paths=worker_paths,
                headers={"Cookie": worker_cookie},
            )

        if post_form:
            measure(
                Result(
                    "post", f"POST requests.json ({post_form['service_code']}, api_key, lat/long, client_request_id)"
                ),
                post=post_form,
            )
            if not wanted or "rows" in wanted:
                rows_ceiling(results, options, fixture, posted_number)
    except (Exception, SystemExit) as error:  # noqa: BLE001 - report what was measured before the failure
        failed = str(error)
    finally:
        if server:
            workers = server.workers()
            server.stop()
        else:
            workers = "?"
        if api_key:
            with contextlib.suppress(Exception):
                revoke_benchmark_keys(city)

    notes.append(
        "load average (1/5/15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
            *load_before, *os.getloadavg()
        )
    )
    report(results, fixture, options, use_wrk, threads, workers, notes)
    if failed:
        print(f"\nSTOPPED: {failed}", file=sys.stderr)
        return 1
    return 0


def start_profile(options, server: Server | None, name: str) -> subprocess.Popen | None:
    """py-spy sampling every gunicorn worker through a run like the measured one (needs ptrace: run as root)."""
    if not options.profile or server is None or server.process is None:
        return None
    folder = Path(options.profile)
    folder.mkdir(parents=True, exist_ok=True)
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(server.process.pid),
            "--subprocesses",
            "--duration",
            str(options.duration),
            "--rate",
            "200",
            "--gil",  # only the thread holding the GIL: Python's CPU, not its waits on PostgreSQL
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(folder / f"{name.replace(' ', '_')}.txt"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def profile_summary(path: Path, name: str, top: int = 25) -> str:
    """The functions in the most samples (inclusive), from py-spy's collapsed stacks, as a note."""
    if not path.exists():
        return f"profile {name}: py-spy wrote nothing (is it allowed to ptrace?)"
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [
            frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1].rstrip(")")
            for frame in stack.split(";")
            if not frame.startswith("process ")
        ]
        # Idle threads wait in gunicorn's selector or a lock: only samples inside a request count.
        if not any("handle_request" in frame for frame in frames):
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    lines = [f"profile {name}: {total:,} samples in requests ({path})", "  inclusive %  own %  function"]
    for frame, count in sorted(inclusive.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"  {100 * count / total:10.1f} {100 * own.get(frame, 0) / total:6.1f}  {frame}")
    return "\n".join(lines) if total else f"profile {name}: no samples inside a request"


HOT_TABLES = ("jurisdictions_jurisdiction", "open311_apikey", "requests_announcement")


def vacuum_hot_tables(database_url: str) -> None:
    """Vacuum the small tables every POST touches, as autovacuum would (this machine's PostgreSQL runs with it
    off): without it their dead row versions pile up through a run and every later scenario pays for them."""
    if not database_url.startswith("postgres"):
        return
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        for table in HOT_TABLES:
            connection.execute(f'VACUUM (ANALYZE) "{table}"')


def rows_ceiling(results: list[Result], options, fixture: Fixture, posted_number: str) -> None:
    """The second ceiling: the POST's own rows, inserted by psycopg directly, one durable transaction each."""
    if not options.database_url.startswith("postgres") or not posted_number:
        return
    from civic311.service_requests.models import ServiceRequest

    template = ServiceRequest.objects.get(jurisdiction_id=fixture.jurisdiction_pk, tracking_number=posted_number)
    result = Result("rows", "the POST's six rows inserted by psycopg directly, one durable transaction each")
    print(f"  {result.name}: {result.what}", file=sys.stderr, flush=True)
    post_rows_ceiling.measure(
        options.database_url, template.pk, duration=options.warmup, connections=options.connections
    )
    vacuum_hot_tables(options.database_url)
    before = cpu_meter.read(None)
    figures = post_rows_ceiling.measure(
        options.database_url, template.pk, duration=options.duration, connections=options.connections
    )
    after = cpu_meter.read(None)
    result.requests, result.seconds, result.errors = figures.transactions, figures.seconds, figures.errors
    result.p50, result.p95, result.p99 = figures.p50, figures.p95, figures.p99
    result.web_ms, result.db_ms = cpu_meter.per_request_ms(before, after, result.requests)
    result.web_ms = math.nan
    results.append(result)


def report(
    results: list[Result], fixture: Fixture, options, use_wrk: bool, threads: int, workers: str, notes: list[str]
) -> None:
    print()
    print(
        f"{'scenario':<10} {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'errors':>7} {'requests':>9} "
        f"{'web CPU':>8} {'PG CPU':>7}  what"
    )
    for r in results:
        db = f"{r.db_ms:>7.2f}" if r.db_ms is not None else f"{'-':>7}"
        print(
            f"{r.name:<10} {r.rate:>9,.1f} {r.p50:>9.1f} {r.p95:>9.1f} {r.p99:>9.1f} {r.errors:>7} "
            f"{r.requests:>9,} {r.web_ms:>8.2f} {db}  {r.what}"
        )
    print("(web CPU, PG CPU: milliseconds of CPU per request of gunicorn's processes and of PostgreSQL's)")
    by_name = {r.name: r for r in results}
    ceiling = by_name.get("ceiling")
    if ceiling and ceiling.rate:
        print()
        for name in ("django", "list p1", "list p2+", "deep", "one", "track", "queue", "post", "rows"):
            if name in by_name:
                print(f"{name}/ceiling = {by_name[name].rate / ceiling.rate:.3f}")
    rows = by_name.get("rows")
    if rows and rows.rate and "post" in by_name:
        print(f"post/rows = {by_name['post'].rate / rows.rate:.3f}  (the POST against its own rows written directly)")
    print()
    for note in notes:
        print(note)
    print()
    load = f"wrk {threads} threads" if use_wrk else "Python thread client"
    print(
        f"load:      {load}, {options.connections} connections, {options.duration} s each after {options.warmup} s "
        "of warm-up, on the same machine"
    )
    threads_each = os.environ.get("GUNICORN_THREADS", "4")
    server = (
        f"gunicorn {workers} workers x {threads_each} threads (gthread), DEBUG=0" if not options.url else options.url
    )
    print(f"server:    {server}")
    for key, value in machine().items():
        print(f"{key.lower() + ':':<10} {value}")
    for key, value in fixture.data.items():
        print(f"{key + ':':<10} {value}")


if __name__ == "__main__":
    sys.exit(main())
