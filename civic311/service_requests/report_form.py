"""The report form every channel's page shares (the public site, the agent console, the staff pages).

It is not a Django `Form`: the rules for a report (answers, location, photos, contact
details) live in `civic311.service_requests.services.submit`, which every channel shares. This class only turns
a POST into a `Report`, keeps what the resident typed for a re-render, and puts the service's errors
next to the fields they are about.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.templatetags.static import static
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from civic311.catalogue.models import Service, ServiceAttribute
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction

from .models import Channel
from .services import Report

# A single-value list with at most this many choices is shown as radio buttons, else as a select.
RADIO_MAX_CHOICES = 6

TEXT_FIELDS = (
    "description",
    "address",
    "zipcode",
    "lat",
    "long",
    "neighborhood",
    "first_name",
    "last_name",
    "email",
    "phone",
)
ATTRIBUTE_FIELD = re.compile(r"^attribute\[(?P<code>[^\]]{1,60})\]$")

# Where each error the intake service raises is shown: the id of the field it links to.
ERROR_ANCHORS = {
    "description": "id_description",
    "location": "id_address",
    "address": "id_address",
    "zipcode": "id_zipcode",
    "lat": "id_lat",
    "long": "id_long",
    "neighborhood": "id_neighborhood",
    "photos": "id_photos",
    "first_name": "id_first_name",
    "last_name": "id_last_name",
    "email": "id_email",
    "phone": "id_phone",
}
# The order of the error summary: the order of the page.
FIELD_ORDER = (
    "description",
    "location",
    "address",
    "zipcode",
    "lat",
    "long",
    "neighborhood",
    "photos",
    "first_name",
    "last_name",
    "email",
    "phone",
)


@dataclass
class Choice:
    key: str
    label: str
    checked: bool
    id: str


@dataclass
class AttributeField:
    """One question of the service, ready to render."""

    code: str
    name: str
    id: str
    widget: str  # text, number, datetime, textarea, radio, select, checkboxes, note
    label: str
    help_text: str
    required: bool
    value: str = ""
    choices: list[Choice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        """The id the error summary links to: the field, or the first choice of a group."""
        return self.choices[0].id if self.widget in {"radio", "checkboxes"} and self.choices else self.id

    @property
    def is_group(self) -> bool:
        return self.widget in {"radio", "checkboxes"}

    @property
    def described_by(self) -> str:
        ids = []
        if self.help_text:
            ids.append(f"{self.id}-help")
        if self.errors:
            ids.append(f"{self.id}-error")
        return " ".join(ids)


_WIDGETS: dict[str, str] = {
    ServiceAttribute.Datatype.STRING: "text",
    ServiceAttribute.Datatype.NUMBER: "number",
    ServiceAttribute.Datatype.DATETIME: "datetime",
    ServiceAttribute.Datatype.TEXT: "textarea",
    ServiceAttribute.Datatype.MULTIVALUELIST: "checkboxes",
}


class ReportForm:
    """The report form of one service: its values, its questions and the errors against them."""

    def __init__(
        self,
        service: Service,
        jurisdiction: Jurisdiction,
        data: QueryDict | None = None,
        files: MultiValueDict | None = None,
    ) -> None:
        self.service = service
        self.jurisdiction = jurisdiction
        self.data = data if data is not None else QueryDict()
        self.files = files if files is not None else MultiValueDict()
        self.is_bound = data is not None
        self.values = {name: self.data.get(name, "") for name in TEXT_FIELDS}
        # Made when the form is first shown and kept on every re-render, so a double submit or a retry
        # after a lost connection returns the first request instead of filing a second.
        posted_key = self.data.get("idempotency_key", "").strip()[:100]
        self.idempotency_key = posted_key or str(uuid.uuid4())
        self.errors: dict[str, list[str]] = {}

    # --- reading the POST ------------------------------------------------------------------------

    def _multi_codes(self) -> set[str]:
        return {
            attribute.code
            for attribute in self.service.attributes.all()
            if attribute.datatype == ServiceAttribute.Datatype.MULTIVALUELIST
        }

    def answers(self) -> dict[str, str | list[str]]:
        """Every `attribute[CODE]` field posted; several values of one field as a list."""
        multi = self._multi_codes()
        answers: dict[str, str | list[str]] = {}
        for name in self.data:
            match = ATTRIBUTE_FIELD.match(name)
            if not match:
                continue
            code = match["code"]
            values = self.data.getlist(name)
            answers[code] = values if code in multi or len(values) != 1 else values[0]
        return answers

    def to_report(self) -> Report:
        values = self.values
        return Report(
            service_code=self.service.code,
            description=values["description"],
            address=values["address"],
            zipcode=values["zipcode"],
            lat=values["lat"],
            long=values["long"],
            neighborhood=values["neighborhood"],
            answers=self.answers(),
            photos=self.files.getlist("photos"),
            first_name=values["first_name"],
            last_name=values["last_name"],
            email=values["email"],
            phone=values["phone"],
            language=get_language() or "",  # the site's language as the resident used it: their e-mails' too
            channel=Channel.WEB,
            idempotency_key=self.idempotency_key,
        )

    # --- errors ----------------------------------------------------------------------------------

    def add_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for key, messages in error.message_dict.items():
                self.errors.setdefault(key, []).extend(messages)
        else:
            self.errors.setdefault("__all__", []).extend(error.messages)
        self.__dict__.pop("attribute_fields", None)  # the questions carry their errors

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor id or "", message) for every error, in the order of the page."""
        rows: list[tuple[str, str]] = []
        shown: set[str] = set()
        for attribute_field in self.attribute_fields:
            if attribute_field.errors:
                shown.add(attribute_field.name)
                rows.extend((attribute_field.anchor, message) for message in attribute_field.errors)
        for key in FIELD_ORDER:
            shown.add(key)
            rows.extend((ERROR_ANCHORS[key], message) for message in self.errors.get(key, []))
        for key, messages in self.errors.items():
            if key not in shown:
                rows.extend(("", message) for message in messages)
        return rows

    def described_by(self, name: str, *, help_text: bool = False) -> str:
        ids = [f"id_{name}-help"] if help_text else []
        if self.errors.get(name):
            ids.append(f"id_{name}-error")
        return " ".join(ids)

    # --- the questions ---------------------------------------------------------------------------

    @cached_property
    def attribute_fields(self) -> list[AttributeField]:
        return [self._attribute_field(attribute) for attribute in self.service.attributes.all()]

    def _attribute_field(self, attribute: ServiceAttribute) -> AttributeField:
        name = f"attribute[{attribute.code}]"
        field_id = f"id_attribute_{attribute.code}"
        label = attribute.localized("description")
        help_text = attribute.localized("datatype_description")
        if not attribute.variable:
            return AttributeField(attribute.code, name, field_id, "note", label, help_text, required=False)
        values = self.data.getlist(name)
        choices_source = list(attribute.values.all())
        if attribute.datatype == ServiceAttribute.Datatype.SINGLEVALUELIST:
            widget = "radio" if len(choices_source) <= RADIO_MAX_CHOICES else "select"
        else:
            widget = _WIDGETS.get(attribute.datatype, "text")
        choices = [
            Choice(value.key, value.localized("name"), value.key in values, f"{field_id}_{index}")
            for index, value in enumerate(choices_source)
        ]
        return AttributeField(
            code=attribute.code,
            name=name,
            id=field_id,
            widget=widget,
            label=label,
            help_text=help_text,
            required=attribute.required,
            value=values[0] if values else "",
            choices=choices,
            errors=self.errors.get(name, []),
        )

    def neighborhood_choices(self) -> list[tuple[str, str]]:
        # Only the names: a boundary can be large, and the map fetches those separately.
        return list(places.neighborhoods(self.jurisdiction).values_list("slug", "name"))


