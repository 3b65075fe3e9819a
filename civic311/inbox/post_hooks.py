"""The social post webhook (being built)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def inbound_posts(request: HttpRequest, **kwargs: str) -> HttpResponse:
    return HttpResponse(status=501)
