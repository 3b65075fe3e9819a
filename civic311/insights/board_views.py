"""The reader board: for signed-in contact-centre staff and managers (/insights/board/), and for a
configured wall screen through its display link (/insights/board/screen/<token>/, no sign-in).

Thin: the figures come from `board`, the screens from `board_services`. Both pages render the same
figures fragment; board.js fetches the page again every minute and swaps the fragment in (without
JavaScript a meta refresh reloads the whole page).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from civic311.emergencies.selectors import active_notice
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.languages import language_key
from civic311.people import roles
from civic311.people.staff_pages import staff_page

from . import board, board_services

REFRESH_SECONDS = 60


def _context(jurisdiction: Jurisdiction) -> dict[str, object]:
    now = timezone.now()
    language = language_key()
    return {
        "board_jurisdiction": jurisdiction,
        "figures": board.board_figures(jurisdiction, now),
        "emergency": active_notice(jurisdiction, language, now),
        "refresh_seconds": REFRESH_SECONDS,
        "on_time_days": board.ON_TIME_DAYS,
    }


@require_GET
@staff_page(rule=roles.may_see_reader_board)
def reader_board(request: HttpRequest) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    roles.require(
        roles.may_see_city(request.user, jurisdiction.pk),
        _("You may not see this city's reader board."),
    )
    return render(request, "insights/board.html", _context(jurisdiction))


@require_GET
@never_cache
def screen_board(request: HttpRequest, token: str) -> HttpResponse:
    """A wall screen's board: no sign-in, the link's token is the key. Unknown or revoked: 404."""
    screen = board_services.screen_for_token(token)
    if screen is None:
        raise Http404(_("This display link is not valid (any more)."))
    board_services.note_seen(screen)
    # The screen shows its own city, in that city's time, whatever host it was opened on.
    with timezone.override(screen.jurisdiction.zone):
        response = render(request, "insights/board_screen.html", _context(screen.jurisdiction))
    # The token is in the address: keep it out of Referer headers and search engines.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
