"""The social trends page (/insights/social/) and its selectors: negative share per week in the city's zone,
the chosen week's wants (services and phrases), sentiment by service and neighborhood, the CSV, who may see
it, bad input; and the demo's season of posts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from civic311.demo import social_posts
from civic311.demo.places import NEIGHBORHOODS
from civic311.inbox.models import InboxChannel, InboxItem, InboxMessage
from civic311.insights import social_trends as trends
from civic311.people.models import StaffRole
from civic311.text_intelligence.models import Sentiment, TextKind
from civic311.text_intelligence.mood import read_mood

from .factories import (
    JurisdictionFactory,
    NeighborhoodFactory,
    ServiceFactory,
    StaffFactory,
    filed_request,
    staff_in_role,
)
from .roles_helpers import STAFF_ROLES

pytestmark = pytest.mark.django_db

PHILLY = ZoneInfo("America/New_York")
# A Wednesday afternoon in Philadelphia; its week began Monday 2026-03-16.
NOW = dt.datetime(2026, 3, 18, 15, 0, tzinfo=PHILLY)
THIS_MONDAY = dt.date(2026, 3, 16)
ALLOWED = {StaffRole.SUPERVISOR, StaffRole.LEADERSHIP, StaffRole.ADMIN}
PAGE = "/insights/social/"
CSV = "/insights/social/weeks.csv"
_numbers = itertools.count(1)


def post(jurisdiction, when, text, *, sentiment="", kind="", service=None, neighborhood=None, channel=None):
    """A social inbox item as the door leaves it: its first message and its stored reading."""
    number = next(_numbers)
    item = InboxItem.objects.create(
        jurisdiction=jurisdiction,
        channel=channel or InboxChannel.SOCIAL,
        sender=f"@person{number}@example.social",
        sender_key=f"social:person{number}",
        received_at=when,
        last_message_at=when,
        sentiment=sentiment,
        text_kind=kind,
        suggested_service=service,
        neighborhood=neighborhood,
    )
    InboxMessage.objects.create(
        item=item,
        jurisdiction=jurisdiction,
        channel=item.channel,
        direction=InboxMessage.Direction.IN,
        external_id=f"https://example.social/{number}",
        body=text,
        sent_at=when,
    )
    return item


def local(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PHILLY)


@pytest.fixture
def season(jurisdiction, service):
    """This week: three posts (two negative requests/complaints, one praise); last week: two; one post seven
    weeks ago; an e-mail (not a post); a post without a reading."""
    lights = ServiceFactory(
        jurisdiction=jurisdiction, department=service.department, code="SR-ST04", name="Street Light Outage"
    )
    kensington = NeighborhoodFactory(jurisdiction=jurisdiction, slug="kensington", name="Kensington")
    post(jurisdiction, local(2026, 3, 16, 0, 30), "Illegal dumping again on Kensington Ave, mattresses and tires",
         sentiment=Sentiment.NEGATIVE, kind=TextKind.COMPLAINT, service=service, neighborhood=kensington)  # fmt: skip
    post(jurisdiction, local(2026, 3, 17, 9, 0), "Mattresses and tires dumped in the alley off Somerset",
         sentiment=Sentiment.NEGATIVE, kind=TextKind.REQUEST, service=service, neighborhood=kensington)  # fmt: skip
    post(jurisdiction, local(2026, 3, 18, 8, 0), "Thanks for fixing the street light!",
         sentiment=Sentiment.POSITIVE, kind=TextKind.PRAISE, service=lights)  # fmt: skip
    # Sunday 23:30 in Philadelphia is Monday in UTC: it belongs to last week.
    post(jurisdiction, local(2026, 3, 15, 23, 30), "Street light out on Frankford Ave",
         sentiment=Sentiment.NEUTRAL, kind=TextKind.REQUEST, service=lights)  # fmt: skip
    post(jurisdiction, local(2026, 3, 10, 12, 0), "When is trash day?",
         sentiment=Sentiment.NEUTRAL, kind=TextKind.QUESTION)  # fmt: skip
    post(
        jurisdiction,
        local(2026, 1, 28, 12, 0),
        "Old post",
        sentiment=Sentiment.NEGATIVE,
        kind=TextKind.OTHER,
    )
    post(jurisdiction, local(2026, 3, 17, 12, 0), "An e-mail", sentiment=Sentiment.NEGATIVE,
         kind=TextKind.COMPLAINT, channel=InboxChannel.EMAIL)  # fmt: skip
    post(jurisdiction, local(2026, 3, 17, 13, 0), "A post before the reader ran")
    return {"dumping": service, "lights": lights, "kensington": kensington}


# -- the selectors


def test_weeks_are_mondays_in_the_city_zone(jurisdiction):
    starts = trends.week_starts(jurisdiction, 4, now=NOW)
    assert starts == tuple(THIS_MONDAY - dt.timedelta(weeks=back) for back in (3, 2, 1, 0))
    assert all(start.weekday() == 0 for start in starts)


def test_weekly_share_negative(jurisdiction, season):
    figures = trends.social_trends(jurisdiction, weeks=4, now=NOW)
    assert [week.first for week in figures.weeks][-2:] == [THIS_MONDAY - dt.timedelta(weeks=1), THIS_MONDAY]
    this_week, last_week = figures.weeks[-1].tally, figures.weeks[-2].tally
    assert (this_week.posts, this_week.negative, this_week.positive) == (3, 2, 1)
    assert this_week.percent_negative == 67
    assert (last_week.posts, last_week.negative, last_week.neutral) == (2, 0, 2)
    assert figures.weeks[0].tally.posts == 0 and figures.weeks[0].tally.share_negative is None
    assert figures.total.posts == 5  # the e-mail, the unread post and the post seven weeks ago are not counted
    assert figures.unread == 1


def test_longer_periods_reach_further_back(jurisdiction, season):
    assert trends.social_trends(jurisdiction, weeks=12, now=NOW).total.posts == 6
    assert len(trends.social_trends(jurisdiction, weeks=26, now=NOW).weeks) == 26


def test_the_chosen_weeks_wants(jurisdiction, season):
    figures = trends.social_trends(jurisdiction, weeks=4, now=NOW)
    assert figures.chosen.first == THIS_MONDAY
    assert [(want.name, want.posts) for want in figures.wanted_services] == [("Illegal Dumping", 2)]
    phrases = {want.name: want.posts for want in figures.wanted_phrases}
    assert phrases == {"mattresses tires": 2}  # the little word between is left out
    last_week = trends.social_trends(jurisdiction, weeks=4, week=THIS_MONDAY - dt.timedelta(days=3), now=NOW)
    assert last_week.chosen.first == THIS_MONDAY - dt.timedelta(weeks=1)
    assert [want.name for want in last_week.wanted_services] == ["Street Light Outage"]


def test_a_week_outside_the_period_is_the_current_one(jurisdiction, season):
    figures = trends.social_trends(jurisdiction, weeks=4, week=dt.date(2020, 1, 1), now=NOW)
    assert figures.chosen.first == THIS_MONDAY


def test_by_service_and_neighborhood(jurisdiction, season):
    figures = trends.social_trends(jurisdiction, weeks=4, now=NOW)
    services = {row.name: (row.tally.posts, row.tally.negative) for row in figures.by_service}
    assert services == {"Illegal Dumping": (2, 2), "Street Light Outage": (2, 0)}
    assert [(row.name, row.tally.percent_negative) for row in figures.by_neighborhood] == [("Kensington", 100)]


def test_a_filed_post_counts_under_its_requests_service(jurisdiction, season):
    item = InboxItem.objects.get(messages__body__startswith="Thanks for fixing")
    item.service_request = filed_request(season["dumping"])
    item.save()
    figures = trends.social_trends(jurisdiction, weeks=4, now=NOW)
    services = {row.name: row.tally.posts for row in figures.by_service}
    assert services == {"Illegal Dumping": 3, "Street Light Outage": 1}


def test_another_citys_posts_are_not_counted(jurisdiction, season):
    other = JurisdictionFactory(slug="elsewhere", name="Elsewhere", jurisdiction_id="else.gov", is_default=False)
    post(other, NOW - dt.timedelta(hours=1), "Pothole", sentiment=Sentiment.NEGATIVE, kind=TextKind.REQUEST)
    assert trends.social_trends(jurisdiction, weeks=4, now=NOW).weeks[-1].tally.posts == 3


def test_no_posts_at_all(jurisdiction):
    figures = trends.social_trends(jurisdiction, weeks=4, now=NOW)
    assert figures.total.posts == 0 and figures.total.percent_negative is None
    assert figures.wanted_services == () and figures.wanted_phrases == ()
    assert figures.by_service == () and figures.by_neighborhood == ()


def test_a_period_not_offered_is_refused(jurisdiction):
    with pytest.raises(ValueError, match="weeks must be one of"):
        trends.social_trends(jurisdiction, weeks=5, now=NOW)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, (12, True)), ("", (12, True)), ("4", (4, True)), ("26", (26, True)), ("5", (12, False)),
     ("x", (12, False)), ("-4", (12, False)), ("9" * 400, (12, False))],
)  # fmt: skip
def test_weeks_asked(value, expected):
    assert trends.weeks_asked(value) == expected


@pytest.mark.parametrize("value", [None, "", "2026-02-30", "monday", "9" * 400])
def test_a_bad_week_is_none(value):
    assert trends.week_asked(value) is None


def test_phrases_skip_little_words_numbers_and_the_citys_own_name():
    assert trends.phrases_of("@philly311 the trash on 1234 Market St, not picked up again") == {
        "trash market",
        "market st",
        "trash market st",
    }
    assert trends.phrases_of("Huge pothole on Broad Street") == {
        "huge pothole",
        "pothole broad",
        "broad street",
        "huge pothole broad",
        "pothole broad street",
    }
    assert trends.phrases_of("") == set()
    assert trends.phrases_of("🚧🚧🚧") == set()


def test_top_phrases_count_each_post_once_and_prefer_the_longer_phrase():
    texts = ["broken street light light light", "broken street light on Pine", "broken street light again"]
    top = {want.name: want.posts for want in trends.top_phrases(texts)}
    assert top == {"broken street light": 3}
    assert trends.top_phrases(["only once here"]) == ()


def test_the_csv_rows(jurisdiction, season):
    rows = trends.weekly_rows(trends.social_trends(jurisdiction, weeks=4, now=NOW))
    assert rows[0] == ["week_starting", "posts", "negative", "neutral", "positive", "share_negative"]
    assert rows[-1] == [THIS_MONDAY.isoformat(), 3, 2, 0, 1, "0.667"]
    assert rows[1][-1] == ""


# -- the page


def test_the_urls():
    assert reverse("insights:social_trends") == PAGE
    assert reverse("insights:social_trends_csv") == CSV


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_role_against_the_page_and_the_csv(client, jurisdiction, role):
    client.force_login(staff_in_role(role))
    for url in (PAGE, CSV):
        assert client.get(url).status_code == (200 if role in ALLOWED else 403), (url, role)


def test_anonymous_is_sent_to_sign_in(client, jurisdiction):
    for url in (PAGE, CSV):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_a_role_is_refused(client, jurisdiction):
    client.force_login(StaffFactory(username="no-role"))
    assert client.get(PAGE).status_code == 403


def test_the_page_shows_the_figures(client, jurisdiction, season, staff):
    client.force_login(staff)
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE, {"weeks": "4"})
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["trends"].total.posts == 5
    assert 'id="weekly"' in page and "trend-w-67" in page
    assert "Illegal Dumping" in page and "Kensington" in page and "“mattresses tires” · 2" in page
    assert 'href="/insights/social/weeks.csv?weeks=4"' in page
    assert "Social trends" in page and 'aria-current="page"' in page  # the staff menu marks the page


def test_the_page_in_spanish(client, jurisdiction, season, staff):
    client.force_login(staff)
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200


def test_a_bad_period_is_400_with_the_default(client, jurisdiction, season, staff):
    client.force_login(staff)
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE, {"weeks": "7", "week": "not-a-date"})
    assert response.status_code == 400
    assert response.context["weeks"] == 12
    assert 'id="weeks-error"' in response.content.decode()
    assert client.get(CSV, {"weeks": "7"}).status_code == 400


def test_the_csv_download(client, jurisdiction, season, staff):
    client.force_login(staff)
    with time_machine.travel(NOW, tick=False):
        response = client.get(CSV, {"weeks": "4"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="social-trends-2026-02-23-2026-03-22.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[-1] == ["2026-03-16", "3", "2", "0", "1", "0.667"]


def test_only_get(client, jurisdiction, staff):
    client.force_login(staff)
    assert client.post(PAGE).status_code == 405


# -- the demo's season of posts


def test_the_demo_season_reads_about_half_negative():
    """The season's posts, as the mood reader reads them (the inbox stores the same reading)."""
    rng = random.Random(1)
    texts = [
        social_posts._write(
            rng, kind, rng.random() < 0.3, rng.choice(social_posts.PROBLEMS), rng.choice(NEIGHBORHOODS)
        )
        for kind in rng.choices(range(6), weights=social_posts.MIX, k=400)
    ]  # fmt: skip
    negative = sum(read_mood(text).sentiment == Sentiment.NEGATIVE for text in texts) / len(texts)
    spanish = sum(any(mark in text for mark in "áéíóúñ¿¡") or " la " in text for text in texts) / len(texts)
    assert 0.35 <= negative <= 0.65
    assert spanish >= 0.15


