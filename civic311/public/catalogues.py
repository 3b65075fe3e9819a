"""A small reader of gettext catalogues (.po files): what the translation tests check and the translation
review pages (`translation_selectors`) show, read the same way.

It reads what makemessages, msgmerge and the translators' editors write: entries separated by blank lines (or
not), comments, `#,` flags, `#:` references (kept without their line numbers), `msgctxt`, `msgid`,
`msgid_plural`, `msgstr` and `msgstr[n]` with continuation lines, and obsolete (`#~`) entries. It is no
general .po library: a line it cannot read is an error naming the file and line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

Key = tuple[str | None, str]  # (msgctxt, msgid): what identifies a message in a catalogue


class CatalogueError(AssertionError):
    """A line of a .po file the reader cannot read (an AssertionError, as the tests' reader raised)."""


class Entry:
    """One entry of a catalogue: the header (msgid "") is one too."""

    def __init__(self) -> None:
        self.flags: set[str] = set()
        self.msgctxt: str | None = None
        self.msgid = ""
        self.msgid_plural: str | None = None
        self.msgstr: dict[int, str] = {}
        self.obsolete = False
        self.references: list[str] = []  # the source files ("#:" lines), without line numbers

    @property
    def key(self) -> Key:
        return (self.msgctxt, self.msgid)

    @property
    def translated(self) -> bool:
        """Every form has a translation and none is fuzzy (Django does not use fuzzy translations)."""
        return bool(self.msgstr) and all(self.msgstr.values()) and "fuzzy" not in self.flags


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')


def _unquote(quoted: str) -> str:
    # PO string escapes (\" \\ \n \t) are a subset of Python's; these are plain string literals.
    value = ast.literal_eval(quoted)
    if not isinstance(value, str):
        raise CatalogueError(f"not a string: {quoted!r}")
    return value


def read_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") and obsolete ones included, in file order."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # the keyword that continuation lines add to

    def start() -> Entry:
        nonlocal entry, target
        entry, target = Entry(), None
        entries.append(entry)
        return entry

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~") and not line.startswith("#~|")
        if obsolete:
            line = line[2:].strip()
        if not line:
            entry, target = None, None
            continue
        if line.startswith("#"):  # comments, references, flags, previous msgids ("#|")
            current = start() if entry is None or target is not None else entry
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#:"):
                current.references += [place.rsplit(":", 1)[0] for place in line[2:].split()]
            continue
        current = entry or start()
        match = _KEYWORD.match(line)
        if match:
            keyword, index, quoted = match.groups()
            if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                current = start()  # the next entry, with no blank line before it
            target = (keyword, int(index or 0))
            text = _unquote(quoted)
        elif line.startswith('"') and target is not None:
            text = _unquote(line)
        else:
            raise CatalogueError(f"{path}:{number}: cannot read {raw!r}")
        current.obsolete = current.obsolete or obsolete
        keyword, position = target
        if keyword == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + text
        elif keyword == "msgid":
            current.msgid += text
        elif keyword == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + text
        else:
            current.msgstr[position] = current.msgstr.get(position, "") + text
    return entries


def messages(entries: list[Entry]) -> dict[Key, Entry]:
    """The live (not obsolete) messages, without the header."""
    return {entry.key: entry for entry in entries if entry.msgid and not entry.obsolete}