def report_map_config(jurisdiction: Jurisdiction) -> dict[str, object]:
    """What the report form's map script reads (the city's bounds, the neighborhoods' outlines, its marker
    images and its messages in the reader's language): one builder for every page that shows the form."""
    return {
        "bounds": [[jurisdiction.min_lat, jurisdiction.min_long], [jurisdiction.max_lat, jurisdiction.max_long]],
        "neighborhoodsUrl": reverse("public:neighborhoods"),
        # Leaflet guesses its marker images from its script's URL, which breaks once static files are
        # renamed with content hashes in production; give it the real URLs.
        "markerIcons": {
            "iconUrl": static("vendor/leaflet/images/marker-icon.png"),
            "iconRetinaUrl": static("vendor/leaflet/images/marker-icon-2x.png"),
            "shadowUrl": static("vendor/leaflet/images/marker-shadow.png"),
        },
        "messages": {
            "mapLabel": _("Map of the city. Tap where the problem is to place a pin."),
            "pinPlaced": _("Pin placed. The latitude and longitude are filled in."),
            "locating": _("Finding your location…"),
            "located": _("We placed the pin at your location. Check that it is right."),
            "locationFailed": _("We could not get your location. Tap the map or type the address instead."),
            "outsideCity": _("That point is outside the city. Tap a point inside the city."),
            "tilesFailed": _(
                "The map pictures could not load. You can still tap to place the pin, or type the address."
            ),
            "charactersLeft": _("Characters left: {count}"),
            "charactersOver": _("Characters over the limit: {count}"),
        },
    }