def test_top_phrases_leave_out_places():
    texts = ["huge pothole on Lancaster Ave, Point Breeze", "huge pothole Lancaster Ave Point Breeze again"]
    top = {want.name for want in trends.top_phrases(texts, place_words=frozenset({"point", "breeze"}))}
    assert "huge pothole" in top or "huge pothole lancaster" in top
    assert not any("ave" in phrase.split() for phrase in top)
    assert "point breeze" not in top


def test_create_post_history_through_the_social_door_once(jurisdiction, department):
    """A small city gets a post or two a week for twelve weeks up to yesterday, each received by the social
    door and dismissed by an agent; a second run makes none."""
    agent = staff_in_role(StaffRole.AGENT, department)
    made = social_posts.create_post_history(jurisdiction, seed=5, now=NOW)
    assert made >= social_posts.WEEKS
    posts = InboxItem.objects.filter(jurisdiction=jurisdiction, channel=InboxChannel.SOCIAL)
    assert posts.count() == made
    assert not posts.exclude(status=InboxItem.Status.DONE).exists()
    assert set(posts.values_list("contact__agent", flat=True)) == {agent.pk}
    assert not posts.filter(received_at__gte=NOW - dt.timedelta(hours=12)).exists()
    assert not posts.filter(received_at__lt=NOW - dt.timedelta(weeks=social_posts.WEEKS, days=2)).exists()
    assert social_posts.has_post_history(jurisdiction)
    assert social_posts.create_post_history(jurisdiction, seed=5, now=NOW) == 0
    assert posts.count() == made
