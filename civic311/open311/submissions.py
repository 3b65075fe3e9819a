"""POST requests (with API keys, attributes, media, idempotency, batch tokens) and GET tokens/{token}."""

from __future__ import annotations

from django.http import HttpResponse

from . import reads
from .endpoints import Call, Open311Error, endpoint


@endpoint(methods=("GET", "POST"))
def requests_collection(call: Call) -> HttpResponse:
    if call.request.method == "GET":
        return reads.list_requests(call)
    return post_request(call)


def post_request(call: Call) -> HttpResponse:
    raise Open311Error(404, "not built yet")


@endpoint()
def token(call: Call, token: str) -> HttpResponse:
    raise Open311Error(404, "not built yet")
