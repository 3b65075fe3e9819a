"""The import rule: a 311 export (Philadelphia's `public_cases_fc`, or any city's through a mapping file)
loaded into a jurisdiction's service requests. The command (`manage.py import_requests`) calls it, and a
staff upload page can call the same function.

- Upserts by the source's id (our tracking number): safe to re-run, nothing duplicated; a second run of
  the same file changes nothing and says so (new, updated, unchanged).
- Every row not loaded is reported with its line and reason (the rejects CSV and the result); the import
  never stops at a bad row and never drops one silently.
- Batches of `batch_size` rows: each commits whole or not at all. A database error rolls its batch back,
  is reported with the batch's line range, and stops the import; earlier batches stay, and a re-run
  resumes safely thanks to the upsert.
- The jurisdiction's next tracking number is moved above every all-digit id before its batch is written,
  so requests filed here never take an imported number.
"""

from __future__ import annotations

import csv
import gc
import io
import logging
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from django.db import DatabaseError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import translation

from civic311.jurisdictions import tracking_numbers
from civic311.jurisdictions.models import Jurisdiction
from civic311.open311 import selectors as open311_reads
from civic311.service_requests.models import ServiceRequest

from .importer import (
    REASONS,
    Batch,
    BatchWriter,
    Geography,
    Reject,
    RowChecker,
    ServiceFinder,
    SourceError,
    SourceReader,
)
from .mapping import ColumnMapping, MappingError, philadelphia_mapping

if TYPE_CHECKING:
    from _csv import Writer as CsvWriter

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "REASONS",
    "BatchFailure",
    "BatchReport",
    "ImportResult",
    "MappingError",
    "Progress",
    "SourceError",
    "import_requests",
]

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 50_000
EXAMPLES_KEPT = 20  # rejects kept in the result for the summary (all of them go to the rejects file)
REJECTS_HEADER = ("line", "reason", "detail")


@dataclass(frozen=True)
class BatchReport:
    number: int
    first_line: int
    last_line: int
    read: int
    accepted: int
    rejected: int
    inserted: int
    updated: int
    seconds: float

    @property
    def unchanged(self) -> int:
        return self.accepted - self.inserted - self.updated


@dataclass(frozen=True)
class BatchFailure:
    number: int
    first_line: int
    last_line: int
    error: str


@dataclass(frozen=True)
class Progress:
    read: int
    accepted: int
    rejected: int
    seconds: float
    batch: BatchReport | None = None  # set when a batch has just been committed (or checked, in a dry run)

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ImportResult:
    dry_run: bool = False
    read: int = 0
    accepted: int = 0  # loaded (or, in a dry run, that would be)
    inserted: int = 0
    updated: int = 0
    existing: int = 0  # dry run only: accepted rows whose id the jurisdiction already has
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    first_line_by_reason: dict[str, int] = field(default_factory=dict)
    examples: list[Reject] = field(default_factory=list)
    batches: list[BatchReport] = field(default_factory=list)
    failure: BatchFailure | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    next_tracking_number: int = 0

    @property
    def unchanged(self) -> int:
        return 0 if self.dry_run else self.accepted - self.inserted - self.updated

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    @property
    def complete(self) -> bool:
        """Every row read was loaded."""
        return self.failure is None and self.rejected == 0


