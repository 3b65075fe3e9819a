from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from civic311 import date_inputs
from civic311.form_errors import show_service_errors
from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge.selectors import localized, published_articles

from . import services
from .models import BASE_LANGUAGE, Emergency

TEXTS = ("title", "banner", "script")
# Shown open on the form; the other languages are a click away (STAFF_LANGUAGES of public.resident_languages).
OPEN_LANGUAGES = ("en", "es")
# The service's error keys → the form's fields (the English text carries a text's error).
SERVICE_FIELDS = {
    "title": f"title_{BASE_LANGUAGE}",
    "banner": f"banner_{BASE_LANGUAGE}",
    "agent_script": f"script_{BASE_LANGUAGE}",
}


class ArticleChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:

        return localized(obj, translation.get_language()).title


class DeclareForm(forms.Form):
    """Declaring an emergency. Times are entered in the city's zone (the active one on staff pages)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Emergency.Kind.choices)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=date_inputs.DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends"), widget=date_inputs.DateTimeInput())
    surge = forms.BooleanField(label=_("Surge: show the surge flag on the reader board"), required=False)
    pinned_articles = ArticleChoices(
        label=_("Pinned answers"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, jurisdiction: Jurisdiction, **kwargs: Any) -> None:

        super().__init__(*args, **kwargs)
        # As long as the shortest configured network allows (280 characters for X).
        self.fields["message"] = forms.CharField(
            label=_("Coordinated message"),
            max_length=services.message_limit(),
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("Sent once to every channel: social accounts, webhooks, the broadcast e-mail list."),
        )
        articles = self.fields["pinned_articles"]
        articles.queryset = published_articles(jurisdiction).order_by("slug")  # type: ignore[attr-defined]
        for code, name in settings.LANGUAGES:
            english = code == BASE_LANGUAGE
            written_in = {"lang": code, "dir": "auto"}
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": name},
                required=english,
                max_length=services.TITLE_MAX,
                widget=forms.TextInput(attrs=written_in),
            )
            self.fields[f"banner_{code}"] = forms.CharField(
                label=_("Banner text (%(language)s)") % {"language": name},
                required=english,
                max_length=services.BANNER_MAX,
                widget=forms.Textarea(attrs={"rows": 2, **written_in}),
            )
            self.fields[f"script_{code}"] = forms.CharField(
                label=_("Agent script (%(language)s)") % {"language": name},
                required=False,
                max_length=services.SCRIPT_MAX,
                widget=forms.Textarea(attrs={"rows": 4, **written_in}),
            )
        for field in self.fields.values():
            if not isinstance(field.widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                field.widget.attrs.setdefault(
                    "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                )

    def language_fields(self) -> list[tuple[str, str, list[forms.BoundField], bool]]:
        """(code, language name, its fields, shown open) for the template: English and Spanish open, another
        language open once it has a text or an error (seventeen open fieldsets would bury the form)."""
        found = []
        for code, name in settings.LANGUAGES:
            fields = [self[f"{text}_{code}"] for text in TEXTS]
            shown = code in OPEN_LANGUAGES or any(field.value() or field.errors for field in fields)
            found.append((code, str(name), fields, shown))
        return found

    def texts(self, text: str) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"{text}_{code}") or "" for code, _name in settings.LANGUAGES}

    def declaration(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": self.texts("title"),
            "banner": self.texts("banner"),
            "agent_script": self.texts("script"),
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "message": data["message"],
            "surge": data["surge"],
            "pinned_articles": list(data["pinned_articles"]),
        }

    def add_service_errors(self, error: ValidationError) -> None:
        show_service_errors(self, error, SERVICE_FIELDS)
