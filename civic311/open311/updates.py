"""FixMyStreet's servicerequestupdates: GET lists public updates, POST takes a client's update."""

from __future__ import annotations

from django.http import HttpResponse

from .endpoints import Call, Open311Error, endpoint


@endpoint(methods=("GET", "POST"))
def service_request_updates(call: Call) -> HttpResponse:
    raise Open311Error(404, "not built yet")
