"""The forms of a liaison's filing pages: a request for a neighbor (the public report form's fields and
the service's own questions, plus the neighbor's consent) and a meeting's notes in three steps (notes,
items, review), whose state travels in the POST, never in the database until "File all"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from civic311 import date_inputs
from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.service_requests.report_form import ATTRIBUTE_FIELD, AttributeField, ReportForm

from .services import liaison_filing

ITEM_TEXT_MAX = 4000


def service_choices(jurisdiction: Jurisdiction) -> list[tuple[str, Any]]:
    """The services a resident may report, grouped as on the public form, in the visitor's language."""
    choices: list[tuple[str, Any]] = [("", _("Choose a service"))]
    for group, services in catalogue.services_in_groups(jurisdiction):
        choices.append((group.localized("name"), [(service.code, service.localized("name")) for service in services]))
    return choices


class ChooseServiceForm(forms.Form):
    service = forms.ChoiceField(label=_("What is the problem?"))

    def __init__(self, jurisdiction: Jurisdiction, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        assert isinstance(service, forms.ChoiceField)
        service.choices = service_choices(jurisdiction)
        service.widget.attrs["class"] = "form-select"


class NeighbourReportForm(ReportForm):
    """The public report form (its questions, fields and error placing), with the neighbor's consent."""

    def __init__(
        self,
        service: Service,
        jurisdiction: Jurisdiction,
        data: QueryDict | None = None,
        files: MultiValueDict[str, Any] | None = None,
    ) -> None:
        super().__init__(service, jurisdiction, data, files)
        self.neighbour_consented = self.data.get("neighbour_consent") == "yes"

    def error_summary(self) -> list[tuple[str, str]]:
        consent = set(self.errors.get("neighbour_consent", []))
        return [
            ("id_neighbour_consent" if not anchor and message in consent else anchor, message)
            for anchor, message in super().error_summary()
        ]


class MeetingForm(forms.Form):
    """Step 1: the meeting, and its notes as pasted."""

    name = forms.CharField(label=_("Meeting"), max_length=liaison_filing.MEETING_NAME_MAX)
    held_on = forms.DateField(label=_("Date of the meeting"), widget=date_inputs.DateInput())
    neighborhood = forms.ChoiceField(label=_("Neighborhood"), required=False)
    place = forms.CharField(label=_("Place (optional)"), max_length=liaison_filing.MEETING_PLACE_MAX, required=False)
    notes = forms.CharField(
        label=_("The meeting's notes"),
        max_length=liaison_filing.NOTES_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Paste or type the notes: one problem per line, or a numbered or bulleted list. You will check "
            "each item before anything is filed."
        ),
    )

    def __init__(self, neighborhoods: list[Neighborhood], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "meeting")
        super().__init__(*args, **kwargs)
        choice = self.fields["neighborhood"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [("", _("Not in one of my neighborhoods"))] + [
            (neighborhood.slug, neighborhood.name) for neighborhood in neighborhoods
        ]
        if len(neighborhoods) == 1:  # most liaisons serve one: their meetings are in it
            choice.initial = neighborhoods[0].slug
        for name, bound in self.fields.items():
            bound.widget.attrs.setdefault("class", "form-select" if name == "neighborhood" else "form-control")

    def meeting_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "held_on": data["held_on"],
            "neighborhood": data["neighborhood"],
            "place": data["place"],
            "notes": data["notes"],
        }


@dataclass
class Item:
    """One item of the notes as the liaison is shaping it into a request."""

    index: int
    description: str
    service_code: str = ""
    address: str = ""
    neighborhood: str = ""
    remove: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)
    # The service's questions as answered on step 2: {attribute code: the values posted}.
    answers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        """What each of its fields' names starts with ("items-2-")."""
        return liaison_filing.item_key(self.index, "")

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def error_messages(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]

    def to_fields(self, language: str) -> dict[str, Any]:
        return {
            "service_code": self.service_code,
            "description": self.description,
            "address": self.address,
            "neighborhood": self.neighborhood,
            "answers": {code: values if len(values) != 1 else values[0] for code, values in self.answers.items()},
            "language": language,
        }

    def answer_fields(self) -> list[tuple[str, str]]:
        """The answers as (field name, value) pairs, to carry them through the review in hidden fields."""
        return [(f"{self.prefix}attribute[{code}]", value) for code, values in self.answers.items() for value in values]


