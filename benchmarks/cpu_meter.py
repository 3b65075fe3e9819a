"""CPU seconds spent by the web server's processes and by PostgreSQL's, read from /proc (Linux), so that a load
test can print the CPU each request cost on each side: (CPU after - CPU before) / requests served.

The web side is gunicorn's master and workers (a worker that exited is counted through the master's
cutime/cstime); the database side is every `postgres` process on the machine and the postmaster's reaped
children. Other work on the machine's PostgreSQL during a run is counted too: read the figures on a quiet
machine.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after its closing one.
    return text[text.rindex(")") + 2 :].split()


def _cpu(fields: list[str], *, children: bool) -> float:
    # Fields after the name, from 0: utime 11, stime 12, cutime 13, cstime 14 (proc(5), less the first two).
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def process_tree_cpu(root: int) -> float:
    """CPU seconds of `root` (with the children it has reaped) and of its living children."""
    fields = _stat(root)
    if fields is None:
        return 0.0
    total = _cpu(fields, children=True)
    for child in _children(root):
        child_fields = _stat(child)
        if child_fields is not None:
            total += _cpu(child_fields, children=False)
    return total


def postgres_cpu() -> float | None:
    """CPU seconds of every PostgreSQL process on this machine (None when none is visible)."""
    total, seen = 0.0, False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if name not in ("postgres", "postmaster"):
            continue
        fields = _stat(int(entry.name))
        if fields is None:
            continue
        seen = True
        # The postmaster (its parent is not postgres) also carries the backends that have exited.
        parent = int(fields[1])
        parent_name = ""
        with contextlib.suppress(OSError):
            parent_name = Path(f"/proc/{parent}/comm").read_text().strip()
        total += _cpu(fields, children=parent_name not in ("postgres", "postmaster"))
    return total if seen else None


@dataclass(frozen=True)
class Reading:
    web: float
    database: float | None


def read(web_root: int | None) -> Reading:
    return Reading(process_tree_cpu(web_root) if web_root else 0.0, postgres_cpu())


def per_request_ms(before: Reading, after: Reading, requests: int) -> tuple[float, float | None]:
    """Milliseconds of web and database CPU per request between two readings."""
    if requests <= 0:
        return float("nan"), None
    web = (after.web - before.web) * 1000 / requests
    database = (
        (after.database - before.database) * 1000 / requests
        if after.database is not None and before.database is not None
        else None
    )
    return web, database
