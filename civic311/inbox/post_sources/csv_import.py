"""Posts from a CSV file (an export of a listening tool, a spreadsheet kept by hand).

Columns, in the first row: `uri,text,author_handle,author_name,posted_at,link,lat,long,media_urls` (`uri`,
`text` and `author_handle` are required; the others may be left out or empty; other columns are ignored).
`posted_at` is an ISO 8601 time (UTC unless it says otherwise), `lat`/`long` decimal degrees (both or
neither), `media_urls` URLs separated by spaces or `|`.

All or nothing: every row is checked first, and a file with any bad row imports nothing and gets a report of
every bad row (its line and column), so the file can be fixed and imported again as a whole. (Row-wise import
would leave the person importing to find out which rows are in and which are not.) A row whose uri was
imported before counts as a duplicate, not an error: importing the same file twice adds nothing. Cells are
kept as text exactly: a cell that looks like a spreadsheet formula (`=SUM(A1)`) is a post's text like any other.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..services import social
from ..services.receiving import Flooded
from . import Post, fetching

if TYPE_CHECKING:
    from ..models import PostSource

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
COLUMNS = ("uri", "text", "author_handle", "author_name", "posted_at", "link", "lat", "long", "media_urls")
REQUIRED = ("uri", "text", "author_handle")
LIMITS = {"uri": 500, "text": fetching.MAX_TEXT, "author_handle": 200, "author_name": 200, "link": 500}


@dataclass(frozen=True)
class RowError:
    line: int  # the file's line number (the header is line 1)
    column: str
    message: str

    def __str__(self) -> str:
        if not self.line:
            return self.message
        if self.column:
            return _("Line %(line)d, column %(column)s: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportReport:
    received: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _number(value: str, column: str, bound: float, errors: list[str]) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        errors.append(_("not a number"))
        return None
    if not -bound <= number <= bound:
        errors.append(_("out of range"))
        return None
    return number


def _row_post(row: dict[str, str], line: int, errors: list[RowError]) -> Post | None:
    found: list[RowError] = []

    def refuse(column: str, message: str) -> None:
        found.append(RowError(line, column, message))

    cells = {column: (row.get(column) or "").strip() for column in COLUMNS}
    for column in REQUIRED:
        if not cells[column]:
            refuse(column, _("required"))
    for column, limit in LIMITS.items():
        if len(cells[column]) > limit:
            refuse(column, _("longer than %(limit)d characters") % {"limit": limit})
    for column, value in cells.items():
        if "\x00" in value:
            refuse(column, _("contains a NUL character"))
    posted_at: dt.datetime | None = None
    if cells["posted_at"]:
        posted_at = fetching.parse_datetime(cells["posted_at"])
        if posted_at is None:
            refuse("posted_at", _("not an ISO 8601 time (2026-12-06T18:00:00Z)"))
    if cells["link"] and not fetching.http_url(cells["link"]):
        refuse("link", _("not an http(s) URL"))
    coordinates: dict[str, float | None] = {}
    for column, bound in (("lat", 90.0), ("long", 180.0)):
        problems: list[str] = []
        coordinates[column] = _number(cells[column], column, bound, problems)
        for problem in problems:
            refuse(column, problem)
    if bool(cells["lat"]) != bool(cells["long"]):
        refuse("lat", _("give both lat and long, or neither"))
    urls = [url for url in cells["media_urls"].replace("|", " ").split() if url]
    if any(not fetching.http_url(url) for url in urls):
        refuse("media_urls", _("not http(s) URLs"))
    if found:
        errors.extend(found)
        return None
    return Post(
        uri=cells["uri"],
        text=cells["text"],
        author_handle=cells["author_handle"],
        author_name=cells["author_name"],
        posted_at=posted_at,
        link=cells["link"],
        lat=coordinates["lat"],
        long=coordinates["long"],
        media_urls=fetching.media(urls),
    )


def read_posts(content: bytes) -> tuple[list[Post], list[RowError]]:
    """The posts of a CSV file, or the errors of its bad rows (then no posts)."""
    if len(content) > MAX_BYTES:
        return [], [RowError(0, "", _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(0, "", _("The file is not UTF-8 text; save it as CSV UTF-8."))]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [(name or "").strip() for name in (reader.fieldnames or [])]
    except csv.Error:
        return [], [RowError(1, "", _("The first line is not a CSV header."))]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        return [], [RowError(1, "", _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})]
    reader.fieldnames = header
    posts: list[Post] = []
    errors: list[RowError] = []
    try:
        for row in reader:
            if reader.line_num - 1 > MAX_ROWS:
                return [], [RowError(reader.line_num, "", _("At most %(max)d rows per file.") % {"max": MAX_ROWS})]
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue  # an empty line
            post = _row_post(row, reader.line_num, errors)
            if post is not None:
                posts.append(post)
    except csv.Error as error:
        return [], [RowError(reader.line_num, "", _("Not valid CSV (%(error)s).") % {"error": error})]
    if errors:
        return [], errors
    if not posts:
        return [], [RowError(1, "", _("The file has no posts."))]
    return posts, []


def import_posts(source: PostSource, content: bytes, *, now: dt.datetime | None = None) -> ImportReport:
    """Import a CSV file into the source's city's inbox, all or nothing (see the module's docstring)."""
    posts, errors = read_posts(content)
    if errors:
        return ImportReport(errors=errors)
    try:
        result = social.receive_posts(source, posts, now=now)
    except Flooded:
        return ImportReport(
            errors=[RowError(0, "", _("Too many posts from one author at once; nothing was imported."))]
        )
    except ValidationError as error:
        return ImportReport(errors=[RowError(0, "", message) for message in error.messages])
    return ImportReport(received=result.received, duplicates=result.duplicates)
