"""The surveyors' forms. They only collect input; the rules (answers by kind, who may transfer to whom)
live in `services`, whose ValidationErrors are shown on the form with `add_service_errors`."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civic311 import date_inputs
from civic311.form_errors import show_service_errors
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.contact_details import format_phone

from . import selectors
from .models import InstrumentVersion, Question, Response

CONTACT_PARTS = (("name", _("Name")), ("phone", _("Phone number")), ("email", _("E-mail address")))
YES_NO = (("yes", _("Yes")), ("no", _("No")))
SCALE = tuple((str(number), str(number)) for number in range(1, 6))


class ServiceErrors:
    """Show a service's ValidationError on the form: keyed messages on their field, the rest on top."""

    def add_service_errors(self, error: ValidationError, aliases: dict[str, str] | None = None) -> None:
        show_service_errors(cast(forms.BaseForm, self), error, aliases)


class AnswersForm(ServiceErrors, forms.Form):
    """One field per question the survey asks about a contact on `channel` (three for contact details),
    rendered by kind; `so_far` are answers already kept (as stored, by code), shown again."""

    def __init__(
        self,
        *args: Any,
        version: InstrumentVersion,
        channel: str | None = None,
        so_far: dict[str, object] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = (
            selectors.questions_for(version, channel) if channel is not None else list(version.questions.all())
        )
        self.skips_agent_questions = len(self.questions) < version.questions.count()
        self.aliases: dict[str, str] = {}
        for question in self.questions:
            label = question.localized()
            field: forms.Field
            if question.kind == Question.Kind.CONTACT_DETAILS:
                for part, part_label in CONTACT_PARTS:
                    self.fields[f"{question.code}_{part}"] = forms.CharField(
                        label=part_label,
                        required=False,
                        max_length=254,
                        widget=forms.TextInput(attrs={"class": "form-control"}),
                    )
                self.aliases[question.code] = f"{question.code}_name"
                continue
            if question.kind == Question.Kind.YES_NO:
                field = forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect)
            elif question.kind == Question.Kind.SCALE_1_5:
                field = forms.ChoiceField(choices=SCALE, widget=forms.RadioSelect)
            elif question.kind == Question.Kind.SINGLE_CHOICE:
                field = forms.ChoiceField(choices=question.localized_choices(), widget=forms.RadioSelect)
            elif question.kind == Question.Kind.MULTIPLE_CHOICE:
                field = forms.MultipleChoiceField(
                    choices=question.localized_choices(), widget=forms.CheckboxSelectMultiple
                )
            else:
                field = forms.CharField(
                    widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}), max_length=2000
                )
            field.label = label
            field.required = False  # the service decides what is required, with its own message
            self.fields[question.code] = field
        if not self.is_bound and so_far:
            self.initial.update(self._initial_from(so_far))

    def _initial_from(self, stored: dict[str, object]) -> dict[str, object]:
        """Stored answers (`Answer.value` shapes) as this form's initial values."""
        initial: dict[str, object] = {}
        for question in self.questions:
            if question.code not in stored:
                continue
            value = stored[question.code]
            if question.kind == Question.Kind.CONTACT_DETAILS and isinstance(value, dict):
                for part, _label in CONTACT_PARTS:
                    initial[f"{question.code}_{part}"] = value.get(part, "")
                # Stored as E.164; shown as the surveyor reads it out, "(215) 555-0199".
                initial[f"{question.code}_phone"] = format_phone(str(value.get("phone") or ""))
            elif question.kind == Question.Kind.YES_NO:
                initial[question.code] = "yes" if value is True else "no" if value is False else ""
            elif question.kind == Question.Kind.SCALE_1_5:
                initial[question.code] = str(value)
            else:
                initial[question.code] = value
        return initial

    def grouped(self) -> list[tuple[Question, list[forms.BoundField]]]:
        """Each question with its bound fields, in order, for the template."""
        rows = []
        for question in self.questions:
            if question.kind == Question.Kind.CONTACT_DETAILS:
                rows.append((question, [self[f"{question.code}_{part}"] for part, _label in CONTACT_PARTS]))
            else:
                rows.append((question, [self[question.code]]))
        return rows

    def answers(self) -> dict[str, object]:
        raw: dict[str, object] = {}
        for question in self.questions:
            if question.kind == Question.Kind.CONTACT_DETAILS:
                raw[question.code] = {
                    part: self.cleaned_data.get(f"{question.code}_{part}", "") for part, _label in CONTACT_PARTS
                }
            else:
                raw[question.code] = self.cleaned_data.get(question.code)
        return raw


class OutcomeForm(ServiceErrors, forms.Form):
    outcome = forms.ChoiceField(
        label=_("No survey"),
        widget=forms.RadioSelect,
        choices=[(value, label) for value, label in Response.Outcome.choices if value != Response.Outcome.COMPLETED],
    )


class StaffChoiceField(forms.ModelChoiceField):
    """Staff by username, as the rest of the survey pages name them."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_username())


class TransferForm(ServiceErrors, forms.Form):
    owner: StaffChoiceField = StaffChoiceField(
        label=_("Supervisor"),
        queryset=get_user_model().objects.none(),  # the city's supervisors: see __init__
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        widget=date_inputs.DateTimeInput(attrs={"class": "form-control"}),
    )
    words = forms.CharField(
        label=_("The customer's words"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args: Any, jurisdiction: Jurisdiction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner"]
        owner.queryset = selectors.supervisors(jurisdiction)


class ResolveForm(ServiceErrors, forms.Form):
    resolution = forms.CharField(
        label=_("How it was resolved"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
