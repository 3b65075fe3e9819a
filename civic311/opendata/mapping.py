"""Column-mapping files: how another system's 311 export becomes our service requests.

A mapping file (TOML or JSON, the same keys) says which source column gives each of our fields, how its
dates are written, which source values mean which of our statuses, channels and services, and how the
file is encoded. `load_mapping` reads and checks one; `philadelphia_mapping` is the default, for
Philadelphia's `public_cases_fc` (and so for our own export). Every key is described in docs/open-data.md.
"""

from __future__ import annotations

import codecs
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Channel

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
PHILADELPHIA = MAPPINGS_DIR / "philadelphia.toml"

ISO = "iso"

# Our fields a source column can give.
FIELDS = (
    "tracking_number",
    "service_code",
    "service_name",
    "status",
    "status_notes",
    "channel",
    "description",
    "requested_at",
    "updated_at",
    "expected_at",
    "closed_at",
    "address",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
REQUIRED_FIELDS = ("tracking_number", "status", "requested_at")
TOP_LEVEL_KEYS = frozenset(
    {
        "source",
        "delimiter",
        "encoding",
        "time_zone",
        "date_formats",
        "default_channel",
        "columns",
        "status_values",
        "channel_values",
        "service_values",
    }
)
SOURCE_MAX = 100  # HistoryEntry.actor_label


class MappingError(Exception):
    """A mapping file that cannot be used; `problems` lists every reason, each a sentence."""

    def __init__(self, problems: list[str], *, path: str = "") -> None:
        self.problems = problems
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(where + " ".join(problems))


def normalized(value: str) -> str:
    """How a source value is compared with a value map's keys: spaces around and case do not matter."""
    return value.strip().casefold()


@dataclass(frozen=True)
class ColumnMapping:
    source: str
    columns: dict[str, str]  # our field → the source column's name in the header
    date_formats: tuple[str, ...] = (ISO,)
    time_zone: str = ""  # naive timestamps are in this zone; "" = the jurisdiction's
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    default_channel: str = Channel.IMPORT
    # Keys normalized (`normalized`); values are ours.
    status_values: dict[str, str] = field(default_factory=dict)
    channel_values: dict[str, str] = field(default_factory=dict)
    service_values: dict[str, str] = field(default_factory=dict)
    path: str = ""

    def maps(self, name: str) -> bool:
        return name in self.columns

    def zone(self, fallback: ZoneInfo) -> ZoneInfo:
        return ZoneInfo(self.time_zone) if self.time_zone else fallback


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a mapping file (.toml or .json by its name); MappingError when it cannot be read or used."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(
            [_("The mapping file cannot be read (%(error)s).") % {"error": exc}], path=str(path)
        ) from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(
            [
                _("The mapping file is not valid %(format)s: %(error)s.")
                % {"format": "JSON" if path.suffix.lower() == ".json" else "TOML", "error": exc}
            ],
            path=str(path),
        ) from exc
    return mapping_from_data(data, path=str(path))


def philadelphia_mapping() -> ColumnMapping:
    return load_mapping(PHILADELPHIA)


