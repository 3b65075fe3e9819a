"""The forms of the recruitment and training pages. They only read what was typed: the rules (what is
required, what is valid) are `services.applications`' and `services.training`'s, whose errors show on
the fields (`civic311.form_errors.show_service_errors`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civic311 import date_inputs

from .models import HeardAbout, Liaison, LiaisonApplication, TrainingSession
from .services import applications
from .services.training import SessionData


def _style(form: forms.BaseForm) -> None:
    for bound in form.fields.values():
        widget = bound.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class ApplicationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False, max_length=200)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=200)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone (optional)"), required=False, max_length=40)
    neighborhoods = forms.MultipleChoiceField(
        label=_("Your neighborhood(s)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you speak"), required=False, widget=forms.CheckboxSelectMultiple
    )
    heard_about = forms.ChoiceField(label=_("How did you hear about the program?"), required=False)
    heard_about_detail = forms.CharField(label=_("Tell us more (optional)"), required=False, max_length=200)
    agreed_to_terms = forms.BooleanField(label=_("I agree to the program's terms."), required=False)
    show_on_neighborhood_page = forms.BooleanField(
        label=_("Show my first name and last initial on my neighborhoods' pages."), required=False
    )

    def __init__(self, *args: Any, neighborhoods: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["neighborhoods"].choices = [(str(pk), name) for pk, name in neighborhoods]  # type: ignore[attr-defined]
        self.fields["languages"].choices = applications.spoken_languages()  # type: ignore[attr-defined]
        self.fields["heard_about"].choices = [("", _("Choose one")), *HeardAbout.choices]  # type: ignore[attr-defined]
        autocomplete = {"first_name": "given-name", "last_name": "family-name", "email": "email", "phone": "tel"}
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        self.fields["email"].widget.input_type = "email"
        self.fields["phone"].widget.input_type = "tel"
        _style(self)

    def data_for_service(self, language: str) -> applications.ApplicationData:
        data = self.cleaned_data
        return applications.ApplicationData(
            first_name=data.get("first_name") or "",
            last_name=data.get("last_name") or "",
            email=data.get("email") or "",
            phone=data.get("phone") or "",
            neighborhood_ids=[int(pk) for pk in data.get("neighborhoods") or []],
            languages=list(data.get("languages") or []),
            heard_about=data.get("heard_about") or "",
            heard_about_detail=data.get("heard_about_detail") or "",
            agreed_to_terms=bool(data.get("agreed_to_terms")),
            show_on_neighborhood_page=bool(data.get("show_on_neighborhood_page")),
            language=language,
        )


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *LiaisonApplication.Status.choices]  # type: ignore[attr-defined]
        _style(self)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the applicant)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), required=False, max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=TrainingSession.Kind.choices)
    starts_at = forms.DateTimeField(label=_("Starts"), required=False, widget=date_inputs.DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends"), required=False, widget=date_inputs.DateTimeInput())
    place = forms.CharField(label=_("Place"), required=False, max_length=400)
    online_url = forms.CharField(label=_("Online link"), required=False, max_length=400)
    trainer = forms.CharField(label=_("Trainer"), required=False, max_length=300)
    capacity = forms.IntegerField(label=_("Capacity"), required=False)
    language = forms.ChoiceField(label=_("Language"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = applications.spoken_languages()  # type: ignore[attr-defined]
        self.fields["online_url"].widget.input_type = "url"
        _style(self)

    def data_for_service(self) -> SessionData:
        data = self.cleaned_data
        return SessionData(
            title=data.get("title") or "",
            kind=data.get("kind") or "",
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
            place=data.get("place") or "",
            online_url=data.get("online_url") or "",
            trainer=data.get("trainer") or "",
            capacity=data.get("capacity"),
            language=data.get("language") or "",
        )


class RegisterForm(forms.Form):
    liaison = forms.ModelChoiceField(label=_("Liaison"), queryset=Liaison.objects.none())

    def __init__(self, *args: Any, liaisons: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["liaison"].queryset = liaisons  # type: ignore[attr-defined]
        self.fields["liaison"].label_from_instance = (  # type: ignore[attr-defined]
            lambda found: f"{found.first_name} {found.last_name} ({found.get_status_display()})"
        )
        _style(self)
