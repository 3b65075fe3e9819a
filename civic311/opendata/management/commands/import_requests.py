"""`manage.py import_requests FILE [--mapping FILE] [--jurisdiction CITY] [--batch-size N] [--rejects FILE]
[--dry-run]`: load a 311 export (Philadelphia's `public_cases_fc` by default) into a city's requests.

Exit codes: 0 every row loaded; 1 finished, but some rows were rejected (the rest are loaded; see the
rejects file); 2 usage error (bad option, unreadable file or mapping, unknown city, a required column
missing), nothing written; 3 a batch failed in the database and the import stopped (earlier batches stay;
run it again once the cause is fixed, it resumes by upsert).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civic311.jurisdictions.management.arguments import USAGE, add_jurisdiction_argument, jurisdiction_named
from civic311.opendata.importer import REASONS
from civic311.opendata.mapping import PHILADELPHIA, MappingError, load_mapping
from civic311.opendata.services import DEFAULT_BATCH_SIZE, ImportResult, Progress, SourceError, import_requests

# Its own exit codes; USAGE (2) is every set-up command's.
REJECTED, BATCH_FAILED = 1, 3
TTY_REFRESH_SECONDS = 0.2


class Command(BaseCommand):
    help = (
        "Import service requests from a 311 export: Philadelphia's public_cases_fc by default, any other "
        "city's through --mapping (TOML or JSON). Upserts by the source's id (safe to re-run), commits in "
        "batches, writes every rejected row with its line and reason to the rejects CSV. Exit 0: all loaded; "
        "1: some rows rejected; 2: usage error; 3: a batch failed in the database (earlier batches stay)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file to import.")
        parser.add_argument(
            "--mapping", help=f"A column-mapping file (default: {PHILADELPHIA.name}, Philadelphia's public_cases_fc)."
        )
        add_jurisdiction_argument(parser, required=False)
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per transaction (default {DEFAULT_BATCH_SIZE:,}).",
        )
        parser.add_argument("--rejects", help="Where the rejected rows go (default: FILE.rejects.csv).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row and write the rejects file, but change nothing in the database.",
        )

    def handle(
        self,
        *args,
        file: str,
        mapping: str | None,
        jurisdiction: str | None,
        batch_size: int,
        rejects: str | None,
        dry_run: bool,
        **options,
    ) -> None:
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."), returncode=USAGE)
        source = Path(file)
        if not source.is_file():
            raise CommandError(_("There is no file %(file)s.") % {"file": file}, returncode=USAGE)
        try:
            column_mapping = load_mapping(mapping or PHILADELPHIA)
        except MappingError as error:
            raise CommandError(
                _("The mapping cannot be used:\n  %(problems)s")
                % {
                    "problems": "\n  ".join(error.problems),
                },
                returncode=USAGE,
            ) from None
        city = jurisdiction_named(jurisdiction)
        rejects_path = Path(rejects) if rejects else source.with_name(source.name + ".rejects.csv")

        self.tty = self.stdout.isatty()
        self.last_refresh = 0.0
        self.printing = threading.Lock()  # progress comes from the reading thread too
        self.stdout.write(
            _("%(verb)s %(file)s into %(city)s with the mapping %(mapping)s, %(size)s rows a batch…")
            % {
                "verb": _("Checking") if dry_run else _("Importing"),
                "file": source.name,
                "city": city.name,
                "mapping": Path(column_mapping.path).name,
                "size": f"{batch_size:,}",
            }
        )
        # The summary says what the log line would; on a terminal it would also break the progress line.
        logger = logging.getLogger("civic311.opendata")
        level = logger.level
        logger.setLevel(logging.WARNING)
        try:
            with open(rejects_path, "w", newline="", encoding="utf-8", errors="surrogateescape") as rejects_file:
                result = import_requests(
                    city,
                    source,
                    column_mapping,
                    batch_size=batch_size,
                    rejects=rejects_file,
                    dry_run=dry_run,
                    progress=self._progress,
                )
        except (SourceError, MappingError) as error:
            rejects_path.unlink(missing_ok=True)  # nothing was read: an empty rejects file would only confuse
            raise CommandError(str(error), returncode=USAGE) from None
        except OSError as error:
            raise CommandError(str(error), returncode=USAGE) from None
        finally:
            logger.setLevel(level)
        if self.tty:
            self.stdout.write("")  # end the progress line
        self._summary(result, rejects_path)
        if result.failure is not None:
            failure = result.failure
            raise CommandError(
                _(
                    "Batch %(number)d (lines %(first)s-%(last)s) failed in the database and was rolled back: "
                    "%(error)s. The batches before it are loaded; fix the cause and run the import again "
                    "(it resumes safely)."
                )
                % {
                    "number": failure.number,
                    "first": f"{failure.first_line:,}",
                    "last": f"{failure.last_line:,}",
                    "error": failure.error,
                },
                returncode=BATCH_FAILED,
            )
        if result.rejected:
            raise CommandError(
                _("%(count)s rows were rejected; they are in %(file)s.")
                % {"count": f"{result.rejected:,}", "file": rejects_path},
                returncode=REJECTED,
            )

    def _progress(self, progress: Progress) -> None:
        with self.printing:
            self._show(progress)

    def _show(self, progress: Progress) -> None:
        counts = _("%(read)s rows read, %(accepted)s accepted, %(rejected)s rejected, %(speed)s rows/s") % {
            "read": f"{progress.read:,}",
            "accepted": f"{progress.accepted:,}",
            "rejected": f"{progress.rejected:,}",
            "speed": f"{progress.rows_per_second:,.0f}",
        }
        if self.tty:
            now = time.monotonic()
            if progress.batch is None and now - self.last_refresh < TTY_REFRESH_SECONDS:
                return
            self.last_refresh = now
            batch = (_("batch %(number)d done, ") % {"number": progress.batch.number}) if progress.batch else ""
            self.stdout.write(f"\r\x1b[K{batch}{counts}", ending="")
            self.stdout.flush()
        elif progress.batch is not None:
            done = progress.batch
            self.stdout.write(
                _(
                    "batch %(number)d, lines %(first)s-%(last)s: %(accepted)s accepted (%(new)s new, "
                    "%(updated)s updated, %(unchanged)s unchanged), %(rejected)s rejected, %(seconds).1f s"
                    " | %(counts)s"
                )
                % {
                    "number": done.number,
                    "first": f"{done.first_line:,}",
                    "last": f"{done.last_line:,}",
                    "accepted": f"{done.accepted:,}",
                    "new": f"{done.inserted:,}",
                    "updated": f"{done.updated:,}",
                    "unchanged": f"{done.unchanged:,}",
                    "rejected": f"{done.rejected:,}",
                    "seconds": done.seconds,
                    "counts": counts,
                }
            )

    def _summary(self, result: ImportResult, rejects_path: Path) -> None:
        write = self.stdout.write
        write(
            _("%(read)s rows read in %(seconds).1f s (%(speed)s rows/s).")
            % {"read": f"{result.read:,}", "seconds": result.seconds, "speed": f"{result.rows_per_second:,.0f}"}
        )
        for note in result.notes:
            write(_("Note: %(note)s") % {"note": note})
        if result.dry_run:
            write(
                _(
                    "Dry run: nothing was written. %(accepted)s rows would load (%(new)s new, %(existing)s already "
                    "here)."
                )
                % {
                    "accepted": f"{result.accepted:,}",
                    "new": f"{result.accepted - result.existing:,}",
                    "existing": f"{result.existing:,}",
                }
            )
        else:
            write(
                _("Loaded %(accepted)s: %(new)s new, %(updated)s updated, %(unchanged)s unchanged.")
                % {
                    "accepted": f"{result.accepted:,}",
                    "new": f"{result.inserted:,}",
                    "updated": f"{result.updated:,}",
                    "unchanged": f"{result.unchanged:,}",
                }
            )
            if result.accepted and not result.inserted and not result.updated:
                write(_("Nothing changed: the database already held every row as the file has it."))
        if result.rejected:
            write(
                _("Rejected %(count)s (every one is in %(file)s):")
                % {"count": f"{result.rejected:,}", "file": rejects_path}
            )
            for reason, count in result.reasons.most_common():
                write(
                    _("  %(count)9s  %(reason)-24s %(words)s (first on line %(line)s)")
                    % {
                        "count": f"{count:,}",
                        "reason": reason,
                        "words": REASONS.get(reason, ""),
                        "line": f"{result.first_line_by_reason[reason]:,}",
                    }
                )
            write(_("First rejected rows:"))
            for reject in result.examples[:10]:
                detail = f" {reject.detail}" if reject.detail else ""
                write(f"  {_('line')} {reject.line:,}: {reject.reason}{detail}")
        else:
            write(_("No row was rejected."))
        write(_("Next tracking number: %(number)s.") % {"number": f"{result.next_tracking_number}"})
