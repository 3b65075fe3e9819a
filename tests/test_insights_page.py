"""The search analytics staff page and its CSV over HTTP: who may open them, what they show, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from civic311.insights import services
from civic311.people.models import StaffRole

from .factories import StaffFactory, staff_in_role
from .knowledge_helpers import make_article
from .roles_helpers import STAFF_ROLES
from .test_insights_counts import NOON, VISITOR

pytestmark = pytest.mark.django_db

ALLOWED = {StaffRole.SUPERVISOR, StaffRole.DEPARTMENT_MANAGER, StaffRole.ADMIN}
PAGE = "/insights/search/"
CSV = "/insights/search/zero-results.csv"


@pytest.fixture
def activity(jurisdiction):
    """A day of searching and reading, at 15:00 in Philadelphia."""
    trash = make_article(jurisdiction, "trash-day", "When is my trash day?", published_at=NOON)
    with time_machine.travel(NOON, tick=False):
        first = services.log_search(jurisdiction, "Trash day", language="en", channel="web", result_count=3)
        services.log_click(first, trash)
        services.log_search(jurisdiction, "bulk pickup <b>couch</b>", language="en", channel="web", result_count=0)
        services.log_search(jurisdiction, "=cmd|' /C calc'!A0", language="en", channel="web", result_count=0)
        services.log_search(jurisdiction, "recogida de muebles", language="es", channel="web", result_count=0)
        services.log_article_view(trash, language="en", channel="web", visitor=VISITOR)
        for helpful in (False, False, False, False, True):
            services.record_feedback(trash, helpful=helpful, language="en")
    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):
        services.close_reading_sessions()
    return trash


def test_the_urls():
    assert reverse("insights:search") == PAGE
    assert reverse("insights:zero_results_csv") == CSV


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_role_against_the_page_and_the_csv(client, jurisdiction, activity, role):
    client.force_login(staff_in_role(role))
    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):
        for url in (PAGE, CSV):
            response = client.get(url)
            assert response.status_code == (200 if role in ALLOWED else 403), (url, role)


def test_anonymous_is_sent_to_sign_in(client, jurisdiction):
    for url in (PAGE, CSV):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_a_role_is_refused(client, jurisdiction):
    client.force_login(StaffFactory(username="no-role"))
    assert client.get(PAGE).status_code == 403


def test_the_page_shows_the_rollups(client, jurisdiction, activity, staff):
    client.force_login(staff)
    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):
        response = client.get(PAGE, {"days": "7"})
    assert response.status_code == 200
    analytics = response.context["analytics"]
    assert (analytics.totals.searches, analytics.totals.zero_results, analytics.totals.clicks) == (4, 3, 1)
    assert (analytics.deflection.sessions, analytics.deflection.deflected) == (1, 1)
    assert [row["title"] for row in analytics.unhelpful] == ["When is my trash day?"]
    page = response.content.decode()
    assert "Searches that found nothing" in page
    assert "recogida de muebles" in page
    # The query is text, never markup; and each zero-result query links to the public search.
    assert "<b>couch</b>" not in page
    assert "bulk pickup &lt;b&gt;couch&lt;/b&gt;" in page
    assert reverse("knowledge:search") + "?q=recogida%20de%20muebles" in page
    assert 'id="deflection-rate">100 %' in page
    assert "style=" not in page and "<script>" not in page


def test_the_period_is_chosen_on_the_page(client, jurisdiction, activity, staff):
    client.force_login(staff)
    with time_machine.travel(NOON + dt.timedelta(days=20), tick=False):
        assert client.get(PAGE, {"days": "7"}).context["analytics"].totals.searches == 0
        response = client.get(PAGE, {"days": "30"})
        assert response.context["analytics"].totals.searches == 4
        assert client.get(PAGE).context["days"] == 30


@pytest.mark.parametrize("days", ["8", "abc", "-7", "9" * 40, "30' OR 1=1 --", "7.5"])
def test_a_bad_period_is_refused_with_a_clear_message(client, jurisdiction, activity, staff, days):
    client.force_login(staff)
    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):
        response = client.get(PAGE, {"days": days})
        assert response.status_code == 400
        assert "Choose a period of 7, 30 or 90 days." in response.content.decode()
        assert response.context["days"] == 30  # and the default period is shown
        csv_response = client.get(CSV, {"days": days})
    assert csv_response.status_code == 400
    assert csv_response["Content-Type"].startswith("text/plain")
    assert "Choose a period of 7, 30 or 90 days." in csv_response.content.decode()


def test_the_page_is_get_only(client, jurisdiction, staff):
    client.force_login(staff)
    assert client.post(PAGE, {"days": "7"}).status_code == 405


def test_the_zero_result_list_downloads_as_csv(client, jurisdiction, activity, staff):
    client.force_login(staff)
    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):
        response = client.get(CSV, {"days": "7"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["query", "language", "searches_with_no_result", "last_seen"]
    assert sorted(rows[1:]) == sorted(
        [
            ["bulk pickup <b>couch</b>", "en", "1", "2026-03-10"],
            # a formula is defused for spreadsheets: an apostrophe first, and its pipe cannot start a DDE call
            ["'=cmd\\|' /c calc'!a0", "en", "1", "2026-03-10"],
            ["recogida de muebles", "es", "1", "2026-03-10"],
        ]
    )


def test_the_page_reads_the_rollups_not_the_log(client, jurisdiction, activity, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff)
    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False), CaptureQueriesContext(connection) as seen:
        assert client.get(PAGE).status_code == 200
    log_tables = ("insights_searchlog", "insights_articleview", "insights_articlefeedback", "insights_searchclick")
    assert not [query["sql"] for query in seen.captured_queries if any(table in query["sql"] for table in log_tables)]


def test_a_residents_visit_through_the_public_pages_is_counted(client, jurisdiction, service, center_city):
    """The knowledge base's pages and the report form call the analytics: search, open, answer, file."""
    from civic311.insights.middleware import COOKIE
    from civic311.insights.models import DailyArticleStat, DailyQueryStat, ReadingSession, SearchLog

    trash = make_article(jurisdiction, "trash-day", "When is my trash day?", published_at=NOON)
    with time_machine.travel(NOON, tick=False):
        assert client.get(reverse("knowledge:search"), {"q": "zzqx wombat"}).status_code == 200
        assert COOKIE in client.cookies  # the page used the visitor id, so the browser keeps it
        search = SearchLog.objects.get()
        assert (search.normalized, search.result_count, search.channel) == ("zzqx wombat", 0, "web")
        assert search.visitor == services.pseudonym(client.cookies[COOKIE].value)
        article_url = reverse("knowledge:article", args=["trash-day"])
        assert client.get(article_url, {"from": str(search.pk)}).status_code == 200
        assert client.post(reverse("knowledge:feedback", args=["trash-day"]), {"helpful": "no"}).status_code == 302
    with time_machine.travel(NOON + dt.timedelta(hours=2), tick=False):
        response = client.post(
            reverse("public:report", args=[service.code]),
            {"description": "Tires on the sidewalk.", "lat": "39.9526", "long": "-75.1635"},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):
        assert services.close_reading_sessions() == 0

    stat = DailyQueryStat.objects.get()
    assert (stat.searches, stat.zero_results, stat.clicks) == (1, 1, 1)
    assert ReadingSession.objects.get().state == ReadingSession.State.FILED
    article_stat = DailyArticleStat.objects.get(article=trash)
    assert article_stat.views >= 1
    assert (article_stat.helpful_no, article_stat.sessions, article_stat.deflected_sessions) == (1, 1, 0)
