"""Settings for the test suite: the real settings, with fast hashing, an in-process job queue and a
throw-away media folder. DATABASE_URL still picks the database (SQLite by default, PostgreSQL in CI)."""

import os
import tempfile
from typing import Any, cast

os.environ.setdefault("HUEY_IMMEDIATE", "1")
os.environ["CIVIC311_DEMO"] = "1"  # the demo city's app and commands: many tests build the demo city
os.environ.setdefault("CIVIC311_VAR_DIR", tempfile.mkdtemp(prefix="civic311-test-var-"))

from civic311.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="civic311-test-media-"))  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# One process: an in-memory cache, emptied before each test (tests/conftest.py). The shared cache's own
# behaviour is tested with the database cache in tests/test_rate_limits.py.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
HUEY["immediate"] = True  # noqa: F405
cast(dict[str, Any], LOGGING["root"])["level"] = "WARNING"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (WhiteNoise warns on every request otherwise)
