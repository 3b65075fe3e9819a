"""GET endpoints: discovery, services, a service definition, requests and one request."""

from __future__ import annotations

from django.http import HttpResponse

from .endpoints import Call, Open311Error, endpoint


@endpoint()
def discovery(call: Call) -> HttpResponse:
    raise Open311Error(404, "not built yet")


@endpoint()
def services(call: Call) -> HttpResponse:
    raise Open311Error(404, "not built yet")


@endpoint()
def service_definition(call: Call, code: str) -> HttpResponse:
    raise Open311Error(404, "not built yet")


def list_requests(call: Call) -> HttpResponse:
    """GET requests.{fmt}; called by `submissions.requests_collection`, which also takes the POST."""
    raise Open311Error(404, "not built yet")


@endpoint()
def request_detail(call: Call, request_id: str) -> HttpResponse:
    raise Open311Error(404, "not built yet")
