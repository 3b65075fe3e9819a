"""civic311 settings.

Everything a deployment changes comes from the environment (twelve-factor), with defaults that run the
demo city on an embedded SQLite database and a SQLite-backed Huey queue, no servers to start:

  DATABASE_URL          postgres://user@host:5432/civic311   (default: sqlite file in ./var/); ?sslmode=… as needed
  DATABASE_REPLICA_URL  a streaming read replica of it, for heavy reads (civic311/db_routing.py); default none
  DATABASE_CONN_MAX_AGE, DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_PGBOUNCER,
                        PostgreSQL connections (docs/running-in-production.md, "PostgreSQL")
  DATABASE_JIT          1 to keep PostgreSQL's JIT on (default off: it slows civic311's short reads)
  DATABASE_PREPARED_STATEMENTS  0 for client-side binding and no prepared statements (default 1, or 0 under
                        DATABASE_PGBOUNCER); DATABASE_PREPARE_THRESHOLD runs of a statement before it is prepared (2)
  REDIS_URL             redis://127.0.0.1:6379/0             (default: Huey on SQLite in ./var/, and the shared
                        cache (rate limits) in the database table civic311_cache)
  CIVIC311_TRUSTED_PROXIES  comma list of reverse-proxy addresses or CIDRs whose X-Forwarded-For names the client
                        (default: 127.0.0.1,::1, as gunicorn's FORWARDED_ALLOW_IPS)
  CIVIC311_REPORTS_PER_HOUR, CIVIC311_COMMENTS_PER_HOUR, NOTIFICATIONS_SUBSCRIBE_PER_HOUR   public writes allowed
                        per client address an hour (default 20, 20, 20)
  CIVIC311_SIGN_IN_FAILURES_PER_ACCOUNT, CIVIC311_SIGN_IN_FAILURES_PER_ADDRESS, CIVIC311_SIGN_IN_LOCKOUT_MINUTES
                        staff sign-in: wrong passwords or codes allowed per account and per address in a
                        window of that many minutes (default 5, 20, 15)
  CIVIC311_SIGN_IN_LINK_MINUTES, CIVIC311_SIGN_IN_LINKS_PER_EMAIL, CIVIC311_SIGN_IN_LINKS_PER_ADDRESS
                        e-mailed sign-in links (liaisons, "my requests"): minutes a link lasts, links asked for
                        per e-mail address and per client address an hour (default 15, 5, 20)
  SECRET_KEY            required when DEBUG is off
  ALLOWED_HOSTS         comma list                           (default: localhost names)
  DEBUG                 1/0                                  (default: 1 only when no SECRET_KEY is set)
  CSRF_TRUSTED_ORIGINS  comma list of https://… origins behind a proxy
  EMAIL_URL-style       EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS
                        (without EMAIL_HOST, mail is written to .eml files in EMAIL_FILE_PATH, default ./var/mail/)
  DEFAULT_FROM_EMAIL    sender of outbound mail
  MEDIA_ROOT            where uploaded photos are kept       (default: ./var/media)
  MEDIA_STORAGE, MEDIA_STORAGE_OPTIONS   another storage backend for them (a dotted class, its options as JSON)
  MAP_TILE_URL          Leaflet tile template; empty for no base layer
  CIVIC311_PUBLIC_URL   the site's public address, e.g. https://311.example.gov (links in e-mails and forwarded
                        requests; default: https://<the jurisdiction's host>)
  CIVIC311_OPEN311_TEST_URL  the Open311 test endpoint listed in discovery (default: the production one)
  CIVIC311_LEASE_SECONDS     how long a worker's claim on an outbox row lasts before another may take it (300)
  CIVIC311_DEFAULT_JURISDICTION  the jurisdiction_id (e.g. phila.gov) of the jurisdiction a call that names
                        none and comes to no jurisdiction's host is for (default: the one marked default in
                        the admin, else the only one); docs/open311.md, "jurisdiction_id"
  CIVIC311_RETAIN_CONTACT_DAYS   days residents' contact details are kept after their last request closes
                        (default 730); CIVIC311_RETAIN_SURVEY_CALLBACK_DAYS survey callback numbers (30, at
                        least 7), CIVIC311_RETAIN_MESSAGE_DAYS sent e-mail/SMS addresses and texts (90),
                        CIVIC311_RETAIN_AUDIT_DAYS the personal-data audit (1095), CIVIC311_RETAIN_INBOX_DAYS
                        inbox conversations after they are done (365), CIVIC311_RETAIN_DECLINED_APPLICATIONS_DAYS
                        declined liaison applications after the decision (365); docs/privacy.md
  CIVIC311_LIAISON_REFRESHER_MONTHS  months after a liaison's training that their refresher is due (default 12)
  CIVIC311_ESCALATION_STALE_DAYS  an escalation step or missed date older than this is never acted on (30);
                        docs/escalation.md
  CIVIC311_DEMO         1 to install the demo city's app (seed_demo_city, demo_login); bin/demo sets it (default 0)
  CIVIC311_GEOCODER     where typed addresses find their point: address_points (the city's own, loaded with
                        manage.py load_address_points; default), nominatim or pelias, with CIVIC311_GEOCODER_URL
                        the city's own server; docs/geocoding.md
  CIVIC311_PHONE_REGION  the country (ISO 3166 code, default US) of phone numbers written without +country
                        code (manage.py refuses an unknown code); numbers are stored as E.164 (+12156868686)
                        and shown in this country's format
  CIVIC311_SUGGESTION_FLOOR  the service suggester's confidence under which it says "unsure" (default 0.4);
                        CIVIC311_TEXT_MODELS_KEPT how many trained versions of a city's model are kept (5)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CIVIC311_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


_secret = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", default=not _secret)
if not _secret and not DEBUG:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
# The fallback key is only ever used by the local demo and the test suite (DEBUG on, no SECRET_KEY).
SECRET_KEY = _secret or "civic311-insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "huey.contrib.djhuey",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "nested_admin",  # a service's questions and their choices on one admin page
    # civic311's own apps, one per domain
    "civic311.people",
    "civic311.jurisdictions",
    "civic311.catalogue",
    "civic311.service_requests",
    "civic311.open311",
    "civic311.notifications",
    "civic311.public",
    "civic311.console",
    "civic311.work",
    "civic311.knowledge",
    "civic311.insights",
    "civic311.emergencies",
    "civic311.social",
    "civic311.text_intelligence",
    "civic311.inbox",
    "civic311.surveys",
    "civic311.community",
    "civic311.staff_api",
    "civic311.opendata",
    "civic311.privacy",  # above people, requests, notifications and surveys: it reaches into all of them
]
# The demo city (its commands seed_demo_city and demo_login) only where it is wanted: bin/demo and the test
# suite set CIVIC311_DEMO=1; a production site never has it. Nothing outside civic311.demo imports it.
CIVIC311_DEMO = env_bool("CIVIC311_DEMO", default=False)
if CIVIC311_DEMO:
    INSTALLED_APPS.append("civic311.demo")

MIDDLEWARE = [
    "civic311.machine_api.MachineApiMiddleware",  # Open311 leaves here for MACHINE_API_MIDDLEWARE below
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "civic311.public.middleware.csrf_cookie_on_every_page",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "civic311.jurisdictions.middleware.JurisdictionMiddleware",
    "csp.middleware.CSPMiddleware",
    "civic311.insights.middleware.VisitorMiddleware",
]
# Programs calling these paths hold an API key and read JSON or XML: no session, CSRF token, sign-in, messages,
# or visitor cookie apply to them (civic311/machine_api.py).
MACHINE_API_PREFIXES = ["/open311/"]
MACHINE_API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # errors in the caller's language (Accept-Language)
    "django.middleware.common.CommonMiddleware",  # Content-Length (else gunicorn would answer chunked)
    # The same headers as a page: an answer opened in a browser is framed by nothing and runs nothing.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "civic311.urls"
WSGI_APPLICATION = "civic311.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "civic311" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civic311.jurisdictions.context_processors.jurisdiction",
                "civic311.people.staff_pages.staff_navigation",
                "civic311.emergencies.context_processors.emergency",
                "civic311.public.context_processors.draft_language",
            ],
        },
    },
]

# PgBouncer in transaction mode in front of PostgreSQL (docs/running-in-production.md, "PostgreSQL").
PGBOUNCER = env_bool("DATABASE_PGBOUNCER", default=False)


def database(url: str) -> dict[str, Any]:
    """One database's settings from its URL; the primary and its replica get the same options."""
    config: dict[str, Any] = dict(
        dj_database_url.parse(
            url,
            conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    )
    options: dict[str, Any] = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server read while the job worker writes; IMMEDIATE avoids lock upgrades;
        # synchronous=FULL makes an accepted request durable before the reply, even across a power cut.
        options.update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            }
        )
        config["CONN_MAX_AGE"] = 0
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that asks the server nothing while its socket is quiet
        # (civic311/postgresql/base.py).
        config["ENGINE"] = "civic311.postgresql"
        # A database host that does not answer fails the request in seconds, not after the TCP timeout.
        options.setdefault("connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5")))
        # PostgreSQL's JIT compiles any query its planner thinks costly, which for civic311's short index
        # reads (a busy service's 90-day count) added ~150 ms of compiling to a 20 ms query. Off unless asked.
        if not env_bool("DATABASE_JIT", default=False) and not PGBOUNCER:
            options["options"] = f"{options.get('options', '')} -c jit=off".strip()
        timeout_ms = int(os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "0"))
        # Web requests only (deploy/gunicorn.conf.py marks the web server): migrations and jobs are never cut
        # off. Behind PgBouncer the `options` start-up parameter is not passed on: set it on the role there.
        if timeout_ms > 0 and os.environ.get("CIVIC311_WEB_SERVER") == "1" and not PGBOUNCER:
            options["options"] = f"{options.get('options', '')} -c statement_timeout={timeout_ms}".strip()
        # Server-side binding, and each statement prepared once a connection has run it a few times: the
        # planner's work for intake's inserts and the hot reads is done once per connection, not per call;
        # heavy reads are never prepared (civic311/postgresql/base.py)
        # (PostgreSQL's CPU per Open311 POST fell by about two thirds, docs/benchmarks.md). Behind PgBouncer
        # only with its prepared-statement support (1.21+, max_prepared_statements > 0):
        # DATABASE_PREPARED_STATEMENTS=1.
        if env_bool("DATABASE_PREPARED_STATEMENTS", default=not PGBOUNCER):
            options["server_side_binding"] = True
            options["prepare_threshold"] = int(os.environ.get("DATABASE_PREPARE_THRESHOLD", "2"))
        if PGBOUNCER:
            # Transaction pooling hands each transaction any server connection; a cursor declared in one
            # would be gone in the next.
            config["DISABLE_SERVER_SIDE_CURSORS"] = True
    return config


