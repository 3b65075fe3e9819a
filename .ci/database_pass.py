"""pytest plugin for .ci/run's second pass (the suite again on PostgreSQL): run only the tests whose outcome
can depend on the database. The first pass (SQLite) runs every test; a test that never reaches the database
would run a second time exactly as it did there, so the second pass leaves it out.

A test is kept when any of these holds:
- it reaches the test database: a pytest-django database fixture (db, transactional_db, ...) is among its
  fixtures, or a fixture of its own asks for django_db_blocker (module-scoped data), or it is marked django_db;
- it is marked replica or crash (those start PostgreSQL servers of their own);
- it carries a skip/skipif marker (such a test may run on one database only);
- its module's source names the database or its connection (DATABASE, django.db imports, connection(s),
  .vendor, postgres, psycopg): it may read settings or start processes that do.
Everything else is deselected here, and counted in the summary line; so is a test marked own_database
(it serves a database of its own, whatever DATABASE_URL says: it would run exactly as in the first pass).

Loaded by .ci/run: pytest -p database_pass (pyproject puts .ci on the path).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

DATABASE_FIXTURES = frozenset(
    {
        "_django_db_helper",
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "django_db_setup",
        "live_server",
        "admin_user",
        "admin_client",
        "django_user_model",
    }
)
KEEP_MARKERS = ("django_db", "replica", "crash", "skip", "skipif")
NAMES_THE_DATABASE = re.compile(
    r"DATABASE|django\.db import|\bconnections?\b|\.vendor\b|postgres|psycopg", re.IGNORECASE
)


@cache
def _module_names_the_database(path: str) -> bool:
    try:
        return bool(NAMES_THE_DATABASE.search(Path(path).read_text(encoding="utf-8")))
    except OSError:
        return True


def _unblocks_the_database(item: pytest.Item) -> bool:
    """A fixture outside pytest-django that asks for django_db_blocker (pytest-django's own autouse
    fixtures ask for it for every test)."""
    info = getattr(item, "_fixtureinfo", None)
    for definitions in info.name2fixturedefs.values() if info else ():
        for definition in definitions:
            if "django_db_blocker" in definition.argnames and not definition.func.__module__.startswith(
                "pytest_django"
            ):
                return True
    return False


def needs_the_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("own_database"):
        return False
    if DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())) or _unblocks_the_database(item):
        return True
    if any(item.get_closest_marker(name) for name in KEEP_MARKERS):
        return True
    return _module_names_the_database(str(item.path))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        (kept if needs_the_database(item) else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
