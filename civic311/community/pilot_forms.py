"""The forms of the pilot assessment pages. They only read what was typed: the rules are
`services.pilots`', whose errors show on the fields (`civic311.form_errors.show_service_errors`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civic311 import date_inputs
from civic311.people.models import User
from civic311.surveys.models import Instrument

from .models import FocusGroup, Phase, PilotAssessment
from .services.pilots import AssessmentData, FocusGroupData

DEFAULT_FORM = ""


def _style(form: forms.BaseForm) -> None:
    for bound in form.fields.values():
        widget = bound.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class AssessmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    slug = forms.CharField(
        label=_("Short name"),
        required=False,
        max_length=80,
        help_text=_("Lowercase letters, digits and hyphens: the pilot's address."),
    )
    technology = forms.CharField(label=_("Technology"), required=False, max_length=200)
    goals = forms.CharField(label=_("Goals"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    starts_on = forms.DateField(label=_("First day"), required=False, widget=date_inputs.DateInput())
    ends_on = forms.DateField(label=_("Last day"), required=False, widget=date_inputs.DateInput())
    form = forms.ChoiceField(label=_("Feedback form"), required=False)

    def __init__(
        self,
        *args: Any,
        forms_offered: list[Instrument],
        assessment: PilotAssessment | None = None,
        form_locked: bool = False,
        **kwargs: Any,
    ) -> None:
        if assessment is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": assessment.name,
                "slug": assessment.slug,
                "technology": assessment.technology,
                "goals": assessment.goals,
                "starts_on": assessment.starts_on,
                "ends_on": assessment.ends_on,
                "form": str(assessment.form_id or ""),
            }
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = []
        if assessment is None:
            choices.append((DEFAULT_FORM, str(_("A new form with the six dimensions (recommended)"))))
        offered = list(forms_offered)
        if assessment is not None and assessment.form is not None and assessment.form not in offered:
            offered.insert(0, assessment.form)
        choices += [(str(instrument.pk), instrument.name) for instrument in offered]
        self.fields["form"].choices = choices  # type: ignore[attr-defined]
        self.fields["form"].disabled = form_locked
        _style(self)

    def data_for_service(self) -> AssessmentData:
        data = self.cleaned_data
        chosen = data.get("form") or ""
        return AssessmentData(
            name=data.get("name") or "",
            slug=(data.get("slug") or "").strip().lower(),
            technology=data.get("technology") or "",
            goals=data.get("goals") or "",
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            form_id=int(chosen) if chosen.isdigit() else None,
        )


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        name = user.get_full_name() or user.get_username()
        return f"{name} ({user.email})" if user.email else name


class AddParticipantsForm(forms.Form):
    users = StaffChoiceField(
        label=_("Members of staff"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, offered: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["users"]
        field.queryset = User.objects.filter(pk__in=[user.pk for user in offered]).order_by(
            "first_name", "last_name", "username", "pk"
        )


class FocusGroupForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), required=False, widget=date_inputs.DateInput())
    phase = forms.ChoiceField(label=_("Phase"), required=False, choices=Phase.choices, widget=forms.RadioSelect)
    facilitator = forms.CharField(label=_("Facilitator"), required=False, max_length=200)
    attendees = forms.MultipleChoiceField(label=_("Attendees"), required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(
        self, *args: Any, participants: list[tuple[int, str]], group: FocusGroup | None = None, **kwargs: Any
    ) -> None:
        if group is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "held_on": group.held_on,
                "phase": group.phase,
                "facilitator": group.facilitator,
                "attendees": [str(pk) for pk in group.attendees.values_list("pk", flat=True)],
                "notes": group.notes,
            }
        super().__init__(*args, **kwargs)
        self.fields["attendees"].choices = [(str(pk), name) for pk, name in participants]  # type: ignore[attr-defined]
        _style(self)

    def data_for_service(self) -> FocusGroupData:
        data = self.cleaned_data
        return FocusGroupData(
            held_on=data.get("held_on"),
            phase=data.get("phase") or "",
            facilitator=data.get("facilitator") or "",
            notes=data.get("notes") or "",
            attendee_ids=[int(pk) for pk in data.get("attendees") or []],
        )
