"""The forms of the youth program's cohort pages. They only read what was typed: the rules are
`services.youth`'s, whose errors show on the fields (`civic311.form_errors.show_service_errors`). The
participant's form has only the fields a participant may have (`PARTICIPANT_FIELDS`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civic311 import date_inputs

from .models import AgeBand, Cohort, ConsentMethod
from .recruitment_forms import _style
from .services import youth


def _ids(values: Any) -> list[int]:
    return [int(value) for value in values or []]


class CohortForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=300)
    slug = forms.CharField(
        label=_("Short name (for the page's address)"),
        required=False,
        max_length=120,
        help_text=_("Lowercase letters, digits and hyphens, such as harding-summer-2026. It cannot be changed later."),
    )
    site_name = forms.CharField(label=_("Site (school or center)"), required=False, max_length=300)
    site_kind = forms.ChoiceField(label=_("Kind of site"), required=False)
    site_address = forms.CharField(label=_("Address"), required=False, max_length=400)
    neighborhood = forms.ChoiceField(label=_("Neighborhood"), required=False)
    starts_on = forms.DateField(label=_("First day"), required=False, widget=date_inputs.DateInput())
    ends_on = forms.DateField(label=_("Last day"), required=False, widget=date_inputs.DateInput())
    partners = forms.MultipleChoiceField(label=_("Partners"), required=False, widget=forms.CheckboxSelectMultiple)
    sessions_to_complete = forms.IntegerField(label=_("Sessions to attend to complete"), required=False)
    after_survey_to_complete = forms.BooleanField(
        label=_("Participants must also answer the after survey to complete"), required=False
    )
    signatory_name = forms.CharField(label=_("Certificates signed by"), required=False, max_length=300)
    signatory_title = forms.CharField(label=_("Signatory's title"), required=False, max_length=300)
    second_signatory_name = forms.CharField(label=_("Also signed by (optional)"), required=False, max_length=300)
    second_signatory_title = forms.CharField(label=_("Second signatory's title"), required=False, max_length=300)

    def __init__(
        self,
        *args: Any,
        neighborhoods: list[tuple[int, str]],
        partners: list[tuple[int, str]],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site_kind"].choices = [("", _("Choose one")), *Cohort.SiteKind.choices]  # type: ignore[attr-defined]
        self.fields["neighborhood"].choices = [("", _("None")), *[(str(pk), name) for pk, name in neighborhoods]]  # type: ignore[attr-defined]
        self.fields["partners"].choices = [(str(pk), name) for pk, name in partners]  # type: ignore[attr-defined]
        if editing:
            del self.fields["slug"]
        _style(self)

    def data_for_service(self, slug: str = "") -> youth.CohortData:
        data = self.cleaned_data
        neighborhood = data.get("neighborhood") or ""
        return youth.CohortData(
            name=data.get("name") or "",
            slug=data.get("slug") or slug,
            site_name=data.get("site_name") or "",
            site_kind=data.get("site_kind") or "",
            site_address=data.get("site_address") or "",
            neighborhood_id=int(neighborhood) if neighborhood.isdigit() else None,
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            partner_ids=_ids(data.get("partners")),
            sessions_to_complete=data.get("sessions_to_complete"),
            after_survey_to_complete=bool(data.get("after_survey_to_complete")),
            signatory_name=data.get("signatory_name") or "",
            signatory_title=data.get("signatory_title") or "",
            second_signatory_name=data.get("second_signatory_name") or "",
            second_signatory_title=data.get("second_signatory_title") or "",
        )


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Organization"), required=False, max_length=300)
    website = forms.CharField(label=_("Website"), required=False, max_length=300)
    contact_name = forms.CharField(label=_("Contact"), required=False, max_length=300)
    contact_email = forms.CharField(label=_("Contact's e-mail"), required=False, max_length=254)
    contact_phone = forms.CharField(label=_("Contact's phone"), required=False, max_length=40)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["website"].widget.input_type = "url"
        self.fields["contact_email"].widget.input_type = "email"
        self.fields["contact_phone"].widget.input_type = "tel"
        _style(self)

    def data_for_service(self) -> youth.PartnerData:
        data = self.cleaned_data
        return youth.PartnerData(
            name=data.get("name") or "",
            website=data.get("website") or "",
            contact_name=data.get("contact_name") or "",
            contact_email=data.get("contact_email") or "",
            contact_phone=data.get("contact_phone") or "",
            notes=data.get("notes") or "",
        )


class SessionForm(forms.Form):
    number = forms.IntegerField(label=_("Session number"), required=False)
    starts_at = forms.DateTimeField(label=_("Starts"), required=False, widget=date_inputs.DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends"), required=False, widget=date_inputs.DateTimeInput())
    topic = forms.CharField(label=_("Topic"), required=False, max_length=400)
    presenting_departments = forms.MultipleChoiceField(
        label=_("Presenting departments"), required=False, widget=forms.CheckboxSelectMultiple
    )
    presenting_partners = forms.MultipleChoiceField(
        label=_("Presenting partners"), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_presenters = forms.CharField(label=_("Other presenters"), required=False, max_length=400)
    has_field_walk = forms.BooleanField(label=_("This session includes a field walk"), required=False)

    def __init__(
        self, *args: Any, departments: list[tuple[int, str]], partners: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["presenting_departments"].choices = [(str(pk), name) for pk, name in departments]  # type: ignore[attr-defined]
        self.fields["presenting_partners"].choices = [(str(pk), name) for pk, name in partners]  # type: ignore[attr-defined]
        _style(self)

    def data_for_service(self) -> youth.SessionData:
        data = self.cleaned_data
        return youth.SessionData(
            number=data.get("number"),
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
            topic=data.get("topic") or "",
            department_ids=_ids(data.get("presenting_departments")),
            partner_ids=_ids(data.get("presenting_partners")),
            other_presenters=data.get("other_presenters") or "",
            has_field_walk=bool(data.get("has_field_walk")),
        )


class WeeklySessionsForm(forms.Form):
    first_starts_at = forms.DateTimeField(
        label=_("The first session starts"),
        required=False,
        widget=date_inputs.DateTimeInput(),
    )
    duration_minutes = forms.IntegerField(label=_("Each session lasts (minutes)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class ParticipantForm(forms.Form):
    """A participant and their guardian's consent: exactly what `PARTICIPANT_FIELDS` allows staff to type."""

    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_initial = forms.CharField(label=_("Last initial"), required=False, max_length=5)
    age_band = forms.ChoiceField(label=_("Age"), required=False)
    guardian_name = forms.CharField(label=_("Parent or guardian who consented"), required=False, max_length=200)
    guardian_contact = forms.CharField(
        label=_("Guardian's phone or e-mail (optional)"),
        required=False,
        max_length=300,
        help_text=_("Kept only for a short time after the cohort ends, then erased."),
    )
    consent_method = forms.ChoiceField(label=_("Consent given"), required=False)
    consented_on = forms.DateField(label=_("Consent date"), required=False, widget=date_inputs.DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["age_band"].choices = [("", _("Choose one")), *AgeBand.choices]  # type: ignore[attr-defined]
        self.fields["consent_method"].choices = [("", _("Choose one")), *ConsentMethod.choices]  # type: ignore[attr-defined]
        for name in ("first_name", "last_initial", "guardian_name", "guardian_contact"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        _style(self)

    def data_for_service(self) -> youth.ParticipantData:
        data = self.cleaned_data
        return youth.ParticipantData(
            first_name=data.get("first_name") or "",
            last_initial=data.get("last_initial") or "",
            age_band=data.get("age_band") or "",
            guardian_name=data.get("guardian_name") or "",
            guardian_contact=data.get("guardian_contact") or "",
            consent_method=data.get("consent_method") or "",
            consented_on=data.get("consented_on"),
        )


class SettingsForm(forms.Form):
    guardian_contact_days = forms.IntegerField(
        label=_("Days the guardians' contacts are kept after a cohort ends"), required=False
    )
    retention_days = forms.IntegerField(
        label=_("Days until participants are anonymised after a cohort ends"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