def import_requests(
    jurisdiction: Jurisdiction,
    source: str | Path | BinaryIO,
    mapping: ColumnMapping | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    rejects: TextIO | None = None,
    dry_run: bool = False,
    progress: Callable[[Progress], None] | None = None,
    writers: int | None = None,
) -> ImportResult:
    """Load `source` (a path or a binary file) into `jurisdiction`'s requests; see the module's rules.

    `mapping`: Philadelphia's `public_cases_fc` when None. `rejects`: a text stream (opened with
    newline="") that gets a CSV of every rejected row: line, reason, detail, then the row as read.
    `dry_run`: check everything and write the rejects, but write nothing to the database.
    Raises MappingError or SourceError when the file cannot be imported at all (before writing anything).
    Call it outside any transaction of your own, or batches cannot commit one by one.

    The file is read and checked in a thread of its own (no database work) while this one writes the
    batch before, so `progress` may be called from either thread. `writers`: how many batches are written
    at once, each on its own connection (default: `PARALLEL_WRITERS` on PostgreSQL, one on SQLite, in a
    dry run or inside the caller's transaction).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    mapping = mapping or philadelphia_mapping()
    started = time.monotonic()
    result = ImportResult(dry_run=dry_run)
    connection = connections[router.db_for_write(ServiceRequest)]
    writers = _writers_for(connection, writers, dry_run)
    services = ServiceFinder(jurisdiction, mapping)
    geography = Geography(jurisdiction)
    rejects_writer = csv.writer(rejects) if rejects is not None else None

    def checker_for(header: list[str]) -> RowChecker:
        return RowChecker(jurisdiction, mapping, header, services)

    def tick(read: int, accepted: int, rejected: int) -> None:
        if progress is not None:
            progress(Progress(read, accepted, rejected, time.monotonic() - started))

    with _opened(source, mapping.encoding) as stream, _without_cycle_collection():
        reader = SourceReader(
            stream, checker_for, delimiter=mapping.delimiter, batch_size=batch_size, geography=geography
        )
        result.notes.extend(reader.checker.notes)
        if rejects_writer is not None:
            rejects_writer.writerow([*REJECTS_HEADER, *reader.checker.header])

        def writer_here() -> BatchWriter:
            return BatchWriter(
                connections[connection.alias], jurisdiction, updates=reader.checker.present, actor_label=mapping.source
            )

        writer = writer_here()

        def settle(batch: Batch, batch_started: float, written: Callable[[], tuple[int, int]]) -> None:
            try:
                inserted, updated = written()
            except DatabaseError as exc:
                # The batch rolled back whole; what came before stays, and a re-run resumes by upsert.
                if result.failure is None:
                    result.failure = BatchFailure(
                        batch.number,
                        batch.first_line,
                        batch.last_line,
                        str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc),
                    )
                logger.warning(
                    "import into %s: batch %d (lines %d-%d) failed",
                    jurisdiction.slug,
                    batch.number,
                    batch.first_line,
                    batch.last_line,
                )
                return
            result.accepted += len(batch.rows)
            result.inserted += inserted
            result.updated += updated
            report = BatchReport(
                batch.number,
                batch.first_line,
                batch.last_line,
                batch.read,
                len(batch.rows),
                len(batch.rejects),
                inserted,
                updated,
                time.monotonic() - batch_started,
            )
            result.batches.append(report)
            if progress is not None:
                progress(Progress(result.read, result.accepted, result.rejected, time.monotonic() - started, report))

        batches = _read_ahead(lambda: reader.batches(tick))
        with _ParallelBatches(writers, writer_here) as parallel:
            try:
                for batch in batches:
                    _count_rejects(result, batch, rejects_writer)
                    result.read += batch.read
                    if not dry_run and batch.top_number is not None:
                        # Here, one batch at a time: two moves at once could take the number back.
                        tracking_numbers.keep_above(jurisdiction, batch.top_number)
                    if parallel is None:
                        written = (
                            partial(_count_existing, batch, writer, result)
                            if dry_run
                            else partial(_write, batch, writer)
                        )
                        settle(batch, time.monotonic(), written)
                    else:
                        for done in parallel.submit(batch):
                            settle(*done)
                    if result.failure is not None:
                        break
                if parallel is not None:
                    for done in parallel.drain(cancel=result.failure is not None):
                        settle(*done)
            finally:
                batches.close()  # stops the reading thread when the import stops early

    if result.inserted or result.updated:
        # Requests of the past changed: Open311's kept totals of past windows must be counted again.
        open311_reads.forget_settled_counts(jurisdiction.pk)
    result.seconds = time.monotonic() - started
    result.next_tracking_number = tracking_numbers.next_number(jurisdiction)
    logger.info(
        "import into %s%s: %d read, %d new, %d updated, %d rejected in %.1f s",
        jurisdiction.slug,
        " (dry run)" if dry_run else "",
        result.read,
        result.inserted,
        result.updated,
        result.rejected,
        result.seconds,
    )
    return result


def _count_existing(batch: Batch, writer: BatchWriter, result: ImportResult) -> tuple[int, int]:
    """A dry run's batch: nothing written, only how many of its ids the jurisdiction already has."""
    result.existing += len(writer.existing([row[0] for row in batch.rows]))
    return 0, 0


def _write(batch: Batch, writer: BatchWriter) -> tuple[int, int]:
    """One batch in one transaction. The tracking numbers were moved above the batch's before, in their own
    short statement: a request filed meanwhile takes a number above the batch's, and a batch that then
    fails leaves a gap in the numbers, never a shared number."""
    with transaction.atomic(using=writer.connection.alias):
        return writer.write(batch.rows)


PARALLEL_WRITERS = 2  # PostgreSQL's work is most of an import's (4:1 against reading and checking)


