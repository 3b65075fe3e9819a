"""POST requests (with API keys, attributes, media, idempotency, batch tokens) and GET tokens/{token}.

The rules live in `civic311.open311.services` (keys, tokens) and `civic311.service_requests.services.submit`
(intake); this module only reads the call and writes the answer. docs/open311.md documents it for clients.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from civic311.people.selectors import supported_language
from civic311.service_requests import services as requests

from . import formats, reads
from . import services as open311
from .endpoints import Call, Open311Error, endpoint
from .models import ApiKey


@endpoint(methods=("GET", "POST"))
def requests_collection(call: Call) -> HttpResponse:
    if call.request.method == "GET":
        return reads.list_requests(call)
    return post_request(call)


def post_request(call: Call) -> HttpResponse:
    api_key = authenticated(call)
    if isinstance(api_key, HttpResponse):
        return api_key
    report = report_from(call, api_key)
    try:
        posted = open311.post_request(call.jurisdiction, report, api_key)
    except requests.CannedAnswer as answer:
        raise Open311Error(400, answer.message) from None
    service_request = posted.service_request
    account_id = call.param("account_id")
    item: dict[str, object]
    if posted.token is not None:
        # A batch service answers with a token only; tokens/{token} gives the id.
        item = {
            "token": posted.token,
            "service_notice": service_request.service.localized("service_notice"),
            "account_id": account_id,
        }
    else:
        item = {
            "service_request_id": service_request.tracking_number,
            "service_notice": service_request.service.localized("service_notice"),
            "account_id": account_id,
        }
    response = call.render("service_requests", [item])
    if not posted.created:
        response["Idempotent-Replayed"] = "true"
    return response


def authenticated(call: Call) -> ApiKey | HttpResponse:
    """The call's API key, counted against its rate limit; a 429 response when over it. 403 otherwise."""
    presented = call.request.GET.get("api_key") or call.request.POST.get("api_key") or ""
    try:
        return open311.authenticate(call.jurisdiction, presented)
    except open311.KeyRefused as refused:
        raise Open311Error(403, refused.message) from None
    except open311.RateLimited as limited:
        # 429 is our one status beyond the contract's 400/403/404: it tells a client to wait, not to fix its call.
        response = formats.errors(
            call.fmt,
            429,
            [
                _("Too many requests for this api_key: at most %(limit)d a minute. Try again in %(seconds)d seconds.")
                % {"limit": limited.api_key.requests_per_minute, "seconds": limited.retry_after}
            ],
        )
        response["Retry-After"] = str(limited.retry_after)
        return response


def report_from(call: Call, api_key: ApiKey) -> requests.Report:
    """The POST's fields as an intake Report (fields may also come in the query string)."""
    files = call.request.FILES
    media = [*files.getlist("media"), *files.getlist("media[]")]
    client_request_id = call.param("client_request_id") or call.request.headers.get("Idempotency-Key", "")
    if "\x00" in client_request_id:
        raise Open311Error(400, _("The parameter %(name)s contains a NUL character.") % {"name": "client_request_id"})
    # address_id names a place in the city's address register, which we do not hold: without an
    # address_string it is kept as the address text, so staff can still find the place.
    address = call.param("address_string") or call.param("address_id")
    # We keep no client accounts or devices: account_id is echoed in the answer, device_id dropped.
    # Both are still read, so that their length and NULs are checked like every other field.
    call.param("device_id")
    call.param("account_id")
    sources = [call.request.GET, call.request.POST]
    return requests.Report(
        service_code=call.param("service_code"),
        description=call.param("description"),
        address=address,
        lat=call.param("lat"),
        long=call.param("long"),
        answers=open311.attributes_from(*sources),
        photos=media,
        first_name=call.param("first_name"),
        last_name=call.param("last_name"),
        email=call.param("email"),
        phone=call.param("phone"),
        idempotency_key=open311.idempotency_key(api_key, client_request_id),
        media_url=call.param("media_url"),
        language=_requester_language(call),
    )


def _requester_language(call: Call) -> str:
    """The language the resident used, for their e-mails: the POST's `locale` ("es", "es_MX"), else the
    first language of the Accept-Language header that we speak; "" when the client says neither."""
    named = supported_language(call.param("locale"))
    if named:
        return named
    for code, _quality in parse_accept_lang_header(call.request.headers.get("Accept-Language", "")[:500]):
        if supported_language(code):
            return supported_language(code)
    return ""


@endpoint()
def token(call: Call, token: str) -> HttpResponse:
    service_request = open311.resolve_token(call.jurisdiction, token)
    if service_request is None:
        raise Open311Error(404, _("There is no token “%(token)s”.") % {"token": token[:64]})
    return call.render("service_requests", [{"service_request_id": service_request.tracking_number, "token": token}])
