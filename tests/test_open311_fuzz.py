"""Property-based robustness of every Open311 method: whatever a client sends, the answer is never a 5xx and
never HTML; it is text/xml or application/json, parses in that format, and an error is a list of
{code, description} with an integer code.

Runs in-process through Django's test client (fast); the HTTP round trips live in test_open311_http.py.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civic311.catalogue.models import Service
from civic311.open311 import services as open311

from .factories import JurisdictionFactory, ServiceFactory, filed_request, select_attribute

BASE = "/open311/v2/"
# OPEN311_FUZZ_EXAMPLES=500 for a deeper search; the default keeps the file well under 40 s.
FUZZ = settings(
    max_examples=int(os.environ.get("OPEN311_FUZZ_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)

# --- the world the calls land in ------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    city = JurisdictionFactory()
    dumping = ServiceFactory(jurisdiction=city, code="SR-ST02", name="Illegal Dumping")
    select_attribute(dumping, "material", ["tires", "furniture", "trash"], required=False)
    select_attribute(dumping, "extras", ["big", "wet"], multi=True)
    ServiceFactory(jurisdiction=city, code="SR-PO01", name="Abandoned Vehicle", open311_type=Service.Open311Type.BATCH)
    ServiceFactory(jurisdiction=city, code="SR.DOT.1", name="Dotted code")
    request = filed_request(dumping)
    key = open311.issue_api_key(city, "fuzzer", requests_per_minute=1_000_000).key
    return {"key": key, "id": request.tracking_number}


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


# --- strategies -----------------------------------------------------------------------------------------------

PARAM_NAMES = [
    "jurisdiction_id",
    "service_code",
    "service_request_id",
    "start_date",
    "end_date",
    "updated_after",
    "updated_before",
    "status",
    "page",
    "page_size",
    "lat",
    "long",
    "radius",
    "bbox",
    "extensions",
    "api_key",
    "description",
    "email",
    "first_name",
    "last_name",
    "phone",
    "device_id",
    "account_id",
    "address_string",
    "address_id",
    "media_url",
    "client_request_id",
    "update_id",
    "updated_datetime",
    "attribute[material]",
    "attribute[extras][]",
    "attribute[extras]",
    "attribute[]",
    "attribute[[x]]",
    "attribute",
    "token",
]

huge = st.builds(
    lambda chunk, n: chunk * n, st.sampled_from(["x", "é", "😀", "1,", "%", "\x00", "&a=b"]), st.integers(5_000, 30_000)
)
numbers_as_text = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "0",
            "-0",
            "1e308",
            "1e-400",
            "nan",
            "inf",
            "-inf",
            "0x1A",
            "١٢",
            "½",
            "1_000",
            " 5 ",
            "39.95",
            "-75.16",
            "1000",
            "1001",
            "999999999999999999999",
        ]
    ),
)
dates_as_text = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "2024-13-45",
            "2024-02-30T25:61:61Z",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-23:59",
            "2024-01-01T00:00:00 05:00",
            "2024-01-01T00:00:00z",
            "2024-W01-1",
            "20240101T000000Z",
            "2024-01-01T00:00:00.123456789Z",
            "yesterday",
            "T",
            "2024-01-01T00:00:00+24:00",
        ]
    ),
)
values = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    numbers_as_text,
    dates_as_text,
    st.sampled_from(
        [
            "true",
            "false",
            "TRUE",
            "open",
            "closed",
            "open,closed",
            ",,,",
            "SR-ST02",
            "SR-ST02,SR-NOPE",
            "SR.DOT.1",
            "-75.2,39.9,-75.1,40.0",
            "1,2,3",
            "[]",
            "{}",
            "null",
            "<x/>",
            "]]>",
            "&amp;",
            "http://example.org/a.jpg",
            "javascript:alert(1)",
            "tires",
            "OPEN",
            "FIXED",
            "REOPEN",
        ]
    ),
    huge,
)
param_names = st.one_of(st.sampled_from(PARAM_NAMES), st.text(min_size=1, max_size=20))
# Lists: a parameter repeated, or several parameters.
params = st.lists(st.tuples(param_names, values), max_size=8)
raw_bytes = st.binary(max_size=120)
formats = st.sampled_from([".json", ".xml", "", ".html", ".JSON", ".Xml", ".txt", ".", ".json.xml", ".js%6fn"])
segments = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["SR-ST02", "SR.DOT.1", "SR-PO01", "10000001", "%FF%FE", "..", "%00", "a%2Fb", " ", "#1"]),
    huge.map(lambda s: s[:5000]),
)
languages = st.sampled_from(["", "es", "zh-Hans", "ar;q=0.9,en;q=0.1", "*", "x" * 300, "é;q=abc"])


def encode(pairs: list[tuple[str, str]]) -> str:
    return urllib.parse.urlencode(pairs, doseq=True, encoding="utf-8", errors="surrogatepass")


def raw_query(data: bytes) -> str:
    """A query string with arbitrary bytes in it, as a WSGI server passes it (latin-1 decoded)."""
    return data.replace(b"#", b"%23").decode("latin-1")


def segment(text: str) -> str:
    return urllib.parse.quote(text, safe="", errors="surrogatepass") if text else "x"


# --- the contract every answer meets ---------------------------------------------------------------------------


def check(response, what: str) -> None:
    what = what if len(what) <= 400 else f"{what[:300]}…({len(what):,} characters)…{what[-60:]}"
    status = response.status_code
    kind = response.get("Content-Type", "")
    body = response.content
    assert status < 500, f"{status} for {what!r}: {body[:300]!r}"
    assert kind.startswith(("text/xml", "application/json")), f"Content-Type {kind!r} ({status}) for {what!r}"
    assert b"<html" not in body[:500].lower() and b"<!doctype" not in body[:500].lower(), f"HTML for {what!r}"
    if kind.startswith("application/json"):
        parsed = json.loads(body.decode("utf-8"))
        if status >= 400:
            assert isinstance(parsed, list) and parsed, f"error body {parsed!r} for {what!r}"
            for error in parsed:
                assert isinstance(error, dict) and type(error.get("code")) is int, f"error {error!r} for {what!r}"
                assert error["code"] == status, f"code {error['code']} in a {status} for {what!r}"
                assert isinstance(error.get("description"), str), f"error {error!r} for {what!r}"
        else:
            assert isinstance(parsed, list | dict), f"body {parsed!r} for {what!r}"
    else:
        assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), f"XML prolog for {what!r}: {body[:80]!r}"
        root = ET.fromstring(body)  # noqa: S314  (our own server's output)
        if status >= 400:
            assert root.tag == "errors", f"<{root.tag}> error root for {what!r}"
            errors = root.findall("error")
            assert errors, f"no <error> for {what!r}"
            for error in errors:
                code = error.findtext("code") or ""
                assert code.isdigit() and int(code) == status, f"<code>{code}</code> in a {status} for {what!r}"
                assert error.find("description") is not None


GET_PATHS = [
    "discovery{fmt}",
    "services{fmt}",
    "services/{seg}{fmt}",
    "requests{fmt}",
    "requests/{seg}{fmt}",
    "tokens/{seg}{fmt}",
    "servicerequestupdates{fmt}",
]
POST_PATHS = ["requests{fmt}", "servicerequestupdates{fmt}"]


def path_for(template: str, fmt: str, seg: str) -> str:
    return BASE + template.format(fmt=fmt, seg=segment(seg))


# --- GET ------------------------------------------------------------------------------------------------------


@FUZZ
@given(template=st.sampled_from(GET_PATHS), fmt=formats, seg=segments, pairs=params, language=languages)
def test_get_with_arbitrary_parameters(world, client, template, fmt, seg, pairs, language):
    path = path_for(template, fmt, seg)
    query = encode(pairs)
    response = client.get(f"{path}?{query}" if query else path, HTTP_ACCEPT_LANGUAGE=language)
    check(response, f"GET {path}?{query[:300]}")


@FUZZ
@given(template=st.sampled_from(GET_PATHS), fmt=formats, seg=segments, data=raw_bytes)
def test_get_with_bad_bytes_in_the_query_string(world, client, template, fmt, seg, data):
    path = path_for(template, fmt, seg)
    response = client.generic("GET", path, QUERY_STRING=raw_query(data))
    check(response, f"GET {path}?{data!r}")


@FUZZ
@given(fmt=formats, pairs=params, real_id=st.booleans())
def test_get_one_request_with_parameters(world, client, fmt, pairs, real_id):
    path = f"{BASE}requests/{world['id'] if real_id else 'nope'}{fmt}"
    query = encode(pairs)
    check(client.get(f"{path}?{query}"), f"GET {path}?{query[:300]}")


@FUZZ
@given(
    fmt=st.sampled_from([".json", ".xml"]),
    filters=st.fixed_dictionaries(
        {},
        optional={
            "service_code": st.one_of(values, st.just("SR-ST02")),
            "status": values,
            "start_date": dates_as_text,
            "end_date": dates_as_text,
            "updated_after": dates_as_text,
            "updated_before": dates_as_text,
            "page": numbers_as_text,
            "page_size": numbers_as_text,
            "lat": numbers_as_text,
            "long": numbers_as_text,
            "radius": numbers_as_text,
            "bbox": st.one_of(values, st.lists(numbers_as_text, min_size=4, max_size=4).map(",".join)),
            "extensions": values,
            "service_request_id": st.one_of(values, st.just("10000001,10000001,x")),
        },
    ),
)
def test_list_requests_with_typed_but_wild_filters(world, client, fmt, filters):
    path = f"{BASE}requests{fmt}"
    query = encode(list(filters.items()))
    check(client.get(f"{path}?{query}"), f"GET {path}?{query[:400]}")


# --- POST -----------------------------------------------------------------------------------------------------


def with_key(world, pairs: list[tuple[str, str]], key_mode: str) -> list[tuple[str, str]]:
    if key_mode == "valid":
        return [("api_key", world["key"]), *pairs]
    if key_mode == "wrong":
        return [("api_key", world["key"][::-1]), *pairs]
    return pairs


key_modes = st.sampled_from(["valid", "valid", "wrong", "none"])


@FUZZ
@given(
    template=st.sampled_from(POST_PATHS),
    fmt=formats,
    pairs=params,
    key_mode=key_modes,
    in_query=st.booleans(),
    language=languages,
)
def test_post_with_arbitrary_form_fields(world, client, template, fmt, pairs, key_mode, in_query, language):
    path = path_for(template, fmt, "")
    pairs = with_key(world, pairs, key_mode)
    body = encode(pairs)
    if in_query:
        response = client.post(
            f"{path}?{body}", data=b"", content_type="application/x-www-form-urlencoded", HTTP_ACCEPT_LANGUAGE=language
        )
    else:
        response = client.post(
            path,
            data=body.encode("utf-8", "surrogatepass"),
            content_type="application/x-www-form-urlencoded",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    check(response, f"POST {path} {body[:400]}")


@FUZZ
@given(
    fmt=st.sampled_from([".json", ".xml"]),
    fields=st.fixed_dictionaries(
        {"service_code": st.one_of(st.sampled_from(["SR-ST02", "SR-PO01", "SR.DOT.1"]), values)},
        optional={
            "lat": numbers_as_text,
            "long": numbers_as_text,
            "address_string": values,
            "address_id": values,
            "description": values,
            "email": values,
            "phone": values,
            "first_name": values,
            "media_url": values,
            "attribute[material]": values,
            "attribute[extras][]": st.lists(values, max_size=4),
            "client_request_id": values,
            "account_id": values,
            "device_id": values,
            "jurisdiction_id": values,
        },
    ),
    key_mode=key_modes,
)
def test_post_requests_with_typed_but_wild_fields(world, client, fmt, fields, key_mode):
    pairs = with_key(world, list(fields.items()), key_mode)
    body = encode(pairs)
    response = client.post(
        f"{BASE}requests{fmt}",
        data=body.encode("utf-8", "surrogatepass"),
        content_type="application/x-www-form-urlencoded",
    )
    check(response, f"POST requests{fmt} {body[:400]}")


@FUZZ
@given(
    fmt=st.sampled_from([".json", ".xml"]),
    fields=st.fixed_dictionaries(
        {},
        optional={
            "service_request_id": st.one_of(values, st.just("10000001")),
            "update_id": values,
            "status": st.one_of(values, st.sampled_from(list(open311.FIXMYSTREET_STATUSES))),
            "updated_datetime": dates_as_text,
            "description": values,
            "email": values,
            "first_name": values,
            "last_name": values,
            "media_url": values,
        },
    ),
    key_mode=key_modes,
)
def test_post_updates_with_typed_but_wild_fields(world, client, fmt, fields, key_mode):
    pairs = with_key(world, list(fields.items()), key_mode)
    body = encode(pairs)
    response = client.post(
        f"{BASE}servicerequestupdates{fmt}",
        data=body.encode("utf-8", "surrogatepass"),
        content_type="application/x-www-form-urlencoded",
    )
    check(response, f"POST servicerequestupdates{fmt} {body[:400]}")


# Form bodies declared in another charset than UTF-8, and multipart without a boundary, have tests of their
# own below (known 500s), so that the fuzzer keeps looking elsewhere.
content_types = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/x-www-form-urlencoded; charset=nonsense",
        "multipart/form-data; boundary=xyz",
        "application/json",
        "text/xml",
        "text/plain",
        "",
        "application/octet-stream",
    ]
)


@FUZZ
@given(
    template=st.sampled_from(POST_PATHS),
    fmt=formats,
    data=raw_bytes,
    content_type=content_types,
    key_mode=key_modes,
    query=raw_bytes,
)
def test_post_with_bad_bytes_and_content_types(world, client, template, fmt, data, content_type, key_mode, query):
    path = path_for(template, fmt, "")
    key = encode(with_key(world, [], key_mode))
    response = client.generic(
        "POST", path, data=data, content_type=content_type, QUERY_STRING=(key + "&" if key else "") + raw_query(query)
    )
    check(response, f"POST {path} ({content_type}) {data!r} ?{query!r}")


@pytest.mark.parametrize(
    "path",
    [
        "tokens/%00.json",
        "tokens/a%00b.xml",
        "services/%00.json",
        "services/SR%00.xml",
        "requests/%00.json",
        "discovery.json?jurisdiction_id=%00",
        "services.xml?jurisdiction_id=a%00",
        "requests.json?jurisdiction_id=%00",
        "servicerequestupdates.json?jurisdiction_id=%00",
        "requests.json?service_code=%00",
    ],
)
def test_nul_characters_are_refused_not_a_500(world, client, path):
    """PostgreSQL cannot hold NUL in text: a NUL that reaches a query raises DataError there (SQLite does not
    mind), so every path segment and parameter that is looked up must be refused or answered before."""
    response = client.get(BASE + path)
    check(response, f"GET {BASE}{path}")
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("path", ["requests.json", "servicerequestupdates.xml"])
@pytest.mark.parametrize("charset", ["latin-1", "utf-16"])
def test_form_body_declared_in_another_charset_is_a_400(world, client, path, charset):
    """Django 5.2 refuses urlencoded bodies that are not UTF-8 with django.core.exceptions.BadRequest;
    the Open311 endpoint must answer that with a 400 in the caller's format, not a 500."""
    response = client.generic(
        "POST",
        BASE + path,
        data=b"service_code=SR-ST02&description=caf\xe9",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
        QUERY_STRING=f"api_key={world['key']}",
    )
    check(response, f"POST {path} with Content-Type application/x-www-form-urlencoded; charset={charset}")
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["requests.json", "servicerequestupdates.xml"])
@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_multipart_without_a_boundary_is_a_400(world, client, path, content_type):
    """Django raises MultiPartParserError("Invalid boundary in multipart: None") when request.POST is read;
    the Open311 endpoint must answer a 400 in the caller's format, not a 500."""
    response = client.generic(
        "POST",
        BASE + path,
        data=b"service_code=SR-ST02",
        content_type=content_type,
        QUERY_STRING=f"api_key={world['key']}",
    )
    check(response, f"POST {path} with Content-Type {content_type}")
    assert response.status_code == 400


