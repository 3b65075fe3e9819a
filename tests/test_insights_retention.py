"""The raw search log is pruned after the retention period; the rollups the page reads stay."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from civic311.insights import services
from civic311.insights.models import ArticleView, DailyQueryStat, SearchClick, SearchLog

from .knowledge_helpers import editor, write_article

pytestmark = pytest.mark.django_db
LONG_AGO = dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)


def test_old_log_rows_go_and_the_rollups_stay(jurisdiction, settings):
    settings.CIVIC311_SEARCH_LOG_RETENTION_DAYS = 30
    article = write_article(
        jurisdiction,
        "set-out-times",
        title="Set-out times",
        summary="After 7 pm.",
        body="Put trash out after 7 pm the night before.",
        actor=editor(),
    )
    with time_machine.travel(LONG_AGO, tick=False):
        old = services.log_search(
            jurisdiction, "trash day 215-555-0100", language="en", channel="web", result_count=1, visitor="a"
        )
        services.log_click(old, article)
        services.log_article_view(article, language="en", channel="web", visitor="a")
    recent = services.log_search(jurisdiction, "trash day", language="en", channel="web", result_count=1, visitor="b")
    deleted = services.prune_logs()
    assert deleted["searches"] == 1 and deleted["clicks"] == 1 and deleted["article views"] == 1
    assert list(SearchLog.objects.values_list("pk", flat=True)) == [recent]
    assert not SearchClick.objects.exists() and ArticleView.objects.count() == 0
    # The counts the page shows are kept.
    assert DailyQueryStat.objects.filter(day=timezone.localtime(LONG_AGO, jurisdiction.zone).date()).exists()


def test_the_command_prunes_and_refuses_a_period_shorter_than_a_reading_session(jurisdiction):
    out = io.StringIO()
    call_command("prune_search_log", "--days", "7", stdout=out)
    assert out.getvalue().strip().endswith("deleted.")
    with pytest.raises(CommandError, match="at least 2 days"):
        call_command("prune_search_log", "--days", "1")