def _writers_for(connection: BaseDatabaseWrapper, asked: int | None, dry_run: bool) -> int:
    """Batches written at once. One on SQLite (one writer at a time), in a dry run, and inside the
    caller's transaction: other connections could not see what it has not committed."""
    if dry_run or connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, asked if asked is not None else PARALLEL_WRITERS)


Written = tuple[Batch, float, Callable[[], tuple[int, int]]]


class _ParallelBatches:
    """Batches written by `count` threads, each batch in its own transaction on the thread's own
    connection (closed after the batch), handed back in the order they were read.

    Why parallel: on two cores PostgreSQL's inserts into a big table's indexes take one core per
    connection, and reading the file takes little of the other. A failed batch stops the import; batches
    already being written finish (committed or rolled back whole), so a re-run resumes by upsert as always.
    """

    def __init__(self, count: int, writer_here: Callable[[], BatchWriter]) -> None:
        self.count = count
        self.writer_here = writer_here
        self.pool: ThreadPoolExecutor | None = None
        self.pending: deque[tuple[Batch, float, Future[tuple[int, int]]]] = deque()

    def __enter__(self) -> _ParallelBatches | None:
        if self.count <= 1:
            return None
        self.pool = ThreadPoolExecutor(self.count, thread_name_prefix="civic311-import-writer")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)  # nothing is left half-written behind the caller's back

    def _write_in_thread(self, batch: Batch) -> tuple[int, int]:
        writer = self.writer_here()
        try:
            return _write(batch, writer)
        finally:
            writer.connection.close()

    def submit(self, batch: Batch) -> Iterator[Written]:
        """Start writing `batch`; yields the oldest batches that had to finish to make room for it."""
        assert self.pool is not None
        self.pending.append((batch, time.monotonic(), self.pool.submit(self._write_in_thread, batch)))
        while len(self.pending) > self.count:
            yield self._oldest()

    def drain(self, *, cancel: bool) -> Iterator[Written]:
        """The batches still pending; with `cancel` (after a failure), those not yet begun are not written."""
        while self.pending:
            if cancel and self.pending[0][2].cancel():
                self.pending.popleft()
                continue
            yield self._oldest()

    def _oldest(self) -> Written:
        batch, started, future = self.pending.popleft()
        return batch, started, future.result


def _count_rejects(result: ImportResult, batch: Batch, rejects_writer: CsvWriter | None) -> None:
    for reject in batch.rejects:
        result.rejected += 1
        result.reasons[reject.reason] += 1
        result.first_line_by_reason.setdefault(reject.reason, reject.line)
        if len(result.examples) < EXAMPLES_KEPT:
            result.examples.append(reject)
        if rejects_writer is not None:
            rejects_writer.writerow([reject.line, reject.reason, reject.detail, *reject.row])


class _opened:
    """The source as text in the mapping's encoding; bytes it cannot decode are kept (as surrogates) so
    their row is rejected with its line instead of the whole import stopping."""

    def __init__(self, source: str | Path | BinaryIO, encoding: str) -> None:
        self.source, self.encoding = source, encoding
        self.binary: BinaryIO | None = None
        self.text: io.TextIOWrapper | None = None

    def __enter__(self) -> io.TextIOWrapper:
        if isinstance(self.source, str | Path):
            try:
                self.binary = open(self.source, "rb")  # closed in __exit__
            except OSError as exc:
                raise SourceError(str(exc)) from exc
            binary: BinaryIO = self.binary
        else:
            binary = self.source
        self.text = io.TextIOWrapper(binary, encoding=self.encoding, errors="surrogateescape", newline="")
        return self.text

    def __exit__(self, *exc_info: object) -> None:
        if self.text is not None:
            self.text.detach()  # the caller's binary file stays open; ours is closed below
        if self.binary is not None:
            self.binary.close()


def _read_ahead(batches: Callable[[], Iterator[Batch]]) -> Generator[Batch, None, None]:
    """`batches()` run in a thread of its own, one batch ahead: parsing and checking (Python's work, on one
    core) overlap the database's work on the batch before (on the other). An error in the thread is
    raised here; closing the generator stops the thread."""
    handoff: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=1)  # None: no more batches
    stop = threading.Event()
    language = translation.get_language()

    def put(item: Batch | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        with translation.override(language):
            try:
                for batch in batches():
                    if not put(batch):
                        return
                put(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the importing thread, which raises it
                put(exc)

    thread = threading.Thread(target=work, name="civic311-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """The import makes millions of short-lived lists and no reference cycles; Python's cycle collector
    would walk every live row again and again (about a third of the parsing time). Reference counting
    still frees everything; the collector is back on afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
