"""Gunicorn settings for civic311.

    gunicorn --config deploy/gunicorn.conf.py civic311.wsgi:application

Each value can be changed through the environment, so one file serves every host:

  PORT / HOST          where to listen (default 127.0.0.1:8000; behind a reverse proxy on the same host)
  GUNICORN_BIND        overrides both, e.g. "unix:/run/civic311/gunicorn.sock"
  WEB_CONCURRENCY      worker processes (default: 2 x CPU cores + 1)
  GUNICORN_THREADS     threads per worker process (default 4)
  GUNICORN_TIMEOUT     seconds before a stuck request's worker is restarted (default 30)
  GUNICORN_MAX_REQUESTS  requests a worker serves before it is replaced (default 2000; 0 never: benchmarks)
  FORWARDED_ALLOW_IPS  proxies trusted to set X-Forwarded-* (default: this host only); give civic311's
                       CIVIC311_TRUSTED_PROXIES the same list (rate limits read X-Forwarded-For from them)

It also marks the processes it starts as the web server (CIVIC311_WEB_SERVER=1): settings.py applies
DATABASE_STATEMENT_TIMEOUT_MS to their database connections only, never to migrations or job workers.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import gunicorn.http.message as _message

# Read by civic311/settings.py in gunicorn's worker processes, which inherit this environment.
os.environ["CIVIC311_WEB_SERVER"] = "1"

_host, _port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
bind = [os.environ.get("GUNICORN_BIND") or f"{_host}:{_port}"]
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
# Threads let one process wait on the database for several requests at once. Each thread keeps its own
# PostgreSQL connection for DATABASE_CONN_MAX_AGE seconds: size max_connections for
# hosts x WEB_CONCURRENCY x GUNICORN_THREADS, plus the job workers.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never takes a server down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The heartbeat file lives in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108

# The longest request line: Open311's GET requests takes up to 1,000 service_request_id values, which with
# 32-character tracking numbers and percent-encoded commas is a query of 35,016 characters; civic311 serves
# queries up to 40,000 characters (civic311/open311/endpoints.py, MAX_QUERY_CHARS) and answers a longer one
# with a 400 in the caller's format. This limit leaves room above that for the method, the path and the
# HTTP version, so the longer ones reach civic311 to be refused there; only a line longer still gets
# gunicorn's own 400. gunicorn's default (4094) made 1,000 ids an HTML error page.
limit_request_line = 48 * 1024
# gunicorn silently lowers any limit above its MAX_REQUEST_LINE (8190) to that, and offers only 0
# ("unlimited", a request line that may grow without bound) beyond it: raise the ceiling to our limit.
# tests/test_open311_long_queries.py starts gunicorn with this file and sends 1,000 ids through it.
_message.MAX_REQUEST_LINE = max(_message.MAX_REQUEST_LINE, limit_request_line)

# Only the reverse proxy may say the original request was HTTPS (settings.SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs go to stdout/stderr for systemd's journal or the platform's log collector. The access log has
# no client address and no query string: requests are logged without personal data.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '"%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

# gunicorn >= 25 opens a control socket in $HOME by default; civic311 is managed by signals instead
# (systemctl reload = HUP, stop = TERM), and several instances on one host must not share the socket.
control_socket_disable = True
