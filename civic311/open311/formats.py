"""The two Open311 formats, byte for byte as the contract says.

Responses are built as plain Python values (dicts, lists, strings, numbers, booleans, None, datetimes)
and rendered here, so XML and JSON always carry the same facts:

- XML: `<?xml version="1.0" encoding="utf-8"?>`, no namespace; a list is a container whose children
  take the singular name in `LIST_CHILDREN`; booleans are `true`/`false`; None is an empty element.
- JSON: the root list is a bare array (the root element's name is dropped); None is `null`.
- Timestamps: W3C ISO 8601 in the jurisdiction's zone, to the second (`2024-01-01T00:13:37-05:00`).

Written here rather than with a library: DRF's XML renderer writes `<root>`/`<list-item>` and Python's
`True`, and dict-to-XML packages (xmltodict, dicttoxml) name list children and booleans their own way;
the contract's clients parse exact element names, so the writer is the few lines that say them.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.http import HttpResponse

XML = "xml"
JSON = "json"
FORMATS = (XML, JSON)
# Pages requested with no extension, or an unknown one, are answered in XML: the format the
# specification makes mandatory, and so the one every client can read.
DEFAULT_FORMAT = XML
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
MIME_TYPES = {XML: "text/xml", JSON: "application/json"}

LIST_CHILDREN = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "service_request_updates": "request_update",
    "notes": "note",
    "photos": "photo",
    "keywords": "keyword",
}

# Characters XML 1.0 cannot carry at all, even escaped; they are dropped from output.
_XML_ILLEGAL = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])


def timestamp(value: dt.datetime | None, zone: ZoneInfo) -> str | None:
    if value is None:
        return None
    return value.astimezone(zone).replace(microsecond=0).isoformat()


def render(root: str, value: Any, fmt: str, *, status: int = 200) -> HttpResponse:
    """`root` names the XML root element (`services`, `service_definition`, `discovery`, `errors`…)."""
    if fmt == JSON:
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    else:
        parts = ['<?xml version="1.0" encoding="utf-8"?>']
        _xml(root, value, parts)
        body = "".join(parts)
    return HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The contract's error body: a list of {code, description}, `code` an integer (the HTTP status)."""
    items = [{"code": status, "description": description} for description in descriptions]
    return render("errors", items, fmt, status=status)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return repr(value)
    return escape(str(value).translate(_XML_ILLEGAL))


def _xml(name: str, value: Any, parts: list[str]) -> None:
    if isinstance(value, dict):
        parts.append(f"<{name}>")
        for key, child in value.items():
            _xml(key, child, parts)
        parts.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        child_name = LIST_CHILDREN[name]
        parts.append(f"<{name}>")
        for child in value:
            _xml(child_name, child, parts)
        parts.append(f"</{name}>")
    else:
        parts.append(f"<{name}>{_text(value)}</{name}>")


def _json_default(value: Any) -> Any:
    # Called by the encoder only for what JSON has no type for; dicts, lists and tuples it walks itself
    # (in C: a page of a thousand requests no longer makes ninety thousand Python calls first).
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
