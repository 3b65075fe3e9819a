"""Heavy reads on a PostgreSQL read replica, when the deployment has one (`DATABASE_REPLICA_URL`).

Only reads that are large and may be a moment behind go there: the open data export, Open311's GET
calls and the leadership reports. Everything else, and every write, uses the primary, so a resident
always sees the request they have just filed on its track page.

    @reads_from_replica                 # a view (or any function) whose queries may read the replica
    with heavy_reads():                 # around code that runs its queries inside the block
        ...
    queryset.using(heavy_read_alias())  # for a generator that runs after the view has returned
    with primary_reads():               # inside a heavy read: what must be current (a cache being rebuilt)

Even inside `heavy_reads()` these reads stay on the primary (see `ReplicaRouter.db_for_read`):
reads inside a transaction on the primary (a service that reads, then writes, must see what it locks and
writes; a standby refuses SELECT … FOR UPDATE), and who-may-do-what rows (`PRIMARY_ONLY`), so that a
revoked role, session or API key takes effect at once.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connections

PRIMARY = "default"
REPLICA = "replica"
# App labels, or app_label.model, always read from the primary: identity, roles, sessions, API keys and
# the people's records (small tables whose staleness would be a security or privacy bug, not a delay).
# The database cache ("django_cache", Django's stand-in model for its table) too: a count or a rate kept there
# must be read where it was written.
PRIMARY_ONLY = frozenset({"auth", "authtoken", "sessions", "people", "open311.apikey", "django_cache"})

_heavy = contextvars.ContextVar("civic311_heavy_reads", default=False)
P = ParamSpec("P")
R = TypeVar("R")


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


def heavy_read_alias() -> str:
    """The database alias for a heavy read: the replica when there is one, else the primary."""
    return REPLICA if has_replica() else PRIMARY


@contextmanager
def heavy_reads() -> Iterator[None]:
    """Reads made inside the block (in this thread or task) may go to the replica."""
    token = _heavy.set(True)
    try:
        yield
    finally:
        _heavy.reset(token)


def in_heavy_reads() -> bool:
    """Whether this thread or task is inside `heavy_reads()` (and not inside `primary_reads()` within it)."""
    return _heavy.get()


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads made inside the block go to the primary, even inside `heavy_reads()`."""
    token = _heavy.set(False)
    try:
        yield
    finally:
        _heavy.reset(token)


def reads_from_replica(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a view (or any function): its reads are heavy reads. Put it nearest the function, under
    the decorators that sign in and check roles, so that those read the primary."""

    @functools.wraps(function)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with heavy_reads():
            return function(*args, **kwargs)

    return wrapped


def _primary_only(model: Any) -> bool:
    meta = model._meta
    # The database cache's stand-in model has an app_label but no label_lower.
    return meta.app_label in PRIMARY_ONLY or f"{meta.app_label}.{meta.model_name}" in PRIMARY_ONLY


class ReplicaRouter:
    """Sends reads made inside `heavy_reads()` to the replica; everything else to the primary.

    Without a replica it answers None everywhere, which is Django's behaviour without a router.
    """

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if not has_replica():
            return None
        # A transaction on the primary reads its own writes; a standby cannot lock rows.
        if connections[PRIMARY].in_atomic_block or _primary_only(model):
            return PRIMARY
        if _heavy.get():
            return REPLICA
        # Otherwise the primary, or (Django's rule) the database an instance in `hints` was read from:
        # rows read from the replica keep reading their relations there.
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return db == PRIMARY
