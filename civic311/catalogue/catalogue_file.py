"""The catalogue file: a city's whole catalogue in one TOML document (see docs/catalogue-file.md).

`parse_catalogue` reads the text into plain dataclasses, checking every key it can without the database
and reporting every problem with the file's path of keys (`services[3].questions[2].choices: …`, counting
from 0). `render_catalogue` writes the dataclasses back as TOML. The database writes are
`services.load_catalogue`; the reverse read is `selectors.catalogue_file_of`.

The shape is checked by hand rather than with a schema library: the file is small, the project has no
validation library besides DRF (whose nested error dicts would need flattening back into key paths), and
the messages must name the file's keys, in the user's language.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import tomlkit
from django.utils.translation import gettext as _
from tomlkit.items import AoT, Array, Table

from .models import (
    LANGUAGE_CODE,
    AttributeValue,
    Department,
    RoutingRule,
    Service,
    ServiceAttribute,
    ServiceGroup,
)

FORMAT_VERSION = 1
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
KINDS = ("request", "information")
OPEN311_TYPES = ("realtime", "batch", "blackbox")
SLA_UNITS = ("business_days", "hours", "none")
RULE_KINDS = ("neighborhood", "hazard_alert", "canned_answer")
ANSWER_RULE_KINDS = ("hazard_alert", "canned_answer")

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
# What a service's and a question's code may be made of (as the models' validators say); open311.catalogue_import
# replaces anything else.
SERVICE_CODE_CHARACTERS = "A-Za-z0-9._-"
ATTRIBUTE_CODE_CHARACTERS = "A-Za-z0-9_-"
SERVICE_CODE = re.compile(f"^[{SERVICE_CODE_CHARACTERS}]+$")
ATTRIBUTE_CODE = re.compile(f"^[{ATTRIBUTE_CODE_CHARACTERS}]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CatalogueFileError(Exception):
    """The file cannot be used; `problems` are "path: message" lines, every one found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class EscalationStepSpec:
    label: str
    offset_business_days: int = 0
    notify_email: str = ""
    order: int = 0
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class DepartmentSpec:
    slug: str
    name: str
    point_person: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    opens_at: dt.time = dt.time(8, 30)
    closes_at: dt.time = dt.time(17, 0)
    open_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    # None: the file says nothing about the ladder, which is left as it is.
    escalation: tuple[EscalationStepSpec, ...] | None = None
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class GroupSpec:
    name: str
    order: int = 0
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class ChoiceSpec:
    key: str
    name: str
    order: int = 0
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    datatype: str
    description: str
    datatype_description: str = ""
    required: bool = False
    variable: bool = True
    order: int = 0
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    choices: tuple[ChoiceSpec, ...] = ()
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    neighborhood: str = ""  # slug, for a neighborhood rule
    department: str = ""  # slug, for a neighborhood rule
    attribute_code: str = ""
    attribute_value: str = ""
    message: str = ""
    order: int = 0
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    path: str = field(default="", compare=False)

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What makes a rule the same rule from one load to the next."""
        return (self.kind, self.neighborhood, self.attribute_code, self.attribute_value)


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    group: str  # a group's name
    department: str  # a department's slug
    description: str = ""
    keywords: str = ""
    kind: str = "request"
    open311_type: str = "realtime"
    sla_unit: str = "none"
    sla_value: int | None = None
    service_notice: str = ""
    active: bool = True
    order: int = 0
    typical_volume: int = 0
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    questions: tuple[QuestionSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class CatalogueFile:
    departments: tuple[DepartmentSpec, ...] = ()
    groups: tuple[GroupSpec, ...] = ()
    services: tuple[ServiceSpec, ...] = ()


# --- reading -----------------------------------------------------------------------------------------


def parse_catalogue(text: str) -> CatalogueFile:
    """The catalogue in a file's text; raises CatalogueFileError listing every problem."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueFileError([_("The file is not valid TOML: %(error)s") % {"error": error}]) from None
    reader = _Reader()
    catalogue = reader.catalogue(document)
    if reader.problems:
        raise CatalogueFileError(reader.problems)
    return catalogue


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # --- the parts of the file ---

    def catalogue(self, document: dict[str, Any]) -> CatalogueFile:
        self.known(document, "", {"version", "departments", "groups", "services"})
        version = document.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            self.problem(
                "version",
                _("This civic311 reads version %(version)s of the catalogue file.") % {"version": FORMAT_VERSION},
            )
        departments = tuple(self.department(table, path) for path, table in self.items(document, "departments", ""))
        groups = tuple(
            self.group(table, path, index)
            for index, (path, table) in enumerate(self.items(document, "groups", ""), start=1)
        )
        services = tuple(
            self.service(table, path, index)
            for index, (path, table) in enumerate(self.items(document, "services", ""), start=1)
        )
        self.unique([(d.path, d.slug) for d in departments], "slug", _("Another department has the slug “%(value)s”."))
        self.unique([(g.path, g.name) for g in groups], "name", _("Another group has the name “%(value)s”."))
        self.unique([(s.path, s.code) for s in services], "code", _("Another service has the code “%(value)s”."))
        department_slugs = {department.slug for department in departments}
        group_names = {group.name for group in groups}
        for service in services:
            if service.group and service.group not in group_names:
                self.problem(
                    f"{service.path}.group",
                    _("There is no group “%(value)s” in the file's groups.") % {"value": service.group},
                )
            if service.department and service.department not in department_slugs:
                self.problem(
                    f"{service.path}.department",
                    _("There is no department with the slug “%(value)s” in the file's departments.")
                    % {"value": service.department},
                )
            for rule in service.rules:
                if rule.department and rule.department not in department_slugs:
                    self.problem(
                        f"{rule.path}.department",
                        _("There is no department with the slug “%(value)s” in the file's departments.")
                        % {"value": rule.department},
                    )
        return CatalogueFile(departments=departments, groups=groups, services=services)

    def department(self, table: dict[str, Any], path: str) -> DepartmentSpec:
        self.known(
            table,
            path,
            {
                "slug",
                "name",
                "point_person",
                "contact_email",
                "contact_phone",
                "opens_at",
                "closes_at",
                "open_weekdays",
                "translations",
                "escalation",
            },
        )
        slug = self.text(table, "slug", path, required=True, max_length=50, pattern=SLUG)
        email = self.text(table, "contact_email", path, max_length=254)
        if email and not EMAIL.match(email):
            self.problem(f"{path}.contact_email", _("“%(value)s” is not an e-mail address.") % {"value": email})
        escalation = None
        if "escalation" in table:
            escalation = tuple(
                self.escalation_step(step, step_path, index)
                for index, (step_path, step) in enumerate(self.items(table, "escalation", path), start=1)
            )
            self.unique(
                [(step.path, str(step.order)) for step in escalation],
                "order",
                _("Another step of this ladder has the order %(value)s."),
            )
        return DepartmentSpec(
            slug=slug,
            name=self.text(table, "name", path, required=True, max_length=200),
            point_person=self.text(table, "point_person", path, max_length=200),
            contact_email=email,
            contact_phone=self.text(table, "contact_phone", path, max_length=40),
            opens_at=self.time(table, "opens_at", path, dt.time(8, 30)),
            closes_at=self.time(table, "closes_at", path, dt.time(17, 0)),
            open_weekdays=self.weekdays(table, "open_weekdays", path),
            translations=self.translations(table, path, Department.translatable_fields),
            escalation=escalation,
            path=path,
        )

    def escalation_step(self, table: dict[str, Any], path: str, position: int) -> EscalationStepSpec:
        self.known(table, path, {"label", "offset_business_days", "notify_email", "order"})
        email = self.text(table, "notify_email", path, max_length=254)
        if email and not EMAIL.match(email):
            self.problem(f"{path}.notify_email", _("“%(value)s” is not an e-mail address.") % {"value": email})
        return EscalationStepSpec(
            label=self.text(table, "label", path, required=True, max_length=100),
            offset_business_days=self.integer(table, "offset_business_days", path, 0, minimum=-365),
            notify_email=email,
            order=self.integer(table, "order", path, position, minimum=0),
            path=path,
        )

    def group(self, table: dict[str, Any], path: str, position: int) -> GroupSpec:
        self.known(table, path, {"name", "order", "translations"})
        return GroupSpec(
            name=self.text(table, "name", path, required=True, max_length=120),
            order=self.integer(table, "order", path, position, minimum=0),
            translations=self.translations(table, path, ServiceGroup.translatable_fields),
            path=path,
        )

    def service(self, table: dict[str, Any], path: str, position: int) -> ServiceSpec:
        self.known(
            table,
            path,
            {
                "code",
                "name",
                "description",
                "group",
                "department",
                "keywords",
                "kind",
                "open311_type",
                "sla_unit",
                "sla_value",
                "service_notice",
                "active",
                "order",
                "typical_volume",
                "translations",
                "questions",
                "rules",
            },
        )
        sla_value = self.integer(table, "sla_value", path, None, minimum=1)
        sla_unit = self.choice(table, "sla_unit", path, SLA_UNITS, "business_days" if sla_value else "none")
        if sla_unit != "none" and sla_value is None and "sla_value" not in table:
            self.problem(
                f"{path}.sla_value",
                _("Give the number of days or hours (sla_unit is “%(unit)s”).") % {"unit": sla_unit},
            )
        if sla_unit == "none" and sla_value is not None:
            self.problem(f"{path}.sla_value", _('A service with sla_unit = "none" has no sla_value.'))
        questions = tuple(
            self.question(question, question_path, index)
            for index, (question_path, question) in enumerate(self.items(table, "questions", path), start=1)
        )
        self.unique([(q.path, q.code) for q in questions], "code", _("Another question has the code “%(value)s”."))
        rules = tuple(
            self.rule(rule, rule_path, index)
            for index, (rule_path, rule) in enumerate(self.items(table, "rules", path), start=1)
        )
        self.check_rules(rules, questions)
        return ServiceSpec(
            code=self.text(table, "code", path, required=True, max_length=40, pattern=SERVICE_CODE),
            name=self.text(table, "name", path, required=True, max_length=200),
            group=self.text(table, "group", path, required=True),
            department=self.text(table, "department", path, required=True),
            description=self.text(table, "description", path),
            keywords=self.keywords(table, path),
            kind=self.choice(table, "kind", path, KINDS, "request"),
            open311_type=self.choice(table, "open311_type", path, OPEN311_TYPES, "realtime"),
            sla_unit=sla_unit,
            sla_value=sla_value,
            service_notice=self.text(table, "service_notice", path, max_length=200),
            active=self.boolean(table, "active", path, True),
            order=self.integer(table, "order", path, position, minimum=0),
            typical_volume=self.integer(table, "typical_volume", path, 0, minimum=0),
            translations=self.translations(table, path, Service.translatable_fields),
            questions=questions,
            rules=rules,
            path=path,
        )

    def question(self, table: dict[str, Any], path: str, position: int) -> QuestionSpec:
        self.known(
            table,
            path,
            {
                "code",
                "datatype",
                "description",
                "datatype_description",
                "required",
                "variable",
                "order",
                "translations",
                "choices",
            },
        )
        datatype = self.choice(table, "datatype", path, DATATYPES, "", required=True)
        choices = tuple(
            self.choice_entry(choice, choice_path, index)
            for index, (choice_path, choice) in enumerate(self.items(table, "choices", path), start=1)
        )
        if datatype in LIST_DATATYPES and not choices:
            self.problem(
                f"{path}.choices", _("A %(datatype)s question needs at least one choice.") % {"datatype": datatype}
            )
        if datatype and datatype not in LIST_DATATYPES and choices:
            self.problem(f"{path}.choices", _("Only singlevaluelist and multivaluelist questions have choices."))
        self.unique([(c.path, c.key) for c in choices], "key", _("Another choice has the key “%(value)s”."))
        return QuestionSpec(
            code=self.text(table, "code", path, required=True, max_length=60, pattern=ATTRIBUTE_CODE),
            datatype=datatype,
            description=self.text(table, "description", path, required=True, max_length=500),
            datatype_description=self.text(table, "datatype_description", path, max_length=300),
            required=self.boolean(table, "required", path, False),
            variable=self.boolean(table, "variable", path, True),
            order=self.integer(table, "order", path, position, minimum=0),
            translations=self.translations(table, path, ServiceAttribute.translatable_fields),
            choices=choices,
            path=path,
        )

    def choice_entry(self, table: dict[str, Any], path: str, position: int) -> ChoiceSpec:
        self.known(table, path, {"key", "name", "order", "translations"})
        return ChoiceSpec(
            key=self.text(table, "key", path, required=True, max_length=100),
            name=self.text(table, "name", path, required=True, max_length=200),
            order=self.integer(table, "order", path, position, minimum=0),
            translations=self.translations(table, path, AttributeValue.translatable_fields),
            path=path,
        )

    def rule(self, table: dict[str, Any], path: str, position: int) -> RuleSpec:
        self.known(
            table,
            path,
            {
                "kind",
                "neighborhood",
                "department",
                "attribute_code",
                "attribute_value",
                "message",
                "order",
                "translations",
            },
        )
        kind = self.choice(table, "kind", path, RULE_KINDS, "", required=True)
        spec = RuleSpec(
            kind=kind,
            neighborhood=self.text(table, "neighborhood", path, max_length=50, pattern=SLUG),
            department=self.text(table, "department", path),
            attribute_code=self.text(table, "attribute_code", path, max_length=60),
            attribute_value=self.text(table, "attribute_value", path, max_length=100),
            message=self.text(table, "message", path),
            order=self.integer(table, "order", path, position, minimum=0),
            translations=self.translations(table, path, RoutingRule.translatable_fields),
            path=path,
        )
        if kind == "neighborhood":
            for key in ("neighborhood", "department"):
                if not getattr(spec, key):
                    self.problem(f"{path}.{key}", _("A neighborhood rule needs a neighborhood and a department."))
            for key in ("attribute_code", "attribute_value", "message"):
                if key in table:
                    self.problem(f"{path}.{key}", _("A neighborhood rule has no %(key)s.") % {"key": key})
        elif kind:
            for key in ("attribute_code", "attribute_value", "message"):
                if not getattr(spec, key):
                    self.problem(
                        f"{path}.{key}",
                        _("A %(kind)s rule needs attribute_code, attribute_value and message.") % {"kind": kind},
                    )
            for key in ("neighborhood", "department"):
                if key in table:
                    self.problem(f"{path}.{key}", _("Only a neighborhood rule has a %(key)s.") % {"key": key})
        return spec

    def check_rules(self, rules: tuple[RuleSpec, ...], questions: tuple[QuestionSpec, ...]) -> None:
        by_code = {question.code: question for question in questions}
        seen: set[tuple[str, str, str, str]] = set()
        for rule in rules:
            if rule.identity in seen:
                self.problem(rule.path, _("The same rule is given twice."))
            seen.add(rule.identity)
            if rule.kind not in ANSWER_RULE_KINDS or not rule.attribute_code:
                continue
            question = by_code.get(rule.attribute_code)
            if question is None:
                self.problem(
                    f"{rule.path}.attribute_code",
                    _("The service has no question “%(value)s”.") % {"value": rule.attribute_code},
                )
            elif question.datatype in LIST_DATATYPES and rule.attribute_value not in {c.key for c in question.choices}:
                self.problem(
                    f"{rule.path}.attribute_value",
                    _("“%(value)s” is not a choice of the question “%(code)s”.")
                    % {"value": rule.attribute_value, "code": question.code},
                )

    # --- values ---

    def known(self, table: dict[str, Any], path: str, keys: set[str]) -> None:
        for key in table:
            if key not in keys:
                where = f"{path}.{key}" if path else key
                self.problem(where, _("Unknown key; the keys here are %(keys)s.") % {"keys": ", ".join(sorted(keys))})

    def items(self, table: dict[str, Any], key: str, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        where = f"{path}.{key}" if path else key
        value = table.get(key, [])
        if not isinstance(value, list):
            self.problem(where, _("Write a list of tables ([[%(key)s]]).") % {"key": where})
            return
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield f"{where}[{index}]", item
            else:
                self.problem(f"{where}[{index}]", _("Write a table, not a single value."))

    def text(
        self,
        table: dict[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        max_length: int = 0,
        pattern: re.Pattern[str] | None = None,
    ) -> str:
        value = table.get(key, "")
        if not isinstance(value, str):
            self.problem(f"{path}.{key}", _("Write text in quotes."))
            return ""
        if required and not value.strip():
            self.problem(f"{path}.{key}", _("This key is required."))
        elif max_length and len(value) > max_length:
            self.problem(
                f"{path}.{key}",
                _("At most %(count)s characters (this has %(length)s).") % {"count": max_length, "length": len(value)},
            )
        elif pattern is SERVICE_CODE and value and not pattern.match(value):
            self.problem(
                f"{path}.{key}",
                _("“%(value)s” may use only letters, digits, dots, dashes and underscores.") % {"value": value[:60]},
            )
        elif pattern is not None and value and not pattern.match(value):
            self.problem(
                f"{path}.{key}",
                _("“%(value)s” may use only letters, digits, dashes and underscores.") % {"value": value[:60]},
            )
        return value

    def integer(self, table: dict[str, Any], key: str, path: str, default: Any, *, minimum: int) -> Any:
        value = table.get(key, default)
        if value is default:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"{path}.{key}", _("Write a whole number."))
            return default
        if value < minimum:
            self.problem(f"{path}.{key}", _("Write a number of at least %(minimum)s.") % {"minimum": minimum})
        return value

    def boolean(self, table: dict[str, Any], key: str, path: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"{path}.{key}", _("Write true or false."))
            return default
        return value

    def choice(
        self,
        table: dict[str, Any],
        key: str,
        path: str,
        allowed: tuple[str, ...],
        default: str,
        *,
        required: bool = False,
    ) -> str:
        if key not in table:
            if required:
                self.problem(
                    f"{path}.{key}",
                    _("This key is required; use one of %(allowed)s.") % {"allowed": ", ".join(allowed)},
                )
            return default
        value = table[key]
        if value not in allowed:
            self.problem(f"{path}.{key}", _("Use one of %(allowed)s.") % {"allowed": ", ".join(allowed)})
            return default
        return value

    def time(self, table: dict[str, Any], key: str, path: str, default: dt.time) -> dt.time:
        value = table.get(key, default)
        if isinstance(value, dt.time):
            return value
        if isinstance(value, str):
            try:
                return dt.time.fromisoformat(value)
            except ValueError:
                pass
        self.problem(f"{path}.{key}", _("Write a time of day, like 08:30:00."))
        return default

    def weekdays(self, table: dict[str, Any], key: str, path: str) -> tuple[int, ...]:
        value = table.get(key, [0, 1, 2, 3, 4])
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6 for day in value)
            or len(set(value)) != len(value)
        ):
            self.problem(f"{path}.{key}", _("Write a list of weekdays from 0 (Monday) to 6 (Sunday), like [0, 1, 2]."))
            return (0, 1, 2, 3, 4)
        return tuple(sorted(value))

    def keywords(self, table: dict[str, Any], path: str) -> str:
        value = table.get("keywords", "")
        if isinstance(value, list) and all(isinstance(word, str) for word in value):
            value = ", ".join(word.strip() for word in value if word.strip())
        if not isinstance(value, str):
            self.problem(f"{path}.keywords", _("Write the keywords as one text, comma separated, or a list of texts."))
            return ""
        if len(value) > 500:
            self.problem(
                f"{path}.keywords",
                _("At most %(count)s characters (this has %(length)s).") % {"count": 500, "length": len(value)},
            )
        return value

    def translations(self, table: dict[str, Any], path: str, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
        value = table.get("translations", {})
        where = f"{path}.translations"
        if not isinstance(value, dict):
            self.problem(where, _('Write a table keyed by language code, like translations.es.name = "…".'))
            return {}
        for language, texts in value.items():
            if not LANGUAGE_CODE.match(language):
                self.problem(
                    f"{where}.{language}",
                    _("“%(code)s” is not a language code such as es or zh-hans.") % {"code": language[:20]},
                )
            elif not isinstance(texts, dict) or not all(isinstance(text, str) for text in texts.values()):
                self.problem(f"{where}.{language}", _('Map field names to text, like name = "…".'))
            else:
                for unknown in sorted(set(texts) - set(fields)):
                    self.problem(
                        f"{where}.{language}.{unknown}",
                        _("This cannot be translated here; use %(fields)s.") % {"fields": ", ".join(fields)},
                    )
        return value

    def unique(self, entries: list[tuple[str, str]], key: str, message: str) -> None:
        seen: set[str] = set()
        for path, value in entries:
            if value in seen:
                self.problem(f"{path}.{key}", message % {"value": value})
            seen.add(value)


# --- writing -----------------------------------------------------------------------------------------


def render_catalogue(catalogue: CatalogueFile, *, header: str = "") -> str:
    """The catalogue as TOML that `parse_catalogue` reads back to the same dataclasses.

    Keys at their default value are left out, and so is `order` where it is the entry's place in its list.
    `header` (lines of text) goes first as comments. tomlkit rather than a plain writer: the file is for
    people to edit, so the layout is chosen (one `[[services]]` block each, a choice per line, translations
    as `translations.es.name = "…"`) instead of left to a length heuristic.
    """
    document = tomlkit.document()
    for line in header.splitlines():
        # A comment may hold no control character; the header quotes other servers' codes (open311_import).
        document.add(
            tomlkit.comment(
                "".join(f"\\u{ord(c):04x}" if c != "\t" and unicodedata.category(c) == "Cc" else c for c in line)
            )
        )
    if header:
        document.add(tomlkit.nl())
    document.add("version", FORMAT_VERSION)
    document.add("departments", _array_of_tables(_department(department) for department in catalogue.departments))
    document.add(
        "groups",
        _array_of_tables(
            _table(_without_defaults(GroupSpec, group, index)) for index, group in enumerate(catalogue.groups, start=1)
        ),
    )
    document.add(
        "services",
        _array_of_tables(_service(service, index) for index, service in enumerate(catalogue.services, start=1)),
    )
    return tomlkit.dumps(document)


def _department(department: DepartmentSpec) -> Table:
    values = _without_defaults(DepartmentSpec, department, 0, skip=("escalation", "open_weekdays"))
    if department.open_weekdays != DepartmentSpec.open_weekdays:
        values["open_weekdays"] = list(department.open_weekdays)
    table = _table(values)
    if department.escalation is not None:
        table.add(
            "escalation",
            _inline_list(
                _without_defaults(EscalationStepSpec, step, index)
                for index, step in enumerate(department.escalation, start=1)
            ),
        )
    return table


def _service(service: ServiceSpec, position: int) -> Table:
    # sla_unit is always written: its default depends on sla_value.
    table = _table(_without_defaults(ServiceSpec, service, position, skip=("questions", "rules"), keep=("sla_unit",)))
    if service.questions:
        table.add(
            "questions",
            _array_of_tables(_question(question, index) for index, question in enumerate(service.questions, start=1)),
        )
    if service.rules:
        table.add(
            "rules",
            _array_of_tables(
                _table(_without_defaults(RuleSpec, rule, index)) for index, rule in enumerate(service.rules, start=1)
            ),
        )
    return table


def _question(question: QuestionSpec, position: int) -> Table:
    table = _table(_without_defaults(QuestionSpec, question, position, skip=("choices",)))
    if question.choices:
        table.add(
            "choices",
            _inline_list(
                _without_defaults(ChoiceSpec, choice, index) for index, choice in enumerate(question.choices, start=1)
            ),
        )
    return table


def _table(values: dict[str, Any]) -> Table:
    """A table with its translations as dotted keys after the other keys."""
    table = tomlkit.table()
    for key, value in values.items():
        if key != "translations":
            table.add(key, value)
    for language, texts in values.get("translations", {}).items():
        for name, text in texts.items():
            table.add(tomlkit.key(["translations", language, name]), text)
    return table


def _array_of_tables(tables: Iterable[Table]) -> AoT:
    array = tomlkit.aot()
    for table in tables:
        array.append(table)
    return array


def _inline_list(entries: Iterable[dict[str, Any]]) -> Array:
    """Short entries (choices, escalation steps), one a line."""
    array = tomlkit.array()
    for values in entries:
        entry = tomlkit.inline_table()
        entry.update(values)
        array.append(entry)
    return array.multiline(True)


def _without_defaults(
    kind: type, spec: Any, position: int, skip: tuple[str, ...] = (), keep: tuple[str, ...] = ()
) -> dict[str, Any]:
    defaults = {entry.name: entry.default for entry in fields(kind)}
    table: dict[str, Any] = {}
    for name in defaults:
        if name in skip or name == "path":
            continue
        value = getattr(spec, name)
        if name == "order":
            if value != position:
                table[name] = value
        elif name == "translations":
            if value:
                table[name] = value
        elif value is not None and (value != defaults[name] or name in keep):
            table[name] = value
    return table
