"""The gate in front of every staff page outside the admin (the agent console, the department queues).

A page is for active staff only; anyone else is sent to the staff sign-in (the admin's two-step login),
and a signed-in account that is not active staff, or lacks the page's role, gets 403. The roles' rules
(`civic311.people.roles`) still decide, inside the services, what each person may see and change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import roles

View = Callable[..., HttpResponseBase]


def staff_page(
    view: View | None = None, *, any_role: Iterable[str] = (), rule: Callable[[Any], bool] | None = None
) -> Any:
    """Decorate a staff view: `@staff_page` (any role), or `@staff_page(rule=roles.may_survey)` for a page
    that one of the roles' rules opens. The rules are `civic311.people.roles`'s: the pages of this tree never
    list roles (`any_role`, a page for any of the roles given, is for the tests' pages)."""
    wanted = frozenset(any_role)

    def decorate(function: View) -> View:
        @wraps(function)
        @never_cache
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
                return redirect(f"{reverse('admin:login')}?{query}")
            if not roles.may_open_staff_pages(user):
                raise PermissionDenied(_("This page is for staff with a role; ask an administrator for one."))
            if (wanted and not roles.holds_any_role(user, wanted)) or (rule is not None and not rule(user)):
                raise PermissionDenied(_("Your roles do not include this page."))
            return function(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate


# The staff menu's item for each app's pages; the surveys app's reports and results are items of their own.
_MENU_ITEM_OF_APP = {
    "console": "console",
    "work": "queues",
    "surveys": "surveys",
    "emergencies": "emergencies",
    "insights": "analytics",
    "community": "community",
}
_MENU_ITEM_OF_PAGE = {
    ("surveys", "reports"): "reports",
    ("surveys", "report"): "reports",
    ("surveys", "report_pdf"): "reports",
    ("surveys", "report_csv"): "reports",
    ("surveys", "my_results"): "results",
    ("insights", "board"): "board",
    ("insights", "social_trends"): "social",
    ("insights", "forecast"): "forecast",
    ("insights", "operations"): "operations",
    ("insights", "operations_csv"): "operations",
    ("insights", "leadership"): "operations",
    ("insights", "leadership_report"): "operations",
    ("insights", "leadership_pdf"): "operations",
    ("insights", "leadership_csv"): "operations",
    ("console", "journeys"): "journeys",
    ("console", "journeys_csv"): "journeys",
    ("community", "figures"): "programme_figures",
    ("community", "figures_pdf"): "programme_figures",
    ("community", "figures_csv"): "programme_figures",
}


def current_menu_item(request: HttpRequest) -> str:
    """The staff menu item of the page being shown ("" for a page outside the menu): exactly one is marked."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if (match.app_name, match.url_name) == ("surveys", "agent_results"):
        # An agent's own results are "My survey results"; a supervisor coaching someone came from the reports.
        return "results" if match.kwargs.get("agent_id") == getattr(request.user, "pk", None) else "reports"
    return _MENU_ITEM_OF_PAGE.get((match.app_name, match.url_name)) or _MENU_ITEM_OF_APP.get(match.app_name, "")


def staff_navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the staff pages a signed-in member of staff may open (for the staff menu)."""
    user = getattr(request, "user", None)
    if user is None or not roles.is_staff_member(user):
        return {}
    return {
        "staff_menu_current": current_menu_item(request),
        "staff_may_use_console": roles.may_use_console(user),
        "staff_may_work_queues": roles.may_work_queues(user),
        "staff_may_see_overdue": roles.may_manage_escalations(user),
        "staff_may_declare_emergency": roles.may_declare_emergency(user),
        "staff_may_see_search_analytics": roles.may_see_search_analytics(user),
        "staff_may_see_social_trends": roles.may_see_social_trends(user),
        "staff_may_see_forecasts": roles.may_see_forecasts(user),
        "staff_may_see_operations": roles.may_see_operations(user),
        "staff_may_see_centre_journeys": roles.may_see_centre_journeys(user),
        "staff_may_survey": roles.may_survey(user),
        "staff_may_see_satisfaction_reports": roles.may_see_satisfaction_reports(user),
        "staff_has_survey_results": roles.may_see_own_survey_results(user),
        "staff_may_see_reader_board": roles.may_see_reader_board(user),
        "staff_may_reset_second_factor": roles.may_reset_second_factor(user),
        "staff_may_run_community_programmes": roles.may_run_community_programmes(user),
        "staff_may_see_programme_figures": roles.may_see_programme_figures(user),
    }