DATABASES = {"default": database(os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'civic311.sqlite3'}")}
if os.environ.get("DATABASE_REPLICA_URL"):
    # Heavy reads go there (civic311/db_routing.py). Tests read the primary under this name (MIRROR).
    DATABASES["replica"] = {**database(os.environ["DATABASE_REPLICA_URL"]), "TEST": {"MIRROR": "default"}}
# Harmless without a replica: every read and write then goes to "default".
DATABASE_ROUTERS = ["civic311.db_routing.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The queue's open-work index keeps extra columns in it on PostgreSQL (INCLUDE); SQLite builds the same index
# without them, which is all it can do, and says so on every check.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "people.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Internationalisation: English is the source language. Residents read the seventeen languages of Philly311's
# app, in its menu's order (public/resident_languages.py; tests/test_resident_catalogues.py fails when one is
# incomplete); staff pages are complete in English and Spanish. All but English and Spanish are drafts until
# a speaker reviews them (docs/languages.md).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("vi", _("Vietnamese")),
    ("ru", _("Russian")),
    ("ko", _("Korean")),
    ("ar", _("Arabic")),
    ("ht", _("Haitian Creole")),
    ("fr", _("French")),
    ("pt", _("Portuguese")),
    ("sw", _("Swahili")),
    ("km", _("Khmer")),
    ("it", _("Italian")),
    ("pl", _("Polish")),
    ("uk", _("Ukrainian")),
    ("bn", _("Bengali")),
]
# The language menu lists each language in its own name: Django does not know Haitian Creole, and names Khmer
# in English.
LANG_INFO.setdefault("ht", {"bidi": False, "code": "ht", "name": "Haitian Creole", "name_local": "Kreyòl ayisyen"})
LANG_INFO["km"] = {**LANG_INFO["km"], "name_local": "ភាសាខ្មែរ"}
LOCALE_PATHS = [BASE_DIR / "civic311" / "locale"]
USE_I18N = True
USE_TZ = True
# Stored in UTC; shown in the jurisdiction's zone (JurisdictionMiddleware activates it per request).
TIME_ZONE = "America/New_York"

MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE") or "django.core.files.storage.FileSystemStorage"
_MEDIA_OPTIONS_ERROR = 'MEDIA_STORAGE_OPTIONS must be a JSON object, e.g. {"bucket_name": "civic311-media"}'
try:
    MEDIA_STORAGE_OPTIONS: dict[str, Any] = json.loads(os.environ.get("MEDIA_STORAGE_OPTIONS") or "{}")
except ValueError as error:
    raise RuntimeError(_MEDIA_OPTIONS_ERROR) from error
if not isinstance(MEDIA_STORAGE_OPTIONS, dict):
    raise RuntimeError(_MEDIA_OPTIONS_ERROR)

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "civic311" / "static"]
STORAGES = {
    # Uploaded photos: files under MEDIA_ROOT (shared by every host), or an object store's backend a city
    # installs itself, e.g. MEDIA_STORAGE=storages.backends.s3.S3Storage with MEDIA_STORAGE_OPTIONS as JSON.
    "default": {"BACKEND": MEDIA_STORAGE, "OPTIONS": MEDIA_STORAGE_OPTIONS},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Uploads: photos are checked and re-encoded by civic311.service_requests.photos; these stop abuse earlier.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
CIVIC311_PHOTO_MAX_BYTES = int(os.environ.get("CIVIC311_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
CIVIC311_PHOTOS_PER_REQUEST = 5
CIVIC311_DESCRIPTION_MAX_CHARS = 4000
CIVIC311_RESIDENT_REOPEN_DAYS = int(os.environ.get("CIVIC311_RESIDENT_REOPEN_DAYS", "14"))
# Where a typed address finds its point (civic311.jurisdictions.geocoding): nothing leaves the server unless a
# city runs its own Nominatim or Pelias and names it here.
CIVIC311_GEOCODER = os.environ.get("CIVIC311_GEOCODER", "address_points")
CIVIC311_GEOCODER_URL = os.environ.get("CIVIC311_GEOCODER_URL", "")
# A neighborhood liaison's refresher training is due this many months after their last training (civic311.community).
CIVIC311_LIAISON_REFRESHER_MONTHS = max(1, int(os.environ.get("CIVIC311_LIAISON_REFRESHER_MONTHS", "12")))
# An escalation step or a missed-date redress whose moment passed longer ago than this is history, never
# fired late (docs/escalation.md, "History is history").
CIVIC311_ESCALATION_STALE_DAYS = int(os.environ.get("CIVIC311_ESCALATION_STALE_DAYS", "30"))
CIVIC311_PUBLIC_URL = os.environ.get("CIVIC311_PUBLIC_URL", "").rstrip("/")
CIVIC311_OPEN311_TEST_URL = os.environ.get("CIVIC311_OPEN311_TEST_URL", "")
CIVIC311_DEFAULT_JURISDICTION = os.environ.get("CIVIC311_DEFAULT_JURISDICTION", "").strip()
# Phone numbers written without "+" and a country code are read as this country's (civic311.people.contact_details).
CIVIC311_PHONE_REGION = os.environ.get("CIVIC311_PHONE_REGION", "US").strip().upper() or "US"
# Emergency mode's one coordinated message: e-mail addresses (comma-separated) and social accounts
# ("x=@phl311,facebook=Philly311"; unset: the demo's accounts, written to var/social-outbox.jsonl; empty: none).
# The raw search log (queries as typed may hold an address) is pruned after this many days; rollups stay.
CIVIC311_SEARCH_LOG_RETENTION_DAYS = int(os.environ.get("CIVIC311_SEARCH_LOG_RETENTION_DAYS", "90"))
# The service suggester (civic311.text_intelligence): below this confidence it says "unsure" and pre-selects
# nothing; this many newest trained versions of a city's model are kept (the one in use never deleted).
CIVIC311_SUGGESTION_FLOOR = float(os.environ.get("CIVIC311_SUGGESTION_FLOOR", "0.4"))
CIVIC311_TEXT_MODELS_KEPT = max(1, int(os.environ.get("CIVIC311_TEXT_MODELS_KEPT", "5")))
# Privacy over time (civic311.privacy.retention, docs/privacy.md): how long personal data is kept.
CIVIC311_RETAIN_CONTACT_DAYS = int(os.environ.get("CIVIC311_RETAIN_CONTACT_DAYS", "730"))
# At least the surveys' weekly "not called twice" rule, which matches callback numbers of the last 7 days.
CIVIC311_RETAIN_SURVEY_CALLBACK_DAYS = max(7, int(os.environ.get("CIVIC311_RETAIN_SURVEY_CALLBACK_DAYS", "30")))
CIVIC311_RETAIN_MESSAGE_DAYS = int(os.environ.get("CIVIC311_RETAIN_MESSAGE_DAYS", "90"))
CIVIC311_RETAIN_AUDIT_DAYS = int(os.environ.get("CIVIC311_RETAIN_AUDIT_DAYS", "1095"))
# An inbox conversation's personal data (who wrote, what, their photos), this long after it was done.
CIVIC311_RETAIN_INBOX_DAYS = int(os.environ.get("CIVIC311_RETAIN_INBOX_DAYS", "365"))
CIVIC311_RETAIN_DECLINED_APPLICATIONS_DAYS = int(os.environ.get("CIVIC311_RETAIN_DECLINED_APPLICATIONS_DAYS", "365"))
CIVIC311_EMERGENCY_BROADCAST_EMAILS = os.environ.get("CIVIC311_EMERGENCY_BROADCAST_EMAILS", "")
if "CIVIC311_SOCIAL_ACCOUNTS" in os.environ:
    CIVIC311_SOCIAL_ACCOUNTS = os.environ["CIVIC311_SOCIAL_ACCOUNTS"]
CIVIC311_SOCIAL_BACKEND = os.environ.get("CIVIC311_SOCIAL_BACKEND", "")

MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")

# Background work: Django's tasks API, run by Huey. SQLite storage by default; Redis in production.
REDIS_URL = os.environ.get("REDIS_URL", "")
# How long a worker's claim on an outbox or forwarding row lasts (civic311/leases.py): longer than any send
# takes; a row claimed by a worker that died is taken over after it.
CIVIC311_LEASE_SECONDS = int(os.environ.get("CIVIC311_LEASE_SECONDS", "300"))
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", default=False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": "civic311",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "4")), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "civic311",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"},
    }
