"""The WSGI application, ready before its first request: the URL configuration is imported (and with it every
view) when the worker starts, not inside the first request each worker happens to get, and what start-up made
is moved out of the cyclic garbage collector's reach (`gc.freeze`), so a full collection under load walks only
what requests made (a list of 1,000 requests builds many objects: docs/benchmarks.md)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - imports the URL modules and their views now
gc.freeze()
