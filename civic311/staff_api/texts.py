"""The text reader in the staff API: `POST /api/v1/texts/read/` takes a resident's text (and a place, when the
caller has one) and answers what `text_intelligence.reading.read_text` reads in it: the likely services with
their confidence and why, whether the suggester is unsure, the kind of text, its sentiment and the places it
names. The same reading the inbox and the console show; nothing is stored, and the text is not logged.

Who may ask: `roles.may_read_texts` (active staff). Each caller may ask `READS_PER_MINUTE` times a minute
(reading is the API's heaviest call); past it, 429 with Retry-After.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from civic311 import rate_limits
from civic311.people import roles
from civic311.text_intelligence import mood as mood_reader
from civic311.text_intelligence import suggesting
from civic311.text_intelligence.models import Sentiment, TextKind
from civic311.text_intelligence.reading import Reading, read_text

from .serializers import ErrorSerializer
from .views import DENIED, INVALID, StaffAPIView

# The longest text read: longer ones are refused (the reader itself reads a text's first part).
TEXT_MAX_CHARS = 10_000
READS_PER_MINUTE = 300
READ_RATE = rate_limits.Rate("staff-api-texts-read", READS_PER_MINUTE, 60)

EXAMPLE_REQUEST = {"text": "Huge pothole at 5th and Lehigh, third time I report it!!", "language": "en"}
EXAMPLE_RESPONSE = {
    "services": [
        {
            "code": "SR-ST01",
            "name": "Street Defect",
            "confidence": 0.86,
            "words": ["pothole"],
            "explanation": "Suggested because of the word “pothole” (86 % sure).",
        },
        {
            "code": "SR-ST08",
            "name": "Complaint (Streets)",
            "confidence": 0.05,
            "words": ["third", "time"],
            "explanation": "Suggested because of the words “third”, “time” (5 % sure).",
        },
    ],
    "unsure": False,
    "method": "model",
    "model_version": 3,
    "kind": "complaint",
    "sentiment": "negative",
    "sentiment_score": -0.62,
    "cues": ["third time", "!!"],
    "mood_explanation": "Read as a complaint, negative, because of “third time”, “!!”.",
    "places": [
        {
            "kind": "intersection",
            "text": "5th and Lehigh",
            "label": "N 5th St & W Lehigh Ave",
            "lat": 39.9925,
            "long": -75.1442,
            "neighborhood": "Fairhill",
        }
    ],
}


class ReadsTexts(BasePermission):
    """`roles.may_read_texts`: 401 for no credentials (DRF), 403 for an account without the role."""

    def has_permission(self, request, view) -> bool:
        return roles.may_read_texts(request.user)


class TextField(serializers.CharField):
    """A string and nothing else (DRF's CharField would take 0 or 1.5 as the text "0" or "1.5", which the
    schema, a string, does not allow), at most `max_length` characters as sent, spaces included, as the schema
    says (DRF would count them after trimming)."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class CoordinateField(serializers.FloatField):
    """A JSON number and nothing else (DRF's FloatField would take false as 0 and "39.9" as 39.9, which the
    schema, a number, does not allow), finite and within the field's range."""

    def to_internal_value(self, data: object) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class ReadTextSerializer(serializers.Serializer):
    text = TextField(
        max_length=TEXT_MAX_CHARS,
        trim_whitespace=True,
        help_text=_("What the resident wrote, as they wrote it: at most 10,000 characters."),
    )
    lat = CoordinateField(
        required=False,
        allow_null=True,
        min_value=-90,
        max_value=90,
        help_text=_(
            "Where the problem is, when you know it: give lat and long together (one without the other is "
            "refused). It nudges the suggestions."
        ),
    )
    long = CoordinateField(required=False, allow_null=True, min_value=-180, max_value=180)
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES],
        required=False,
        allow_blank=True,
        help_text=_("The text's language when you know it; guessed from the words otherwise."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("lat") is None) != (attrs.get("long") is None):
            raise serializers.ValidationError(
                {"lat": [_("Give both lat and long, or neither.")]}, code="incomplete_point"
            )
        return attrs


class SuggestedServiceSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("The service's code in the catalogue."))
    name = serializers.CharField(help_text=_("The service's name in the caller's language."))
    confidence = serializers.FloatField(
        help_text=_("0 to 1, calibrated: of the suggestions made at 0.8, about 8 in 10 are right.")
    )
    words = serializers.ListField(
        child=serializers.CharField(), help_text=_("The words of the text that pointed to it, folded.")
    )
    explanation = serializers.CharField(help_text=_("Why, in a sentence for the person who sees it."))


class FoundPlaceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["address", "intersection", "neighborhood"])
    text = serializers.CharField(help_text=_("The words as written in the text."))
    label = serializers.CharField(help_text=_("The place as the city writes it."))  # type: ignore[assignment]  # a field, not the label
    lat = serializers.FloatField(allow_null=True)
    long = serializers.FloatField(allow_null=True)
    neighborhood = serializers.CharField(allow_null=True, help_text=_("The neighborhood's name, if known."))


class ReadingSerializer(serializers.Serializer):
    services = SuggestedServiceSerializer(
        many=True, help_text=_("The likely services, most likely first (at most three).")
    )
    unsure = serializers.BooleanField(
        help_text=_(
            "True when the best confidence is under the city's floor, or the text says nothing: let a person pick."
        )
    )
    method = serializers.ChoiceField(
        choices=["model", "keywords", "none"],
        help_text=_("model: the city's trained suggester; keywords: the catalogue's keywords; none: no words to read."),
    )
    model_version = serializers.IntegerField(
        allow_null=True, help_text=_("The trained model's version, if one answered.")
    )
    kind = serializers.ChoiceField(choices=TextKind.values)
    sentiment = serializers.ChoiceField(choices=Sentiment.values)
    sentiment_score = serializers.FloatField(help_text=_("-1 (most negative) to 1 (most positive)."))
    cues = serializers.ListField(
        child=serializers.CharField(), help_text=_("The words and signs that decided the kind and sentiment.")
    )
    mood_explanation = serializers.CharField(help_text=_("The kind and sentiment, and why, in a sentence."))
    places = FoundPlaceSerializer(many=True, help_text=_("The places the text names, the most precise first."))


def reading_data(reading: Reading, language: str | None) -> dict[str, Any]:
    """`reading` in the API's terms (services named in `language`)."""
    suggestions = reading.suggestions
    return {
        "services": [
            {
                "code": found.service.code,
                "name": found.service.localized("name", language),
                "confidence": round(float(found.confidence), 4),
                "words": list(found.words),
                "explanation": suggesting.explain(found),
            }
            for found in suggestions.services
        ],
        "unsure": bool(suggestions.unsure),
        "method": suggestions.method,
        "model_version": suggestions.model_version,
        "kind": str(reading.mood.kind),
        "sentiment": str(reading.mood.sentiment),
        "sentiment_score": round(float(reading.mood.score), 4),
        "cues": list(reading.mood.cues),
        "mood_explanation": mood_reader.explain(reading.mood),
        "places": [
            {
                "kind": place.kind,
                "text": place.text,
                "label": place.label,
                "lat": place.lat,
                "long": place.long,
                "neighborhood": place.neighborhood.name if place.neighborhood is not None else None,
            }
            for place in reading.places
        ],
    }


TOO_MANY = {429: OpenApiResponse(ErrorSerializer, description=_("Too many texts read this minute; see Retry-After."))}


class TextsViewSet(StaffAPIView):
    permission_classes = [ReadsTexts]
    serializer_class = ReadTextSerializer

    @extend_schema(
        summary=_("Read a text"),
        description=_(
            "The likely services for a resident's text (with a calibrated confidence and the words that "
            "pointed to each), whether the suggester is unsure, the kind of text (request, complaint, question, "
            "praise, other), its sentiment, and the addresses, intersections and neighborhoods it names. "
            "Nothing is stored. A person decides: an unsure answer means let them pick."
        ),
        request=ReadTextSerializer,
        responses={200: ReadingSerializer, **INVALID, **DENIED, **TOO_MANY},
        examples=[
            OpenApiExample("A report", value=EXAMPLE_REQUEST, request_only=True),
            OpenApiExample("Its reading", value=EXAMPLE_RESPONSE, response_only=True),
        ],
    )
    @action(detail=False, methods=["post"], url_path="read")
    def read(self, request: Request) -> Response:
        verdict = rate_limits.hit(READ_RATE, f"user:{request.user.pk}")
        if not verdict.allowed:
            raise Throttled(wait=verdict.retry_after)
        given = ReadTextSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        language = data.get("language") or None
        reading = read_text(
            self.jurisdiction, data["text"], lat=data.get("lat"), long=data.get("long"), language=language
        )
        # Names and explanations are for the caller, in their language; `language` is the text's.
        return Response(ReadingSerializer(reading_data(reading, get_language())).data)