@FUZZ
@given(
    fmt=st.sampled_from([".json", ".xml", ""]),
    description=st.text(min_size=1, max_size=300),
    boundary_junk=st.binary(max_size=60),
    key_mode=key_modes,
)
def test_post_multipart_with_junk(world, client, fmt, description, boundary_junk, key_mode):
    parts = [
        b'--b0undary\r\nContent-Disposition: form-data; name="service_code"\r\n\r\nSR-ST02\r\n',
        b'--b0undary\r\nContent-Disposition: form-data; name="description"\r\n\r\n'
        + description.encode("utf-8", "surrogatepass")
        + b"\r\n",
        b'--b0undary\r\nContent-Disposition: form-data; name="media"; filename="x.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + boundary_junk + b"\r\n",
        b'--b0undary\r\nContent-Disposition: form-data; name="lat"\r\n\r\n39.9526\r\n',
        b'--b0undary\r\nContent-Disposition: form-data; name="long"\r\n\r\n-75.1635\r\n',
        b"--b0undary--\r\n",
    ]
    key = encode(with_key(world, [], key_mode))
    response = client.generic(
        "POST",
        f"{BASE}requests{fmt}",
        data=b"".join(parts),
        content_type="multipart/form-data; boundary=b0undary",
        QUERY_STRING=key,
    )
    check(response, f"POST multipart requests{fmt} description={description!r} media={boundary_junk!r}")


@FUZZ
@given(
    template=st.sampled_from(GET_PATHS),
    fmt=formats,
    seg=segments,
    method=st.sampled_from(["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST"]),
)
def test_other_methods(world, client, template, fmt, seg, method):
    path = path_for(template, fmt, seg)
    response = client.generic(method, path)
    if method == "HEAD":
        assert response.status_code < 500
        return
    check(response, f"{method} {path}")


@settings(max_examples=1, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None)
@given(st.just(None))
def test_reused_update_id_is_a_400_not_a_500(world, client, nothing):
    form = {
        "api_key": world["key"],
        "service_request_id": world["id"],
        "update_id": "fms-1",
        "status": "OPEN",
        "description": "Seen again.",
    }
    first = client.post(f"{BASE}servicerequestupdates.json", data=form)
    check(first, "first update")
    assert first.status_code == 200
    again = client.post(f"{BASE}servicerequestupdates.json", data=form)
    check(again, "repeated update_id")
    assert again.status_code == 400
    assert "already exists" in again.json()[0]["description"]
