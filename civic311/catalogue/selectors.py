"""Reads of the catalogue, and the catalogue's rules for a report: answers, routing, SLA.

Every way in (public form, Open311, console, imports) asks these same functions.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.selectors import business_calendar
from civic311.process_cache import ProcessCache

from .catalogue_file import (
    CatalogueFile,
    ChoiceSpec,
    DepartmentSpec,
    EscalationStepSpec,
    GroupSpec,
    QuestionSpec,
    RuleSpec,
    ServiceSpec,
)
from .models import AttributeValue, Department, EscalationStep, RoutingRule, Service, ServiceAttribute, ServiceGroup

ATTRIBUTE_STRING_MAX = 500
ATTRIBUTE_TEXT_MAX = 4000

# Every report is checked against its service's questions, choices and rules, which staff change rarely:
# each process keeps a city's whole catalogue for a minute (the other processes see a change within
# that), and a save or delete in this process forgets it at once (catalogue/signals.py).
CATALOGUE_CACHE_SECONDS = 60
_catalogues: ProcessCache[int, dict[str, Service]] = ProcessCache(CATALOGUE_CACHE_SECONDS)

Answer = str | list[str]


def offered_services(jurisdiction: Jurisdiction) -> QuerySet[Service]:
    """Services a resident can report, with what a form or a listing needs in one query each."""
    return (
        Service.objects.filter(jurisdiction=jurisdiction, is_active=True, kind=Service.Kind.REQUEST)
        .select_related("group", "department")
        .order_by("group__order", "group__name", "order", "name")
    )


def services_in_groups(jurisdiction: Jurisdiction) -> list[tuple[ServiceGroup, list[Service]]]:
    grouped: dict[int, tuple[ServiceGroup, list[Service]]] = {}
    for service in offered_services(jurisdiction):
        grouped.setdefault(service.group_id, (service.group, []))[1].append(service)
    return list(grouped.values())


def forget_cached_catalogue(jurisdiction_id: int | None = None) -> None:
    """Forget the catalogue this process keeps for a jurisdiction (for every one with no id)."""
    _catalogues.forget(jurisdiction_id)


def _reportable_catalogue(jurisdiction: Jurisdiction) -> dict[str, Service]:
    """Every service of the jurisdiction by code, with its questions, their choices and its routing rules."""
    services = list(
        Service.objects.filter(jurisdiction=jurisdiction)
        .select_related("department", "group")
        .prefetch_related(
            Prefetch("attributes", queryset=ServiceAttribute.objects.prefetch_related("values")),
            Prefetch("routing_rules", queryset=RoutingRule.objects.select_related("department")),
        )
    )
    kept = copy.copy(jurisdiction)  # the caller's own may be changed by its request; this one is shared
    for service in services:
        service.jurisdiction = kept  # for the SLA's calendar, without a query per report
    return {service.code: service for service in services}


def service_for_report(jurisdiction: Jurisdiction, code: str) -> Service:
    """The service a report is for, with its questions and rules; a clear error if it takes no reports.

    The service comes from the catalogue this process keeps and is shared with other requests: read it,
    never change or save it.
    """
    code = (code or "").strip()
    if not code:
        raise ValidationError({"service_code": _("Choose the kind of problem you are reporting.")})
    catalogue = _catalogues.get(jurisdiction.pk, lambda: _reportable_catalogue(jurisdiction))
    service = catalogue.get(code)
    if service is None or not service.accepts_requests:
        raise ValidationError(
            {"service_code": _("There is no service with the code “%(code)s”.") % {"code": code[:60]}}
        )
    return service


def questions_of(jurisdiction: Jurisdiction, service: Service) -> list[ServiceAttribute]:
    """The service's questions in their order, each with its choices: from the catalogue this process keeps
    (shared: read them, never change them), or read when the service is not in it."""
    kept = _catalogues.get(jurisdiction.pk, lambda: _reportable_catalogue(jurisdiction)).get(service.code)
    if kept is not None and kept.pk == service.pk:
        return list(kept.attributes.all())  # prefetched with their choices
    return list(service.attributes.prefetch_related("values"))


def _clean_answer(attribute: ServiceAttribute, raw: Answer) -> Answer | None:
    """One answer, checked against its datatype; None when left empty. Raises ValidationError."""
    datatype = attribute.datatype
    label = attribute.localized("description")
    values = raw if isinstance(raw, list) else [raw]
    values = [str(value).strip() for value in values if str(value).strip()]
    if not values:
        return None
    if datatype != ServiceAttribute.Datatype.MULTIVALUELIST and len(values) > 1:
        raise ValidationError(_("“%(label)s” takes one answer.") % {"label": label})
    value = values[0]
    if datatype == ServiceAttribute.Datatype.STRING:
        if "\n" in value or "\r" in value:
            raise ValidationError(_("“%(label)s” takes one line of text.") % {"label": label})
        if len(value) > ATTRIBUTE_STRING_MAX:
            raise ValidationError(
                _("“%(label)s” can be at most %(max)d characters.") % {"label": label, "max": ATTRIBUTE_STRING_MAX}
            )
        return value
    if datatype == ServiceAttribute.Datatype.TEXT:
        if len(value) > ATTRIBUTE_TEXT_MAX:
            raise ValidationError(
                _("“%(label)s” can be at most %(max)d characters.") % {"label": label, "max": ATTRIBUTE_TEXT_MAX}
            )
        return value
    if datatype == ServiceAttribute.Datatype.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or len(value) > 40:
            raise ValidationError(_("“%(label)s” must be a number.") % {"label": label})
        return value
    if datatype == ServiceAttribute.Datatype.DATETIME:
        try:
            parsed = parse_datetime(value.replace("Z", "+00:00")) if len(value) <= 40 else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(_("“%(label)s” must be a date and time, like 2024-01-31T14:30.") % {"label": label})
        return value
    allowed = {choice.key for choice in attribute.values.all()}
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise ValidationError(
            _("“%(value)s” is not one of the choices for “%(label)s”.") % {"value": unknown[0][:60], "label": label}
        )
    if datatype == ServiceAttribute.Datatype.MULTIVALUELIST:
        return list(dict.fromkeys(values))
    return value


def validate_answers(
    service: Service, raw_answers: Mapping[str, Answer]
) -> tuple[dict[str, Answer], dict[str, list[str]]]:
    """Answers checked against the service definition: (clean answers, errors keyed `attribute[CODE]`)."""
    attributes = {attribute.code: attribute for attribute in service.attributes.all() if attribute.variable}
    cleaned: dict[str, Answer] = {}
    errors: dict[str, list[str]] = {}
    for code in raw_answers:
        if code not in attributes:
            errors[f"attribute[{code[:60]}]"] = [
                _("“%(code)s” is not a question of this service.") % {"code": code[:60]}
            ]
    for code, attribute in attributes.items():
        try:
            answer = _clean_answer(attribute, raw_answers.get(code, ""))
        except ValidationError as exc:
            errors[f"attribute[{code}]"] = exc.messages
            continue
        if answer is None:
            if attribute.required:
                # The question's label only: residents see this message; Open311 errors name the code in
                # their `attribute[CODE]: …` prefix (endpoints.validation_messages).
                errors[f"attribute[{code}]"] = [
                    _("“%(label)s” is required.") % {"label": attribute.localized("description")}
                ]
            continue
        cleaned[code] = answer
    return cleaned, errors


@dataclass
class Routing:
    department: Department
    hazard_alerts: list[str] = field(default_factory=list)


def canned_answer(service: Service, raw_answers: Mapping[str, Answer]) -> RoutingRule | None:
    """The rule that stops this report with an answer instead of a request ("gas escaping → call 911")."""
    # Compared as the answers are cleaned (stripped), so stray spaces cannot slip a report past the rule.
    answers: dict[str, object] = {
        code: ([str(item).strip() for item in value] if isinstance(value, list) else str(value).strip())
        for code, value in raw_answers.items()
    }
    for rule in service.routing_rules.all():
        if rule.kind == RoutingRule.Kind.CANNED_ANSWER and rule.matches_answer(answers):
            return rule
    return None


def route(service: Service, neighborhood_id: int | None, answers: Mapping[str, Answer]) -> Routing:
    routing = Routing(department=service.department)
    for rule in service.routing_rules.all():
        if rule.kind == RoutingRule.Kind.NEIGHBORHOOD and neighborhood_id and rule.neighborhood_id == neighborhood_id:
            # clean() requires a neighborhood rule's department; a row without one leaves the routing alone.
            routing.department = rule.department or routing.department
        elif rule.kind == RoutingRule.Kind.HAZARD_ALERT and rule.matches_answer(dict(answers)):
            routing.hazard_alerts.append(rule.localized("message"))
    return routing


def sla_due_at(service: Service, received_at: dt.datetime) -> dt.datetime | None:
    if service.sla_unit == Service.SlaUnit.NONE or not service.sla_value:
        return None
    if service.sla_unit == Service.SlaUnit.HOURS:
        return business_calendar(service.jurisdiction).due_after_hours(received_at, service.sla_value)
    return business_calendar(service.jurisdiction).due_after_business_days(received_at, service.sla_value)


def departments(jurisdiction: Jurisdiction) -> QuerySet[Department]:
    return Department.objects.filter(jurisdiction=jurisdiction)


def catalogue_file_of(jurisdiction: Jurisdiction) -> CatalogueFile:
    """The city's whole catalogue as a catalogue file (`services.load_catalogue` reads it back unchanged)."""

    steps: dict[int, list[EscalationStepSpec]] = {}
    for step in EscalationStep.objects.filter(department__jurisdiction=jurisdiction).order_by("order", "pk"):
        steps.setdefault(step.department_id, []).append(
            EscalationStepSpec(
                label=step.label,
                offset_business_days=step.offset_business_days,
                notify_email=step.notify_email,
                order=step.order,
            )
        )
    departments = tuple(
        DepartmentSpec(
            slug=department.slug,
            name=department.name,
            point_person=department.point_person,
            contact_email=department.contact_email,
            contact_phone=department.contact_phone,
            opens_at=department.opens_at,
            closes_at=department.closes_at,
            open_weekdays=tuple(sorted(int(day) for day in department.open_weekdays.split(",") if day.strip())),
            translations=department.translations or {},
            escalation=tuple(steps.get(department.pk, ())),
        )
        # Sorted here, not by the database: its collation may order "a-b" and "ab" otherwise.
        for department in sorted(Department.objects.filter(jurisdiction=jurisdiction), key=lambda d: d.slug)
    )
    groups = tuple(
        GroupSpec(name=group.name, order=group.order, translations=group.translations or {})
        for group in sorted(ServiceGroup.objects.filter(jurisdiction=jurisdiction), key=lambda g: (g.order, g.name))
    )
    services = (
        Service.objects.filter(jurisdiction=jurisdiction)
        .select_related("group", "department")
        .prefetch_related(
            Prefetch(
                "attributes",
                ServiceAttribute.objects.order_by("order", "pk").prefetch_related(
                    Prefetch("values", AttributeValue.objects.order_by("order", "pk"))
                ),
            ),
            Prefetch(
                "routing_rules",
                RoutingRule.objects.select_related("neighborhood", "department").order_by("order", "pk"),
            ),
        )
    )
    return CatalogueFile(
        departments=departments,
        groups=groups,
        services=tuple(
            ServiceSpec(
                code=service.code,
                name=service.name,
                group=service.group.name,
                department=service.department.slug,
                description=service.description,
                keywords=service.keywords,
                kind=service.kind,
                open311_type=service.open311_type,
                sla_unit=service.sla_unit,
                sla_value=service.sla_value,
                service_notice=service.service_notice,
                active=service.is_active,
                order=service.order,
                typical_volume=service.typical_volume,
                translations=service.translations or {},
                questions=tuple(
                    QuestionSpec(
                        code=attribute.code,
                        datatype=attribute.datatype,
                        description=attribute.description,
                        datatype_description=attribute.datatype_description,
                        required=attribute.required,
                        variable=attribute.variable,
                        order=attribute.order,
                        translations=attribute.translations or {},
                        choices=tuple(
                            ChoiceSpec(
                                key=value.key, name=value.name, order=value.order, translations=value.translations or {}
                            )
                            for value in attribute.values.all()
                        ),
                    )
                    for attribute in service.attributes.all()
                ),
                rules=tuple(
                    RuleSpec(
                        kind=rule.kind,
                        neighborhood=rule.neighborhood.slug if rule.neighborhood else "",
                        department=rule.department.slug if rule.department and rule.neighborhood else "",
                        attribute_code=rule.attribute_code,
                        attribute_value=rule.attribute_value,
                        message=rule.message,
                        order=rule.order,
                        translations=rule.translations or {},
                    )
                    for rule in service.routing_rules.all()
                ),
            )
            for service in sorted(services, key=lambda s: (s.order, s.code))
        ),
    )
