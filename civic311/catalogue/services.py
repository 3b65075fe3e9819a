"""Writes to the catalogue: loading a catalogue file (docs/catalogue-file.md) into a city.

`load_catalogue` makes the city's catalogue what the file says, in one transaction: entries are matched by
their natural keys (a department's slug, a group's name, a service's code, a question's code, a choice's
key, an escalation step's order, a rule's kind and trigger), changed where they differ, created where
missing, and removed where the file no longer has them. Removing something that anything else still uses
(a service with requests, a department with staff) is refused. Any problem anywhere writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction, Neighborhood

from .catalogue_file import (
    CatalogueFile,
    CatalogueFileError,
    ChoiceSpec,
    DepartmentSpec,
    EscalationStepSpec,
    GroupSpec,
    QuestionSpec,
    RuleSpec,
    ServiceSpec,
)
from .models import AttributeValue, Department, EscalationStep, RoutingRule, Service, ServiceAttribute, ServiceGroup

_M = TypeVar("_M", bound=models.Model)

# The file's key for a model field, where they differ.
FILE_KEYS = {"is_active": "active"}

# What goes with an entry when it is removed; anything else that refers to it keeps it.
_REMOVED_WITH: dict[type[models.Model], tuple[type[models.Model], ...]] = {
    Service: (ServiceAttribute, RoutingRule),
    ServiceAttribute: (AttributeValue,),
    Department: (EscalationStep,),
}


@dataclass(frozen=True)
class Change:
    action: str  # "create", "change" or "remove"
    what: str  # e.g. "service SR-ST02"
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.action == "create":
            return _("create %(what)s") % {"what": self.what}
        if self.action == "remove":
            return _("remove %(what)s") % {"what": self.what}
        return _("change %(what)s: %(fields)s") % {"what": self.what, "fields": ", ".join(self.fields)}


@dataclass
class LoadReport:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    def summary(self) -> str:
        return _("%(created)s created, %(changed)s changed, %(unchanged)s unchanged, %(removed)s removed.") % {
            "created": self.count("create"),
            "changed": self.count("change"),
            "unchanged": self.unchanged,
            "removed": self.count("remove"),
        }


def load_catalogue(jurisdiction: Jurisdiction, catalogue: CatalogueFile, *, dry_run: bool = False) -> LoadReport:
    """Make the city's catalogue the file's. Raises CatalogueFileError (and writes nothing) on any problem.

    A dry run makes the same writes and rolls them back, so it reports exactly what a real run would do.
    """
    loader = _Loader(jurisdiction, dry_run)
    with transaction.atomic():
        loader.load(catalogue)
        if loader.problems:
            raise CatalogueFileError(loader.problems)
        if dry_run:
            transaction.set_rollback(True)
    return loader.report


class _Loader:
    def __init__(self, jurisdiction: Jurisdiction, dry_run: bool) -> None:
        self.jurisdiction = jurisdiction
        self.problems: list[str] = []
        self.report = LoadReport(dry_run=dry_run)

    def load(self, catalogue: CatalogueFile) -> None:
        city = self.jurisdiction
        departments = {spec.slug: self.department(spec) for spec in catalogue.departments}
        groups = {spec.name: self.group(spec) for spec in catalogue.groups}
        neighborhoods = {n.slug: n for n in Neighborhood.objects.filter(jurisdiction=city)}
        for spec in catalogue.services:
            self.service(spec, departments, groups, neighborhoods)
        # Removals last: by now no kept service points at a group or department that goes.
        self.remove_missing(
            Service,
            "code",
            {spec.code for spec in catalogue.services},
            "services",
            _("keep it in the file with active = false to stop offering it"),
        )
        self.remove_missing(
            ServiceGroup, "name", {spec.name for spec in catalogue.groups}, "groups", _("keep it in the file")
        )
        self.remove_missing(
            Department, "slug", {spec.slug for spec in catalogue.departments}, "departments", _("keep it in the file")
        )

    # --- entries ---

    def department(self, spec: DepartmentSpec) -> Department | None:
        existing = Department.objects.filter(jurisdiction=self.jurisdiction, slug=spec.slug).first()
        department = self.save(
            existing or Department(jurisdiction=self.jurisdiction, slug=spec.slug),
            {
                "name": spec.name,
                "point_person": spec.point_person,
                "contact_email": spec.contact_email,
                "contact_phone": spec.contact_phone,
                "opens_at": spec.opens_at,
                "closes_at": spec.closes_at,
                "open_weekdays": ",".join(str(day) for day in spec.open_weekdays),
                "translations": spec.translations,
            },
            spec.path,
        )
        if department is not None and spec.escalation is not None:
            self.escalation(department, spec.escalation, spec.path)
        return department

    def escalation(self, department: Department, steps: tuple[EscalationStepSpec, ...], path: str) -> None:
        existing = {step.order: step for step in department.escalation_steps.all()}
        for spec in steps:
            step = existing.pop(spec.order, None) or EscalationStep(department=department, order=spec.order)
            self.save(
                step,
                {
                    "label": spec.label,
                    "offset_business_days": spec.offset_business_days,
                    "notify_email": spec.notify_email,
                },
                spec.path,
            )
        for step in existing.values():
            self.remove(step, f"{path}.escalation", _("keep it in the file"))

    def group(self, spec: GroupSpec) -> ServiceGroup | None:
        existing = ServiceGroup.objects.filter(jurisdiction=self.jurisdiction, name=spec.name).first()
        return self.save(
            existing or ServiceGroup(jurisdiction=self.jurisdiction, name=spec.name),
            {"order": spec.order, "translations": spec.translations},
            spec.path,
        )

    def service(
        self,
        spec: ServiceSpec,
        departments: dict[str, Department | None],
        groups: dict[str, ServiceGroup | None],
        neighborhoods: dict[str, Neighborhood],
    ) -> None:
        department, group = departments.get(spec.department), groups.get(spec.group)
        if department is None or group is None:
            return  # its department's or group's problem is reported already
        existing = Service.objects.filter(jurisdiction=self.jurisdiction, code=spec.code).first()
        service = self.save(
            existing or Service(jurisdiction=self.jurisdiction, code=spec.code),
            {
                "name": spec.name,
                "description": spec.description,
                "group_id": group.pk,
                "department_id": department.pk,
                "keywords": spec.keywords,
                "kind": spec.kind,
                "open311_type": spec.open311_type,
                "sla_unit": spec.sla_unit,
                "sla_value": spec.sla_value,
                "service_notice": spec.service_notice,
                "is_active": spec.active,
                "order": spec.order,
                "typical_volume": spec.typical_volume,
                "translations": spec.translations,
            },
            spec.path,
        )
        if service is None:
            return
        attributes = {attribute.code: attribute for attribute in service.attributes.all()}
        for question in spec.questions:
            self.question(service, attributes.pop(question.code, None), question)
        for attribute in attributes.values():
            self.remove(attribute, f"{spec.path}.questions", "")
        self.rules(service, spec, departments, neighborhoods)

    def question(self, service: Service, existing: ServiceAttribute | None, spec: QuestionSpec) -> None:
        attribute = self.save(
            existing or ServiceAttribute(service=service, code=spec.code),
            {
                "datatype": spec.datatype,
                "description": spec.description,
                "datatype_description": spec.datatype_description,
                "required": spec.required,
                "variable": spec.variable,
                "order": spec.order,
                "translations": spec.translations,
            },
            spec.path,
        )
        if attribute is None:
            return
        values = {value.key: value for value in attribute.values.all()} if existing else {}
        for choice in spec.choices:
            self.choice(attribute, values.pop(choice.key, None), choice)
        for value in values.values():
            self.remove(value, f"{spec.path}.choices", "")

    def choice(self, attribute: ServiceAttribute, existing: AttributeValue | None, spec: ChoiceSpec) -> None:
        self.save(
            existing or AttributeValue(attribute=attribute, key=spec.key),
            {"name": spec.name, "order": spec.order, "translations": spec.translations},
            spec.path,
        )

    def rules(
        self,
        service: Service,
        spec: ServiceSpec,
        departments: dict[str, Department | None],
        neighborhoods: dict[str, Neighborhood],
    ) -> None:
        existing: dict[tuple[str, str, str, str], RoutingRule] = {}
        duplicates: list[RoutingRule] = []  # the admin allows the same rule twice; the file does not
        for rule in service.routing_rules.select_related("neighborhood").order_by("order", "pk"):
            identity = (
                rule.kind,
                rule.neighborhood.slug if rule.neighborhood else "",
                rule.attribute_code,
                rule.attribute_value,
            )
            if identity in existing:
                duplicates.append(rule)
            else:
                existing[identity] = rule
        for rule_spec in spec.rules:
            self.rule(service, existing.pop(rule_spec.identity, None), rule_spec, departments, neighborhoods)
        for rule in [*existing.values(), *duplicates]:
            self.remove(rule, f"{spec.path}.rules", "")

    def rule(
        self,
        service: Service,
        existing: RoutingRule | None,
        spec: RuleSpec,
        departments: dict[str, Department | None],
        neighborhoods: dict[str, Neighborhood],
    ) -> None:
        neighborhood = department = None
        if spec.kind == RoutingRule.Kind.NEIGHBORHOOD:
            neighborhood = neighborhoods.get(spec.neighborhood)
            if neighborhood is None:
                self.problem(
                    f"{spec.path}.neighborhood",
                    _("%(city)s has no neighborhood “%(slug)s”; load the neighborhoods first.")
                    % {"city": self.jurisdiction.name, "slug": spec.neighborhood},
                )
                return
            department = departments.get(spec.department)
            if department is None:
                return
        rule = existing or RoutingRule(
            service=service,
            kind=spec.kind,
            neighborhood=neighborhood,
            attribute_code=spec.attribute_code,
            attribute_value=spec.attribute_value,
        )
        self.save(
            rule,
            {
                "department_id": department.pk if department else None,
                "message": spec.message,
                "order": spec.order,
                "translations": spec.translations,
            },
            spec.path,
        )

    # --- plumbing ---

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def save(self, instance: _M, values: dict[str, Any], path: str) -> _M | None:
        """Set the values, check the model's own rules and save; None (and a problem) if they fail."""
        creating = instance.pk is None
        changed = tuple(
            FILE_KEYS.get(name, name).removesuffix("_id")
            for name, value in values.items()
            if getattr(instance, name) != value
        )
        for name, value in values.items():
            setattr(instance, name, value)
        if not creating and not changed:
            self.report.unchanged += 1
            return instance
        try:
            instance.full_clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                where = path if name == NON_FIELD_ERRORS else f"{path}.{FILE_KEYS.get(name, name)}"
                for message in messages:
                    self.problem(where, message)
            return None
        instance.save()
        self.report.changes.append(
            Change("create" if creating else "change", _named(instance), () if creating else changed)
        )
        return instance

    def remove_missing(
        self, model: type[Service | ServiceGroup | Department], key: str, kept: set[str], path: str, advice: str
    ) -> None:
        """Remove the city's entries of `model` whose `key` the file no longer has."""
        gone = model.objects.filter(jurisdiction=self.jurisdiction).exclude(**{f"{key}__in": kept}).order_by(key)
        for instance in gone:
            self.remove(instance, path, advice)

    def remove(self, instance: models.Model, path: str, advice: str) -> None:
        what = _named(instance)
        users = _users(instance)
        answered = _answering_requests(instance)
        if answered:
            users = sorted({**dict(users), _service_requests()._meta.label: answered}.items())
        if users:
            message = _("%(what)s is not in the file, but %(users)s still use it") % {
                "what": what,
                "users": _counted(users),
            }
            self.problem(path, f"{message}; {advice}." if advice else f"{message}.")
            return
        instance.delete()
        self.report.changes.append(Change("remove", what))


