"""A catalogue file from another city's Open311 (GeoReport v2) server: its service list and definitions.

Open311 publishes services, groups and questions, but no departments, SLAs or translations: every service
goes to one placeholder department that the file's opening comment says to replace. Whatever does not fit
civic311's rules (a code with other characters, an unknown datatype, a list without values) is changed
and listed, never dropped silently. The HTTP calls are `GeoReportClient`'s (time-outs, size limit, no
redirects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from django.utils.translation import gettext as _

from civic311.catalogue.catalogue_file import (
    ATTRIBUTE_CODE_CHARACTERS,
    DATATYPES,
    LIST_DATATYPES,
    OPEN311_TYPES,
    SERVICE_CODE_CHARACTERS,
    CatalogueFile,
    ChoiceSpec,
    DepartmentSpec,
    GroupSpec,
    QuestionSpec,
    ServiceSpec,
)

from .georeport_client import GeoReportClient, GeoReportError

PLACEHOLDER_DEPARTMENT = "to-be-assigned"
OTHER_GROUP = "Other"
NOT_IN_SERVICE_CODE = re.compile(f"[^{SERVICE_CODE_CHARACTERS}]+")
NOT_IN_ATTRIBUTE_CODE = re.compile(f"[^{ATTRIBUTE_CODE_CHARACTERS}]+")


class Open311ImportError(Exception):
    """A call failed or answered something that is not GeoReport; the message names the call."""


@dataclass
class ImportedCatalogue:
    catalogue: CatalogueFile
    notes: list[str] = field(default_factory=list)  # what was changed on the way in


def endpoint_of(url: str) -> tuple[str, str]:
    """(the GeoReport endpoint, the jurisdiction_id in the URL's query) from an endpoint or services.json URL."""
    parts = urlsplit(url.strip())
    path = re.sub(r"services\.(json|xml)$", "", parts.path)
    jurisdiction_id = (parse_qs(parts.query).get("jurisdiction_id") or [""])[0]
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")), jurisdiction_id


def import_open311_catalogue(client: GeoReportClient) -> ImportedCatalogue:
    """Read services.json and each definition (metadata = true) into a catalogue file's dataclasses."""
    try:
        listed = client.get_services()
    except GeoReportError as error:
        raise Open311ImportError(f"services.json: {error}") from None
    importer = _Importer()
    services: list[ServiceSpec] = []
    for entry in listed:
        spec = importer.service(entry, client, position=len(services) + 1)
        if spec is not None:
            services.append(spec)
    groups = tuple(GroupSpec(name=name, order=order) for order, name in enumerate(importer.groups, start=1))
    department = DepartmentSpec(slug=PLACEHOLDER_DEPARTMENT, name=_("Department to be assigned"))
    return ImportedCatalogue(
        CatalogueFile(departments=(department,), groups=groups, services=tuple(services)), importer.notes
    )


class _Importer:
    def __init__(self) -> None:
        self.notes: list[str] = []
        self.groups: dict[str, None] = {}  # in the order first seen
        self.codes: set[str] = set()

    def service(self, entry: dict[str, Any], client: GeoReportClient, position: int) -> ServiceSpec | None:
        their_code = _text(entry.get("service_code"))
        name = _text(entry.get("service_name"))
        if not their_code or not name:
            self.notes.append(
                _("Left out a service without a service_code or service_name (%(what)s).")
                % {"what": their_code or name or "?"}
            )
            return None
        code = self.unique_code(their_code)
        group = _text(entry.get("group"))[:120] or OTHER_GROUP
        self.groups.setdefault(group, None)
        kind = _text(entry.get("type")).lower() or "realtime"
        if kind not in OPEN311_TYPES:
            self.notes.append(
                _("%(code)s: type “%(type)s” is not an Open311 type; read as realtime.")
                % {"code": code, "type": kind[:40]}
            )
            kind = "realtime"
        keywords = entry.get("keywords")
        if isinstance(keywords, list):
            keywords = ", ".join(_text(word) for word in keywords if _text(word))
        questions: tuple[QuestionSpec, ...] = ()
        if _true(entry.get("metadata")):
            try:
                definition = client.get_service_definition(their_code)
            except GeoReportError as error:
                raise Open311ImportError(f"services/{their_code}.json: {error}") from None
            questions = self.questions(code, definition.get("attributes") or [])
        return ServiceSpec(
            code=code,
            name=name[:200],
            group=group,
            department=PLACEHOLDER_DEPARTMENT,
            description=_text(entry.get("description"), lines=True),
            keywords=_text(keywords)[:500],
            open311_type=kind,
            sla_unit="none",
            order=position,
            questions=questions,
        )

    def unique_code(self, their_code: str) -> str:
        code = NOT_IN_SERVICE_CODE.sub("-", their_code).strip("-")[:40] or "service"
        base, number = code, 2
        while code in self.codes:
            code = f"{base[:36]}-{number}"
            number += 1
        if code != their_code:
            self.notes.append(
                _("Service code “%(theirs)s” became “%(ours)s”.") % {"theirs": their_code[:60], "ours": code}
            )
        self.codes.add(code)
        return code

    def questions(self, service: str, attributes: list[Any]) -> tuple[QuestionSpec, ...]:
        entries = [attribute for attribute in attributes if isinstance(attribute, dict)]
        entries.sort(key=lambda attribute: _number(attribute.get("order")))  # stable: ties keep their order
        questions: list[QuestionSpec] = []
        codes: set[str] = set()
        for attribute in entries:
            their_code = _text(attribute.get("code"))
            code = NOT_IN_ATTRIBUTE_CODE.sub("_", their_code).strip("_")[:60] or f"question_{len(questions) + 1}"
            base, number = code, len(questions) + 1
            while code in codes:  # "a", "a" after an "a_2" of theirs: never a code given twice
                code = f"{base[:55]}_{number}"
                number += 1
            codes.add(code)
            if code != their_code:
                self.notes.append(
                    _("%(service)s: question code “%(theirs)s” became “%(ours)s”.")
                    % {"service": service, "theirs": their_code[:60], "ours": code}
                )
            datatype = _text(attribute.get("datatype")).lower()
            if datatype not in DATATYPES:
                self.notes.append(
                    _("%(service)s: question %(code)s has the datatype “%(datatype)s”; read as string.")
                    % {"service": service, "code": code, "datatype": datatype[:40]}
                )
                datatype = "string"
            choices = self.choices(service, code, attribute.get("values")) if datatype in LIST_DATATYPES else ()
            if datatype in LIST_DATATYPES and not choices:
                self.notes.append(
                    _("%(service)s: question %(code)s is a list without values; read as string.")
                    % {"service": service, "code": code}
                )
                datatype = "string"
            questions.append(
                QuestionSpec(
                    code=code,
                    datatype=datatype,
                    description=(_text(attribute.get("description")) or code)[:500],
                    datatype_description=_text(attribute.get("datatype_description"))[:300],
                    required=_true(attribute.get("required")),
                    variable=attribute.get("variable") is None or _true(attribute.get("variable")),
                    order=len(questions) + 1,
                    choices=choices,
                )
            )
        return tuple(questions)

    def choices(self, service: str, code: str, values: Any) -> tuple[ChoiceSpec, ...]:
        choices: list[ChoiceSpec] = []
        keys: set[str] = set()
        for value in values if isinstance(values, list) else []:
            if not isinstance(value, dict):
                continue
            key = _text(value.get("key"))[:100]
            if not key or key in keys:
                self.notes.append(
                    _("%(service)s: question %(code)s lists the value “%(key)s” twice or without a key; kept once.")
                    % {"service": service, "code": code, "key": key}
                )
                continue
            keys.add(key)
            choices.append(ChoiceSpec(key=key, name=(_text(value.get("name")) or key)[:200], order=len(choices) + 1))
        return tuple(choices)


def _text(value: Any, *, lines: bool = False) -> str:
    """One line of text (or, with `lines`, text with its line breaks); servers send numbers for codes and
    keys, and null for empty text."""
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    text = str(value).replace("\x00", "")
    return text.strip() if lines else " ".join(text.split())


def _true(value: Any) -> bool:
    """`true`, or the text "true" that servers converting from XML send."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("inf")  # no order: after those that have one