# The shared cache, one for every process and host: rate limits (civic311/rate_limits.py) and cached
# figures. Redis when there is one; else a database table (created by migrations and bin/setup). TIMEOUT
# outlasts the longest rate-limit window: the database cache's incr() resets an entry's expiry to it.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "civic311.redis_cache.RedisCache",  # Django's, with one client per pool
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "civic311",
            "TIMEOUT": 7200,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "civic311_cache",
            "TIMEOUT": 7200,
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
# Reverse proxies whose X-Forwarded-For is believed (the same hosts as gunicorn's FORWARDED_ALLOW_IPS).
CIVIC311_TRUSTED_PROXIES = env_list("CIVIC311_TRUSTED_PROXIES", "127.0.0.1,::1")
# Public writes per client address an hour, and staff sign-in failures per window (docs/second-factor.md).
CIVIC311_REPORTS_PER_HOUR = int(os.environ.get("CIVIC311_REPORTS_PER_HOUR", "20"))
CIVIC311_COMMENTS_PER_HOUR = int(os.environ.get("CIVIC311_COMMENTS_PER_HOUR", "20"))
CIVIC311_SIGN_IN_FAILURES_PER_ACCOUNT = int(os.environ.get("CIVIC311_SIGN_IN_FAILURES_PER_ACCOUNT", "5"))
CIVIC311_SIGN_IN_FAILURES_PER_ADDRESS = int(os.environ.get("CIVIC311_SIGN_IN_FAILURES_PER_ADDRESS", "20"))
CIVIC311_SIGN_IN_LOCKOUT_MINUTES = max(1, int(os.environ.get("CIVIC311_SIGN_IN_LOCKOUT_MINUTES", "15")))
# Passwordless sign-in by e-mail link (liaisons, residents' "my requests"): how long a link lasts, and how
# many links one address and one client may ask for an hour.
CIVIC311_SIGN_IN_LINK_MINUTES = max(1, int(os.environ.get("CIVIC311_SIGN_IN_LINK_MINUTES", "15")))
CIVIC311_SIGN_IN_LINKS_PER_EMAIL = int(os.environ.get("CIVIC311_SIGN_IN_LINKS_PER_EMAIL", "5"))
CIVIC311_SIGN_IN_LINKS_PER_ADDRESS = int(os.environ.get("CIVIC311_SIGN_IN_LINKS_PER_ADDRESS", "20"))