def _named(entry: models.Model) -> str:
    """How the report and its problems name an entry, whether it is created, changed or removed."""
    if isinstance(entry, Department):
        return _("department %(slug)s") % {"slug": entry.slug}
    if isinstance(entry, ServiceGroup):
        return _("group “%(name)s”") % {"name": entry.name}
    if isinstance(entry, Service):
        return _("service %(code)s") % {"code": entry.code}
    if isinstance(entry, EscalationStep):
        return _("escalation step %(order)s of %(slug)s") % {"order": entry.order, "slug": entry.department.slug}
    if isinstance(entry, ServiceAttribute):
        return _("question %(code)s of %(service)s") % {"code": entry.code, "service": entry.service.code}
    if isinstance(entry, AttributeValue):
        return _("choice %(key)s of question %(code)s of %(service)s") % {
            "key": entry.key,
            "code": entry.attribute.code,
            "service": entry.attribute.service.code,
        }
    if isinstance(entry, RoutingRule):
        return _("a %(kind)s rule of %(service)s") % {"kind": entry.kind, "service": entry.service.code}
    raise TypeError(f"not an entry of the catalogue file: {entry!r}")


def _users(instance: models.Model) -> list[tuple[str, int]]:
    """What refers to the entry, other than what is removed with it: (model label, how many)."""
    found: dict[str, int] = {}
    goes_with = _REMOVED_WITH.get(type(instance), ())
    for relation in instance._meta.related_objects:
        related = relation.related_model
        rows = related._base_manager.filter(**{relation.field.name: instance})
        if related in goes_with:
            for row in rows:
                for name, count in _users(row):
                    found[name] = found.get(name, 0) + count
        else:
            count = rows.count()
            if count:
                found[related._meta.label] = found.get(related._meta.label, 0) + count
    return sorted(found.items())


