"""The forms of a liaison's filing pages: a request for a neighbor (the public report form's fields and
the service's own questions, plus the neighbor's consent) and a meeting's notes in three steps (notes,
items, review), whose state travels in the POST, never in the database until "File all"."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
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
from civic311.knowledge import suggestions as keyword_baseline
from civic311.service_requests.report_form import ATTRIBUTE_FIELD, AttributeField, ReportForm
from civic311.text_intelligence import suggesting

from .services import liaison_filing

logger = logging.getLogger(__name__)

ITEM_TEXT_MAX = 4000
SUGGESTION_TEXT_MAX = 300


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


@dataclass(frozen=True)
class ItemSuggestion:
    """What an item's words suggested when the notes were split: shown beside its service on every step
    (carried in hidden fields, display only: the service the liaison picks is what is filed).

    When `unsure`, nothing was chosen for the liaison; `service_code` is then the best guess, if any."""

    service_code: str
    service_name: str
    percent: int
    explanation: str
    unsure: bool

    @classmethod
    def posted(cls, value: Callable[[str], str]) -> ItemSuggestion | None:
        """The suggestion as carried in an item's hidden `suggested-*` fields, or None if it had none."""
        code, name = value("suggested-code").strip()[:60], value("suggested-name")[:SUGGESTION_TEXT_MAX]
        unsure = value("suggested-unsure") == "yes"
        if not code and not unsure:
            return None
        try:
            percent = max(0, min(100, int(value("suggested-percent"))))
        except ValueError:
            percent = 0
        return cls(code, name, percent, value("suggested-why")[:SUGGESTION_TEXT_MAX], unsure)

    def hidden_fields(self, prefix: str) -> list[tuple[str, str]]:
        return [
            (f"{prefix}suggested-code", self.service_code),
            (f"{prefix}suggested-name", self.service_name),
            (f"{prefix}suggested-percent", str(self.percent)),
            (f"{prefix}suggested-why", self.explanation),
            (f"{prefix}suggested-unsure", "yes" if self.unsure else ""),
        ]


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
    suggestion: ItemSuggestion | None = None

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

    def suggestion_fields(self) -> list[tuple[str, str]]:
        """The suggestion as (field name, value) pairs, to carry it through the steps in hidden fields."""
        return self.suggestion.hidden_fields(self.prefix) if self.suggestion is not None else []

    @property
    def suggestion_followed(self) -> bool:
        """Whether the service picked is the one suggested (sure or not)."""
        return (
            self.suggestion is not None
            and bool(self.service_code)
            and self.service_code == self.suggestion.service_code
        )


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
    """Step 2's items from the notes: each with the service its words suggest (chosen for the liaison only
    when the suggester is sure; shown with how sure, or "not sure" with nothing chosen) and the meeting's
    neighborhood as its place until the liaison gives an address."""
    texts = liaison_filing.split_notes(notes)
    suggestions = _suggestions(jurisdiction, texts)
    return [
        Item(
            index,
            text,
            service_code=suggestion.service_code if suggestion is not None and not suggestion.unsure else "",
            neighborhood=neighborhood,
            suggestion=suggestion,
        )
        for index, (text, suggestion) in enumerate(zip(texts, suggestions, strict=True))
    ]


def _suggestions(jurisdiction: Jurisdiction, texts: list[str]) -> list[ItemSuggestion | None]:
    """The suggester's word on each text; when it fails, the keyword baseline's service (as not sure: it has
    no confidence), else none at all: the liaison picks every service."""
    if not texts:
        return []
    offered = {service.code for service in catalogue.offered_services(jurisdiction)}
    try:
        found = suggesting.suggest_many(jurisdiction, texts, language=get_language(), limit=1)
    except Exception:
        logger.exception("the service suggester failed on meeting notes; the keyword baseline answers")
        return _baseline_suggestions(jurisdiction, texts, offered)
    shown: list[ItemSuggestion | None] = []
    for suggestions in found:
        best = next((s for s in suggestions.services if s.service.code in offered), None)
        if best is None:
            shown.append(ItemSuggestion("", "", 0, "", unsure=True))
            continue
        shown.append(
            ItemSuggestion(
                service_code=best.service.code,
                service_name=best.service.localized("name")[:SUGGESTION_TEXT_MAX],
                percent=suggesting.percent_sure(best.confidence),
                explanation=_explained(best)[:SUGGESTION_TEXT_MAX],
                unsure=suggestions.unsure,
            )
        )
    return shown


def _explained(suggestion: suggesting.ServiceSuggestion) -> str:
    try:
        return suggesting.explain(suggestion)
    except Exception:  # the sentence is a courtesy; the service and how sure still show
        logger.exception("could not explain a service suggestion")
        return ""


def _baseline_suggestions(
    jurisdiction: Jurisdiction, texts: list[str], offered: set[str]
) -> list[ItemSuggestion | None]:
    try:
        services = keyword_baseline.suggest_services(jurisdiction, texts, language=get_language())
    except Exception:
        logger.exception("the keyword baseline failed too on meeting notes")
        return [None] * len(texts)
    return [
        ItemSuggestion(service.code, service.localized("name"), 0, "", unsure=True)
        if service is not None and service.code in offered
        else ItemSuggestion("", "", 0, "", unsure=True)
        for service in services
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
                suggestion=ItemSuggestion.posted(value),
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
