"""The service catalogue: departments, the services residents can ask for, and how requests are routed."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.languages import translated

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$", re.IGNORECASE)


def check_translations(value: object, fields: tuple[str, ...]) -> None:
    """`{"es": {"name": "…"}}`: language codes to texts, naming only fields that can be translated."""
    if value in (None, ""):
        return
    if not isinstance(value, dict):
        raise ValidationError(_('Write an object keyed by language code, like {"es": {"name": "…"}}.'))
    for language, texts in value.items():
        if not LANGUAGE_CODE.match(language):
            raise ValidationError(
                _("“%(code)s” is not a language code such as es or zh-hans."), params={"code": language[:20]}
            )
        if not isinstance(texts, dict) or not all(isinstance(text, str) for text in texts.values()):
            raise ValidationError(
                _("The translations for “%(code)s” must map field names to text."), params={"code": language}
            )
        unknown = sorted(set(texts) - set(fields))
        if unknown:
            raise ValidationError(
                _("“%(field)s” cannot be translated here; use %(fields)s."),
                params={"field": unknown[0][:40], "fields": ", ".join(fields)},
            )


class Translatable(models.Model):
    """Catalogue text in other languages: `translations = {"es": {"name": "…", "description": "…"}}`.

    English is the source; a missing translation falls back to it.
    """

    translatable_fields: tuple[str, ...] = ("name",)

    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None) -> None:
        super().clean_fields(exclude=exclude)
        if exclude is None or "translations" not in exclude:
            try:
                check_translations(self.translations, self.translatable_fields)
            except ValidationError as error:
                raise ValidationError({"translations": error.messages}) from error

    def localized(self, field: str, language: str | None = None) -> str:
        return translated(self.translations, field, language) or getattr(self, field)


class Department(Translatable):
    translatable_fields = ("name",)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="departments")
    slug = models.SlugField(_("slug"))
    name = models.CharField(_("name"), max_length=200)
    point_person = models.CharField(_("point person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    opens_at = models.TimeField(_("opens at"), default=dt.time(8, 30))
    closes_at = models.TimeField(_("closes at"), default=dt.time(17, 0))
    open_weekdays = models.CharField(
        _("open weekdays"), max_length=13, default="0,1,2,3,4", help_text=_("Comma list: 0 is Monday, 6 is Sunday.")
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "slug"], name="unique_department_slug")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.opens_at >= self.closes_at:
            raise ValidationError(_("A department must open before it closes."))


class ServiceGroup(Translatable):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="service_groups")
    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service group")
        verbose_name_plural = _("service groups")
        ordering = ["order", "name"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "name"], name="unique_group_name")]

    def __str__(self) -> str:
        return self.name


class Service(Translatable):
    translatable_fields = ("name", "description", "service_notice")

    class Kind(models.TextChoices):
        REQUEST = "request", _("Service request")
        INFORMATION = "information", _("Information only")

    class Open311Type(models.TextChoices):
        REALTIME = "realtime", _("Realtime: the request id is returned at once")
        BATCH = "batch", _("Batch: a token is returned, the id later")
        BLACKBOX = "blackbox", _("Blackbox: no further updates")

    class SlaUnit(models.TextChoices):
        NONE = "none", _("No SLA")
        BUSINESS_DAYS = "business_days", _("Business days")
        HOURS = "hours", _("Hours, around the clock")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="services")
    code = models.CharField(
        _("service code"),
        max_length=40,
        validators=[RegexValidator(r"^[A-Za-z0-9._-]+$", _("Use letters, digits, dots, dashes and underscores."))],
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, related_name="services", verbose_name=_("group"))
    keywords = models.CharField(
        _("keywords"), max_length=500, blank=True, help_text=_("Comma list of words residents use for this problem.")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="services", verbose_name=_("responsible department")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REQUEST)
    open311_type = models.CharField(
        _("Open311 type"), max_length=10, choices=Open311Type.choices, default=Open311Type.REALTIME
    )
    sla_unit = models.CharField(_("SLA unit"), max_length=20, choices=SlaUnit.choices, default=SlaUnit.BUSINESS_DAYS)
    sla_value = models.PositiveIntegerField(_("SLA"), null=True, blank=True, validators=[MinValueValidator(1)])
    service_notice = models.CharField(
        _("public service notice"),
        max_length=200,
        blank=True,
        help_text=_("What residents are told to expect, e.g. “5 Business Days”."),
    )
    # Where and when an open request of this kind is likely the same problem a new report describes
    # (text_intelligence.duplicates): a pothole 40 m away is; a missed collection is a whole block.
    duplicate_radius_m = models.PositiveIntegerField(
        _("duplicate radius (metres)"),
        default=150,
        validators=[MinValueValidator(10)],
        help_text=_("Open requests of this service within this distance are suggested as possible duplicates."),
    )
    duplicate_window_days = models.PositiveIntegerField(
        _("duplicate window (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("Only requests made within this many days are suggested as possible duplicates."),
    )
    is_active = models.BooleanField(_("offered"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    # How many requests of this kind the city sees; shapes generated demo data and sorts suggestions.
    typical_volume = models.PositiveIntegerField(_("typical volume"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["order", "name"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "code"], name="unique_service_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.sla_unit != self.SlaUnit.NONE and not self.sla_value:
            raise ValidationError({"sla_value": _("Give the number of days or hours.")})
        if self.group_id and self.group.jurisdiction_id != self.jurisdiction_id:
            raise ValidationError({"group": _("The group belongs to another jurisdiction.")})
        if self.department_id and self.department.jurisdiction_id != self.jurisdiction_id:
            raise ValidationError({"department": _("The department belongs to another jurisdiction.")})

    @property
    def accepts_requests(self) -> bool:
        return self.is_active and self.kind == self.Kind.REQUEST

    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.split(",") if word.strip()]


class ServiceAttribute(Translatable):
    """A question asked when reporting, with one of Open311's six datatypes."""

    translatable_fields = ("description", "datatype_description")

    class Datatype(models.TextChoices):
        STRING = "string", _("Text, one line")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Text, several lines")
        SINGLEVALUELIST = "singlevaluelist", _("Choose one")
        MULTIVALUELIST = "multivaluelist", _("Choose any")

    LIST_DATATYPES = frozenset({Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST})

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="attributes")
    code = models.CharField(
        _("code"),
        max_length=60,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("Use letters, digits, dashes and underscores."))],
    )
    datatype = models.CharField(_("datatype"), max_length=20, choices=Datatype.choices)
    description = models.CharField(
        _("question"), max_length=500, help_text=_("The question or label shown to the resident.")
    )
    datatype_description = models.CharField(_("help text"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(
        _("asks for an answer"), default=True, help_text=_("Off for text that is only shown.")
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service attribute")
        verbose_name_plural = _("service attributes")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="unique_attribute_code")]

    def __str__(self) -> str:
        return self.code


class AttributeValue(Translatable):
    """One choice of a single- or multi-value list attribute."""

    attribute = models.ForeignKey(ServiceAttribute, on_delete=models.CASCADE, related_name="values")
    key = models.CharField(_("key"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["attribute", "key"], name="unique_value_key")]

    def __str__(self) -> str:
        return f"{self.key}: {self.name}"


class RoutingRule(Translatable):
    """An exception to "a service goes to its department".

    - NEIGHBORHOOD: requests from a neighborhood go to another department.
    - HAZARD_ALERT: an attribute answer marks the request hazardous and alerts the department at once.
    - CANNED_ANSWER: an attribute answer stops the report with a canned reply ("call 911") and no request.
    """

    translatable_fields = ("message",)

    class Kind(models.TextChoices):
        NEIGHBORHOOD = "neighborhood", _("Send a neighborhood's requests to another department")
        HAZARD_ALERT = "hazard_alert", _("Raise a hazard alert on an answer")
        CANNED_ANSWER = "canned_answer", _("Answer and stop, creating no request")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="routing_rules")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    neighborhood = models.ForeignKey(
        Neighborhood, on_delete=models.CASCADE, null=True, blank=True, related_name="routing_rules"
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, null=True, blank=True, related_name="routing_rules"
    )
    attribute_code = models.CharField(_("attribute code"), max_length=60, blank=True)
    attribute_value = models.CharField(_("answer that triggers it"), max_length=100, blank=True)
    message = models.TextField(
        _("message"), blank=True, help_text=_("The canned answer shown to the resident, or the alert text.")
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"{self.service.code}: {self.get_kind_display()}"

    def clean(self) -> None:
        if self.kind == self.Kind.NEIGHBORHOOD:
            if not (self.neighborhood_id and self.department_id):
                raise ValidationError(_("A neighborhood rule needs a neighborhood and a department."))
        else:
            if not (self.attribute_code and self.attribute_value):
                raise ValidationError(_("An answer rule needs an attribute code and the triggering answer."))
            if not self.message:
                raise ValidationError({"message": _("Say what the resident or the department is told.")})

    def matches_answer(self, answers: dict[str, object]) -> bool:
        answer = answers.get(self.attribute_code)
        if isinstance(answer, list):
            return self.attribute_value in answer
        return answer is not None and str(answer) == self.attribute_value


class EscalationStep(models.Model):
    """One rung of a department's escalation ladder: whom to tell, some business days from the due date."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="escalation_steps", verbose_name=_("department")
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    label = models.CharField(_("label"), max_length=100, help_text=_("e.g. point person, supervisor, director"))
    offset_business_days = models.IntegerField(
        _("business days from the due date"),
        default=0,
        help_text=_("Negative: before the due date; 0: at the due date; positive: after it."),
    )
    notify_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tell (staff)"),
    )
    notify_email = models.EmailField(_("tell (e-mail)"), blank=True)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation ladder")
        ordering = ["department", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["department", "order"], name="unique_escalation_step_order")]

    def __str__(self) -> str:
        return f"{self.label} ({self.offset_business_days:+d})"

    def clean(self) -> None:
        if not self.notify_user_id and not self.notify_email:
            raise ValidationError(_("Say whom to tell: a member of staff, an e-mail address, or both."))
