"""`POST /api/v1/texts/read/` (issue 19): the reading of a text in the API's terms, who may ask (401, 403), bad
input refused in DRF's format (missing, empty or too long text, half a point, coordinates out of range or not
numbers, an unknown language), the rate limit, the schema, and the real readers on anything a tool may send
(10,000 characters, only emoji, Spanish, another language)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civic311 import rate_limits
from civic311.people.models import StaffRole
from civic311.staff_api import texts
from civic311.text_intelligence.models import Sentiment, TextKind

from .factories import ServiceFactory, StaffFactory, with_role
from .text_intelligence.fake_readings import corner, reading

pytestmark = pytest.mark.django_db

URL = "/api/v1/texts/read/"


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def agent(department):
    return with_role(StaffFactory(username="ana", department=department), StaffRole.AGENT)


@pytest.fixture
def api(agent) -> APIClient:
    return token_client(agent)


@pytest.fixture
def streets(jurisdiction, department):
    return ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="SR-ST01",
        name="Street Defect",
        description="Potholes, broken pavement and sunken street.",
        keywords="pothole, hole in the street, bache",
        translations={"es": {"name": "Defecto de la calle"}},
    )


class Reader:
    def __init__(self, answer) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def __call__(self, jurisdiction, text, *, lat=None, long=None, language=None, limit=3):
        self.calls.append({"jurisdiction": jurisdiction, "text": text, "lat": lat, "long": long, "language": language})
        return self.answer


@pytest.fixture
def fake(monkeypatch, jurisdiction, streets, center_city) -> Reader:
    other = ServiceFactory(jurisdiction=jurisdiction, code="SR-ST08", name="Complaint (Streets)")
    reader = Reader(
        reading((streets, 0.8612, ("pothole",)), (other, 0.05, ("third", "time")), places=(corner(center_city),))
    )
    monkeypatch.setattr(texts, "read_text", reader)
    return reader


def test_a_text_is_read(api, fake, jurisdiction):
    body = {
        "text": "  Huge pothole at Broad and Market, third time!!  ",
        "lat": 39.95,
        "long": -75.16,
        "language": "en",
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert fake.calls == [
        {
            "jurisdiction": jurisdiction,
            "text": "Huge pothole at Broad and Market, third time!!",
            "lat": 39.95,
            "long": -75.16,
            "language": "en",
        }
    ]
    assert data["services"][0] == {
        "code": "SR-ST01",
        "name": "Street Defect",
        "confidence": 0.8612,
        "words": ["pothole"],
        "explanation": "Suggested because of the word “pothole” (86 % sure).",
    }
    assert data["services"][1]["code"] == "SR-ST08" and data["services"][1]["words"] == ["third", "time"]
    assert (data["unsure"], data["method"], data["model_version"]) == (False, "model", 7)
    assert (data["kind"], data["sentiment"], data["sentiment_score"]) == ("complaint", "negative", -0.62)
    assert data["cues"] == ["again"] and data["mood_explanation"]
    assert data["places"] == [
        {
            "kind": "intersection",
            "text": "Broad and Market",
            "label": "N Broad St & Market St",
            "lat": 39.9526,
            "long": -75.1635,
            "neighborhood": "Center City",
        }
    ]


def test_only_the_text_is_needed_and_names_are_in_the_callers_language(api, fake):
    response = api.post(URL, {"text": "bache"}, format="json", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert response.json()["services"][0]["name"] == "Defecto de la calle"
    assert fake.calls[0]["lat"] is None and fake.calls[0]["language"] is None
    # The language given is the text's; names stay in the caller's.
    response = api.post(URL, {"text": "bache", "language": "es"}, format="json")
    assert response.json()["services"][0]["name"] == "Street Defect"
    assert fake.calls[1]["language"] == "es"


def test_exactly_ten_thousand_characters_are_read(api, fake):
    assert api.post(URL, {"text": "a" * 10_000}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "   \n "}, "text"),
        ({"text": None}, "text"),
        ({"text": "a" * 10_001}, "text"),
        ({"text": " " + "a" * 9_999 + " "}, "text"),
        ({"text": "bad\x00byte"}, "text"),
        ({"text": "pothole", "lat": 39.95}, "lat"),
        ({"text": "pothole", "long": -75.16}, "lat"),
        ({"text": "pothole", "lat": 91, "long": -75.16}, "lat"),
        ({"text": "pothole", "lat": 39.95, "long": -181}, "long"),
        ({"text": "pothole", "lat": "north", "long": -75.16}, "lat"),
        ({"text": "pothole", "lat": "NaN", "long": -75.16}, "lat"),
        ({"text": "pothole", "lat": 39.9, "long": "Infinity"}, "long"),
        ({"text": "pothole", "lat": "39.9", "long": -75.1}, "lat"),
        ({"text": "pothole", "lat": False, "long": 0}, "lat"),
        ({"text": "pothole", "language": "de"}, "language"),
        ({"text": ["pothole"]}, "text"),
        ({"text": 0}, "text"),
        ({"text": 1.5}, "text"),
        ({"text": True}, "text"),
    ],
    ids=[
        "missing",
        "empty",
        "blank",
        "null",
        "too-long",
        "too-long-with-spaces",
        "nul",
        "lat-only",
        "long-only",
        "lat-range",
        "long-range",
        "lat-word",
        "lat-nan",
        "long-inf",
        "lat-string",
        "lat-false",
        "language",
        "list",
        "int",
        "float",
        "bool",
    ],
)
def test_bad_input_is_refused_in_drfs_format(api, fake, body: dict[str, Any], field: str):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors and isinstance(errors[field], list) and all(isinstance(m, str) for m in errors[field])
    assert fake.calls == []


def test_a_body_that_is_not_json_is_refused(api, fake):
    response = api.post(URL, "text=pothole", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()
    assert fake.calls == []


def test_only_post(api, fake):
    assert api.get(URL).status_code == 405
    assert api.put(URL, {"text": "x"}, format="json").status_code == 405


def test_who_may_ask(client, fake, department, jurisdiction):
    assert APIClient().post(URL, {"text": "pothole"}, format="json").status_code == 401
    worker = with_role(StaffFactory(username="wes", department=department), StaffRole.DEPARTMENT_STAFF, department)
    assert token_client(worker).post(URL, {"text": "pothole"}, format="json").status_code == 200
    resident = StaffFactory(username="rita", is_staff=False)
    assert token_client(resident).post(URL, {"text": "pothole"}, format="json").status_code == 403
    gone = StaffFactory(username="old", is_active=False)
    session = APIClient()
    session.force_authenticate(gone)
    assert session.post(URL, {"text": "pothole"}, format="json").status_code == 403
    assert len(fake.calls) == 1


def test_too_many_reads_are_refused_with_retry_after(api, fake, monkeypatch, agent):
    monkeypatch.setattr(texts, "READ_RATE", rate_limits.Rate("staff-api-texts-read", 2, 60))
    assert [api.post(URL, {"text": "pothole"}, format="json").status_code for _ in range(2)] == [200, 200]
    refused = api.post(URL, {"text": "pothole"}, format="json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0 and "detail" in refused.json()
    # Per caller: another member of staff is not held back.
    other = with_role(StaffFactory(username="bo"), StaffRole.AGENT)
    assert token_client(other).post(URL, {"text": "pothole"}, format="json").status_code == 200


def test_the_schema_documents_the_endpoint(api):
    schema = api.get("/api/schema.json").json()
    operation = schema["paths"]["/api/v1/texts/read/"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "429"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    request_schema = schema["components"]["schemas"][body]
    assert request_schema["required"] == ["text"]
    assert request_schema["properties"]["text"]["maxLength"] == 10_000
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    properties = schema["components"]["schemas"][answer]["properties"]
    assert {"services", "unsure", "method", "model_version", "kind", "sentiment", "cues", "places"} <= set(properties)


# --- the real readers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10_000,
        "🙂🔥🔥🙂",
        "Hay un bache enorme en la calle, ya van tres veces que llamo",
        "Das Licht an der Ecke ist seit Wochen kaputt",
        "ok",
    ],
    ids=["10000-chars", "only-emoji", "spanish", "german", "tiny"],
)
def test_the_real_readers_answer_anything(api, streets, text):
    response = api.post(URL, {"text": text}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["kind"] in TextKind.values and data["sentiment"] in Sentiment.values
    assert -1 <= data["sentiment_score"] <= 1 and data["method"] in ("model", "keywords", "none")
    assert all(0 <= service["confidence"] <= 1 and service["explanation"] for service in data["services"])
    if text == "🙂🔥🔥🙂":
        assert data["unsure"] is True and data["kind"] == "other"


def test_the_real_readers_find_the_pothole(api, streets):
    data = api.post(URL, {"text": "There is a pothole in front of my house"}, format="json").json()
    assert data["services"] and data["services"][0]["code"] == "SR-ST01"
