"""The forms of the survey editor and of a cohort's surveys. They only collect input; the rules live in
`services.survey_forms` and `services.youth_surveys`, whose ValidationErrors are shown with
`show_service_errors`. The answers themselves use the survey engine's `AnswersForm`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from civic311.surveys.models import Instrument, Question

Choice = tuple[str, str, str]

CHOICES_HELP = _(
    "One choice a line: English | Spanish. Keep the key before “=” of an existing choice so that answers "
    "stay comparable; a new line without a key gets one."
)


def spanish_text(question: Question) -> str:
    spanish = question.translations.get("es", {}) if isinstance(question.translations, dict) else {}
    text = spanish.get("text", "") if isinstance(spanish, dict) else ""
    return text if isinstance(text, str) else ""


def choices_as_text(question: Question) -> str:
    spanish = question.translations.get("es", {}) if isinstance(question.translations, dict) else {}
    labels = spanish.get("choices", {}) if isinstance(spanish, dict) else {}
    lines = []
    for choice in question.choices or []:
        if isinstance(choice, dict) and "key" in choice:
            es = labels.get(choice["key"], "") if isinstance(labels, dict) else ""
            lines.append(f"{choice['key']} = {choice.get('label', '')} | {es}".rstrip(" |"))
    return "\n".join(lines)


def parse_choices(text: str) -> list[Choice]:
    """Lines "key = English | Spanish" (key and Spanish optional) as (key, English, Spanish)."""
    parsed: list[Choice] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, rest = "", line
        if "=" in line.split("|", 1)[0]:
            key, rest = line.split("=", 1)
        english, _bar, spanish = rest.partition("|")
        key = key.strip() or slugify(english).replace("-", "_")[:40] or "choice"
        if key[0].isdigit():
            key = f"c_{key}"[:40]
        parsed.append((key, english.strip(), spanish.strip()))
    return parsed


class QuestionForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("A short name for the reports: lower-case letters, digits and underscores. It cannot change."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), widget=forms.Select(attrs={"class": "form-select"}))
    text = forms.CharField(
        label=_("Question (English)"), max_length=500, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )
    text_es = forms.CharField(
        label=_("Question (Spanish)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "lang": "es"}),
    )
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        help_text=CHOICES_HELP,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)

    def __init__(self, *args: Any, youth: bool, question: Question | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [
            (value, label)
            for value, label in Question.Kind.choices
            if not (youth and value == Question.Kind.CONTACT_DETAILS)
        ]
        kind: Any = self.fields["kind"]
        kind.choices = kinds
        self.question = question
        if question is not None:  # code and kind stay as they are
            del self.fields["code"]
            del self.fields["kind"]
            if question.kind not in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE):
                del self.fields["choices"]
            if not self.is_bound:
                self.initial.update(
                    {
                        "text": question.text,
                        "text_es": spanish_text(question),
                        "choices": choices_as_text(question),
                        "required": question.required,
                    }
                )

    def choice_rows(self) -> list[Choice]:
        return parse_choices(self.cleaned_data.get("choices") or "")


class DimensionForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("For example “productivity”; its comment is asked as “<code>_comment”."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    text = forms.CharField(
        label=_("Rating question (English)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    text_es = forms.CharField(
        label=_("Rating question (Spanish)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "lang": "es"}),
    )
    comment_text = forms.CharField(
        label=_("Comment question (English)"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "Any comment?"}),
    )
    comment_text_es = forms.CharField(
        label=_("Comment question (Spanish)"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "lang": "es", "placeholder": "¿Algún comentario?"}),
    )


class InstrumentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class AttachForm(forms.Form):
    survey = InstrumentChoiceField(
        label=_("Survey"),
        queryset=Instrument.objects.none(),
        required=False,
        empty_label=_("The city's default youth survey"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, instruments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        survey: Any = self.fields["survey"]
        survey.queryset = instruments