def _service_requests() -> type[models.Model]:
    """The service request model, reached through the relation that points here: the catalogue sits below
    the requests in the layers (README, "How civic311 is built") and may not import them."""
    return Service._meta.get_field("service_requests").related_model


def _answering_requests(instance: models.Model) -> int:
    """How many requests hold an answer to the question, or chose the choice: answers are kept by code in
    the request (JSON), not by foreign key, so removing either would hide residents' answers silently."""
    if isinstance(instance, ServiceAttribute):
        attribute, key = instance, None
    elif isinstance(instance, AttributeValue):
        attribute, key = instance.attribute, instance.key
    else:
        return 0
    answers = (
        _service_requests()
        ._default_manager.filter(service_id=attribute.service_id, attributes__has_key=attribute.code)
        .values_list("attributes", flat=True)
    )
    if key is None:
        return answers.count()
    found = 0
    for answer in (answers_by_code.get(attribute.code) for answers_by_code in answers.iterator()):
        chosen = answer if isinstance(answer, list) else [answer]
        found += key in {str(value) for value in chosen}
    return found


def _counted(users: list[tuple[str, int]]) -> str:
    """ "1 contact, 12 service requests" from (model label, count) pairs."""
    named = []
    for label, count in users:
        meta = apps.get_model(label)._meta
        named.append(f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}")
    return ", ".join(named)