def mapping_from_data(data: object, *, path: str = "") -> ColumnMapping:
    """Check the mapping's keys and values; MappingError listing every problem at once."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise MappingError([_("A mapping is a table of keys (an object in JSON).")], path=path)
    for key in sorted(set(data) - TOP_LEVEL_KEYS):
        problems.append(_("“%(key)s” is not a mapping key.") % {"key": key})

    columns = _columns(data.get("columns"), problems)
    source = _text(data, "source", "System", problems)
    if len(source) > SOURCE_MAX:
        problems.append(_("“source” can be at most %(max)d characters.") % {"max": SOURCE_MAX})
    delimiter = _text(data, "delimiter", ",", problems)
    if len(delimiter) != 1 or delimiter in '\r\n"':
        problems.append(_("“delimiter” must be one character (not a quote or a line break)."))
    encoding = _text(data, "encoding", "utf-8-sig", problems)
    try:
        codecs.lookup(encoding)
    except LookupError:
        problems.append(_("“%(encoding)s” is not a known text encoding.") % {"encoding": encoding})
    time_zone = _text(data, "time_zone", "", problems)
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ValueError, ZoneInfoNotFoundError, OSError):  # a malformed key, no such zone, an unreadable file
            problems.append(_("“%(zone)s” is not a known time zone.") % {"zone": time_zone})
    date_formats = _date_formats(data.get("date_formats", [ISO]), problems)
    default_channel = _text(data, "default_channel", Channel.IMPORT, problems)
    if default_channel not in Channel.values:
        problems.append(_("“default_channel” must be one of: %(values)s.") % {"values": ", ".join(Channel.values)})

    status_values = _value_map(data, "status_values", Status.values, problems)
    channel_values = _value_map(data, "channel_values", Channel.values, problems)
    service_values = _value_map(data, "service_values", None, problems)
    if problems:
        raise MappingError(problems, path=path)
    return ColumnMapping(
        source=source,
        columns=columns,
        date_formats=date_formats,
        time_zone=time_zone,
        delimiter=delimiter,
        encoding=encoding,
        default_channel=default_channel,
        status_values=status_values,
        channel_values=channel_values,
        service_values=service_values,
        path=path,
    )


def _columns(value: object, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(_("The mapping needs a “columns” table: our field = the source's column."))
        return {}
    columns: dict[str, str] = {}
    for name, column in value.items():
        if name not in FIELDS:
            problems.append(
                _("“%(name)s” is not one of our fields (%(fields)s).") % {"name": name, "fields": ", ".join(FIELDS)}
            )
        elif not isinstance(column, str) or not column.strip():
            problems.append(_("columns.%(name)s must name a column.") % {"name": name})
        else:
            columns[name] = column.strip()
    missing = [name for name in REQUIRED_FIELDS if name not in columns]
    if missing:
        problems.append(_("The columns table must give %(fields)s.") % {"fields": ", ".join(missing)})
    if "service_code" not in columns and "service_name" not in columns:
        problems.append(_("The columns table must give service_code or service_name (or both)."))
    if ("lat" in columns) != ("long" in columns):
        problems.append(_("Give both lat and long, or neither."))
    return columns


def _text(data: dict, key: str, default: str, problems: list[str]) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        problems.append(_("“%(key)s” must be text.") % {"key": key})
        return default
    return value


def _date_formats(value: object, problems: list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        problems.append(
            _("“date_formats” must be a list of “iso” or strptime patterns such as “%m/%d/%Y %I:%M:%S %p”.")
        )
        return (ISO,)
    for pattern in value:
        if pattern != ISO and "%" not in pattern:
            problems.append(_("“%(pattern)s” is neither “iso” nor a strptime pattern.") % {"pattern": pattern})
    return tuple(value)


def _value_map(data: dict, key: str, allowed: list[str] | None, problems: list[str]) -> dict[str, str]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(_("“%(key)s” must be a table of source value = our value.") % {"key": key})
        return {}
    mapped: dict[str, str] = {}
    for source_value, ours in value.items():
        if not isinstance(ours, str) or not ours:
            problems.append(_("%(key)s: “%(value)s” must map to text.") % {"key": key, "value": source_value})
            continue
        if allowed is not None and ours not in allowed:
            problems.append(
                _("%(key)s: “%(ours)s” is not one of: %(values)s.")
                % {"key": key, "ours": ours, "values": ", ".join(allowed)}
            )
            continue
        name = normalized(source_value)
        if name in mapped and mapped[name] != ours:
            problems.append(
                _("%(key)s: “%(value)s” is given twice (case and spaces do not count).")
                % {"key": key, "value": source_value}
            )
        mapped[name] = ours
    return mapped