TASKS = {
    "default": {
        "BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend",
        # A task that reads what a request wrote must not run before that write is committed.
        "ENQUEUE_ON_COMMIT": True,
    }
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    # Without an SMTP host (the demo) each e-mail is a file, and the log says only where: never residents'
    # addresses or messages on the console.
    else "civic311.notifications.mail_files.EmailBackend",
)
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "civic311 <no-reply@localhost>")

# Notifications (civic311.notifications, docs/notifications.md): the outbox, SMS and webhooks.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "civic311.notifications.channels.FileSmsBackend")
SMS_FILE_DIR = Path(os.environ.get("SMS_FILE_DIR", VAR_DIR / "sms"))
NOTIFICATIONS_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATIONS_MAX_ATTEMPTS", "8"))
NOTIFICATIONS_BACKOFF_BASE_SECONDS = int(os.environ.get("NOTIFICATIONS_BACKOFF_BASE_SECONDS", "60"))
NOTIFICATIONS_BACKOFF_CAP_SECONDS = int(os.environ.get("NOTIFICATIONS_BACKOFF_CAP_SECONDS", "7200"))
NOTIFICATIONS_SMTP_TIMEOUT = int(os.environ.get("NOTIFICATIONS_SMTP_TIMEOUT", "30"))
NOTIFICATIONS_MESSAGE_ID_DOMAIN = os.environ.get("NOTIFICATIONS_MESSAGE_ID_DOMAIN", "civic311.localhost")
# Links in messages when the site's public address is unknown: the local server on PORT (bin/demo's port),
# so the worker's e-mails point where `runserver` actually listens.
NOTIFICATIONS_FALLBACK_URL = (
    os.environ.get("NOTIFICATIONS_FALLBACK_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}"
)
NOTIFICATIONS_SUBSCRIBE_PER_HOUR = int(os.environ.get("NOTIFICATIONS_SUBSCRIBE_PER_HOUR", "20"))

# The staff API (civic311.staff_api, docs/staff-api.md): a token first, so an anonymous call is a 401.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "civic311 staff API",
    "DESCRIPTION": (
        "For staff tools: departments, services, service requests and their history, contacts, customers, the "
        "inbox and subscriptions. See docs/staff-api.md."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {"StatusEnum": "civic311.service_requests.lifecycle.Status"},
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the installed drf-spectacular-sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Security headers. HTTPS-only cookies and HSTS are on whenever DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response, the admin's and the API docs' (/api/docs/) too: everything is
# served from our own origin (vendored scripts, drf-spectacular-sidecar, no CDN), and no page has an
# inline script or style. Map tiles are the one exception, allowed as images from any https: tile server.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:", "blob:", "https:"],
        "style-src": [SELF],
        "script-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))

# No personal data in logs: requests are logged by tracking number only; Django's request logger
# prints paths, never bodies.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # WeasyPrint logs every step of every PDF at INFO; its warnings (a missing font) still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
