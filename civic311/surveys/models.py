"""The survey engine (instruments, versions, questions, responses, answers) and the phone satisfaction
programme built on it (the daily work list, follow-up tasks for supervisors, surveyors' training).

Writes go through `civic311.surveys.services`; reads through `civic311.surveys.selectors`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.languages import lookup_codes, translated
from civic311.service_requests.models import Channel


class Instrument(models.Model):
    """A questionnaire (the customer satisfaction survey; later community pre/post surveys)."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="survey_instruments")
    slug = models.SlugField(_("slug"))
    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)

    class Meta:
        verbose_name = _("survey instrument")
        verbose_name_plural = _("survey instruments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "slug"], name="unique_instrument_slug")]

    def __str__(self) -> str:
        return self.name


class InstrumentVersion(models.Model):
    """One numbered set of questions. Once published it never changes, so results stay comparable."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey version")
        verbose_name_plural = _("survey versions")
        ordering = ["instrument", "number"]
        constraints = [models.UniqueConstraint(fields=["instrument", "number"], name="unique_instrument_version")]

    def __str__(self) -> str:
        return f"{self.instrument} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Question(models.Model):
    class Kind(models.TextChoices):
        YES_NO = "yes_no", _("Yes or no")
        SCALE_1_5 = "scale_1_5", _("Scale of 1 to 5")
        SINGLE_CHOICE = "single_choice", _("One choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Several choices")
        FREE_TEXT = "free_text", _("Free text")
        CONTACT_DETAILS = "contact_details", _("Contact details")

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("code"), max_length=40)
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("text"))
    # {"es": {"text": "…", "choices": {"key": "…"}}}: English is the source, a missing text falls back to it.
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    # [{"key": "a", "label": "…"}] for the choice kinds.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    # Asked only about a contact an agent took (`selectors.asks_about_agent`): a web or app report had none,
    # and a skipped question has no answer, so the reports count it neither as "yes" nor as "no".
    about_agent = models.BooleanField(
        _("about the agent"),
        default=False,
        help_text=_("Skipped for contacts that had no agent (web, mobile app, Open311)."),
    )

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["version", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_question_code")]

    def __str__(self) -> str:
        return self.code

    def localized(self, field: str = "text", language: str | None = None) -> str:
        return translated(self.translations, field, language) or str(getattr(self, field))

    def localized_choices(self, language: str | None = None) -> list[tuple[str, str]]:
        texts: Any = {}
        if isinstance(self.translations, dict):
            texts = next((self.translations[code] for code in lookup_codes(language) if code in self.translations), {})
        labels = texts.get("choices") if isinstance(texts, dict) else None
        labels = labels if isinstance(labels, dict) else {}
        return [
            (str(choice["key"]), str(labels.get(choice["key"]) or choice.get("label") or choice["key"]))
            for choice in (self.choices or [])
            if isinstance(choice, dict) and "key" in choice
        ]


class Response(models.Model):
    """One attempt to survey one customer, kept with the version it answered."""

    class Outcome(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        NO_ANSWER = "no_answer", _("No answer")
        DECLINED = "declined", _("Declined")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="survey_responses")
    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="responses")
    channel = models.CharField(_("survey channel"), max_length=20, default="phone")
    # The contact surveyed about, with its channel and agent copied so reports survive its deletion.
    contact = models.ForeignKey(
        "requests.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("contact"),
    )
    contact_channel = models.CharField(_("contact channel"), max_length=20, choices=Channel.choices, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_results",
        verbose_name=_("agent"),
    )
    # The agent's team when the survey was taken: a later move does not rewrite past reports.
    team = models.ForeignKey(
        "people.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    surveyor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys_taken",
        verbose_name=_("surveyor"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The "was it fixed?" e-mail survey: the request and the close it asks about (one response per close).
    service_request = models.ForeignKey(
        "requests.ServiceRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("service request"),
    )
    request_closed_at = models.DateTimeField(_("request closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-finished_at", "-pk"]
        indexes = [models.Index(fields=["jurisdiction", "finished_at"], name="survey_response_finished_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "service_request", "request_closed_at"],
                name="one_survey_response_per_close",
                condition=models.Q(service_request__isnull=False, request_closed_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.get_outcome_display()}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField(_("value"))

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="unique_answer")]

    def __str__(self) -> str:
        return self.question.code


class WorkListEntry(models.Model):
    """One consenting contact to call back: anonymous except for the number (never twice per contact)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        DONE = "done", _("Done")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="survey_work_list")
    contact = models.OneToOneField(
        "requests.Contact", on_delete=models.CASCADE, related_name="survey_entry", verbose_name=_("contact")
    )
    callback_phone = models.CharField(_("callback number"), max_length=40)
    # The number's matching key (people.services.normalize_phone: E.164, digits only for an old number that
    # does not parse): the weekly rule matches numbers however they were typed.
    callback_digits = models.CharField(max_length=40, db_index=True)
    customer = models.ForeignKey("people.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    contacted_at = models.DateTimeField(_("contacted"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claimed by"),
    )
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Response.Outcome.choices, blank=True)
    response = models.OneToOneField(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="work_list_entry"
    )
    created_at = models.DateTimeField(_("listed"), default=timezone.now)

    class Meta:
        verbose_name = _("survey work-list entry")
        verbose_name_plural = _("survey work list")
        ordering = ["contacted_at", "pk"]
        indexes = [models.Index(fields=["jurisdiction", "state"], name="survey_entry_state_idx")]

    def __str__(self) -> str:
        return str(_("Survey call %(id)s") % {"id": self.pk})


class FollowUpTask(models.Model):
    """A concerned or dissatisfied customer handed to a supervisor, tracked until resolved."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="survey_follow_ups")
    entry = models.ForeignKey(
        WorkListEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )
    response = models.ForeignKey(Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="survey_follow_ups", verbose_name=_("owner")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("transferred by"),
    )
    deadline = models.DateTimeField(_("deadline"))
    words = models.TextField(_("the customer's words"))
    # The answers the surveyor had typed when they transferred the call ({question code: value as an Answer
    # stores it}, of `answers_version`), so the supervisor sees them and the call page keeps them.
    answers = models.JSONField(_("answers so far"), default=dict, blank=True)
    answers_version = models.ForeignKey(
        InstrumentVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("survey version"),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("survey follow-up")
        verbose_name_plural = _("survey follow-ups")
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return str(_("Follow-up %(id)s") % {"id": self.pk})


class SurveyorTraining(models.Model):
    """A course a surveyor completed; a surveyor may claim calls only with a current record."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_training")
    course = models.CharField(_("course"), max_length=200)
    completed_on = models.DateField(_("completed on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        verbose_name = _("surveyor training")
        verbose_name_plural = _("surveyor training records")
        ordering = ["user", "-completed_on"]

    def __str__(self) -> str:
        return self.course