def drop_other_answers(item: Item, service: Service | None) -> None:
    """Keep only the item's answers to its service's own questions (the liaison may have changed it)."""
    codes = {attribute.code for attribute in service.attributes.all() if attribute.variable} if service else set()
    item.answers = {code: values for code, values in item.answers.items() if code in codes}


def item_questions(item: Item, service: Service, jurisdiction: Jurisdiction) -> list[AttributeField]:
    """The questions of the item's service, as the public report form asks them, with the item's answers
    and errors, under the item's own field names ("items-2-attribute[CODE]"). Its answers to another
    service's questions (the liaison changed the service) are dropped."""
    drop_other_answers(item, service)
    data = QueryDict(mutable=True)
    for code, values in item.answers.items():
        data.setlist(f"attribute[{code}]", values)
    form = ReportForm(service, jurisdiction, data)
    form.errors = {name: list(messages) for name, messages in item.errors.items() if name.startswith("attribute[")}
    questions = []
    for question in form.attribute_fields:
        question.name = f"{item.prefix}{question.name}"
        question.id = f"id_{item.prefix}{question.id.removeprefix('id_')}"
        for choice in question.choices:
            choice.id = f"id_{item.prefix}{choice.id.removeprefix('id_')}"
        questions.append(question)
    return questions


def items_from_notes(jurisdiction: Jurisdiction, notes: str, neighborhood: str) -> list[Item]:
    """Step 2's items from the notes: each with the service its words suggest and the meeting's
    neighborhood as its place until the liaison gives an address."""
    texts = liaison_filing.split_notes(notes)
    suggestions = liaison_filing.suggest_services(jurisdiction, texts, language=get_language())
    return [
        Item(index, text, service_code=service.code if service else "", neighborhood=neighborhood)
        for index, (text, service) in enumerate(zip(texts, suggestions, strict=True))
    ]


def items_from_post(data: QueryDict) -> list[Item]:
    """The items as posted (hidden or edited), in order; at most MAX_ITEMS."""
    try:
        total = int(data.get("items-total", "0"))
    except ValueError:
        total = 0
    items = []
    for index in range(max(0, min(total, liaison_filing.MAX_ITEMS))):

        def value(part: str, index: int = index) -> str:
            return str(data.get(liaison_filing.item_key(index, part), ""))[:ITEM_TEXT_MAX]

        items.append(
            Item(
                index,
                description=value("description"),
                service_code=value("service_code").strip(),
                address=value("address").strip(),
                neighborhood=value("neighborhood").strip(),
                remove=value("remove") == "yes",
                answers=_posted_answers(data, index),
            )
        )
    return items


def _posted_answers(data: QueryDict, index: int) -> dict[str, list[str]]:
    """The item's `items-N-attribute[CODE]` fields: {code: its values}."""
    prefix = liaison_filing.item_key(index, "")
    answers = {}
    for name in data:
        match = ATTRIBUTE_FIELD.match(name.removeprefix(prefix)) if name.startswith(prefix) else None
        if match:
            answers[match["code"]] = [str(value)[:ITEM_TEXT_MAX] for value in data.getlist(name)]
    return answers


def renumbered(items: list[Item]) -> list[Item]:
    """The items kept (not removed), numbered from 0 again: the indexes `file_meeting` reports errors by."""
    kept = [item for item in items if not item.remove]
    for index, item in enumerate(kept):
        item.index = index
    return kept


def check_items(items: list[Item], known_services: set[str]) -> bool:
    """What step 2 can tell before the review (the filing checks everything again): True when all is well."""
    for item in items:
        if item.service_code not in known_services:
            item.errors["service_code"] = [str(_("Choose the service for this item."))]
        if not item.description.strip():
            item.errors["description"] = [str(_("Describe the problem."))]
        if not item.address and not item.neighborhood:
            item.errors["location"] = [str(_("Give an address or choose a neighborhood."))]
    return not any(item.errors for item in items)


def attach_errors(items: list[Item], error: ValidationError) -> list[str]:
    """Put `file_meeting`'s errors on their items; return the meeting's own (not about an item)."""
    by_item, meeting = liaison_filing.errors_by_item(error)
    for item in items:
        item.errors = by_item.get(item.index, {})
    return [message for messages in meeting.values() for message in messages]


def new_filing_key() -> str:
    return uuid.uuid4().hex
