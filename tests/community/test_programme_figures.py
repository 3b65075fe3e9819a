"""The program's figures for leadership, checked against hand counts on a small hand-made program:
statuses at each month's end (in the city's calendar), the current breakdowns, and the outcomes of the
requests liaisons filed; the page, the PDF and the CSV, and who may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civic311.community.models import Liaison, LiaisonApplication, LiaisonFiling
from civic311.community.selectors import figures
from civic311.people.models import StaffRole
from civic311.service_requests.models import ServiceRequest
from tests.factories import NeighborhoodFactory, ServiceFactory, StaffFactory, filed_request, staff_in_role

from .helpers import engagement_staff, refused_people

PHILLY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 5, 12, 16, 0, tzinfo=dt.UTC)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PHILLY)


def _liaison(jurisdiction, name, neighborhoods, languages, status, **dates):
    user = StaffFactory(username=name, email=f"{name}@example.org", is_staff=False)
    liaison = Liaison.objects.create(
        jurisdiction=jurisdiction,
        user=user,
        first_name=name.title(),
        last_name="X",
        email=user.email,
        languages=languages,
        status=status,
        **dates,
    )
    liaison.neighborhoods.set(neighborhoods)
    return liaison


def _application(jurisdiction, created_at, status=LiaisonApplication.Status.PENDING, decided_at=None):
    return LiaisonApplication.objects.create(
        jurisdiction=jurisdiction,
        first_name="A",
        last_name="B",
        email="a@example.org",
        heard_about="neighbor",
        terms_version="1",
        agreed_at=created_at,
        created_at=created_at,
        status=status,
        decided_at=decided_at,
    )


@pytest.fixture
def hand_made(jurisdiction):
    kensington = NeighborhoodFactory(jurisdiction=jurisdiction, name="Kensington")
    germantown = NeighborhoodFactory(jurisdiction=jurisdiction, name="Germantown")
    _application(jurisdiction, local(2026, 3, 15, 10))  # waiting since March
    _application(jurisdiction, local(2026, 1, 10, 10), LiaisonApplication.Status.DECLINED, local(2026, 2, 3, 10))
    active = Liaison.Status.ACTIVE
    people = {
        "l1": _liaison(
            jurisdiction,
            "l1",
            [kensington],
            ["en", "es"],
            active,
            joined_at=local(2025, 12, 20, 9),
            trained_at=local(2026, 1, 15, 18),
            refresher_due_on=dt.date(2027, 1, 15),
        ),
        "l2": _liaison(
            jurisdiction,
            "l2",
            [kensington],
            ["en"],
            Liaison.Status.LAPSED,
            joined_at=local(2025, 1, 5, 9),
            trained_at=local(2025, 2, 10, 18),
            refresher_due_on=dt.date(2026, 2, 10),
            lapsed_at=local(2026, 2, 11, 3),
        ),
        "l3": _liaison(
            jurisdiction,
            "l3",
            [kensington],
            ["en"],
            Liaison.Status.WITHDRAWN,
            joined_at=local(2025, 6, 1, 9),
            trained_at=local(2025, 6, 20, 18),
            refresher_due_on=dt.date(2026, 6, 20),
            withdrawn_at=local(2025, 11, 5, 12),
        ),
        "l4": _liaison(
            jurisdiction, "l4", [germantown], ["vi"], Liaison.Status.ACCEPTED, joined_at=local(2026, 4, 28, 9)
        ),
        # Refresher due 30 April, not yet marked lapsed by the sweep: lapsed at the end of April all the same.
        "l5": _liaison(
            jurisdiction,
            "l5",
            [germantown],
            ["en"],
            active,
            joined_at=local(2025, 2, 1, 9),
            trained_at=local(2025, 3, 1, 18),
            refresher_due_on=dt.date(2026, 4, 30),
        ),
        # Trained at 23:30 on 31 March in Philadelphia (April already in UTC): March's.
        "l6": _liaison(
            jurisdiction,
            "l6",
            [germantown, kensington],
            ["es"],
            active,
            joined_at=local(2026, 3, 1, 9),
            trained_at=local(2026, 3, 31, 23, 30),
            refresher_due_on=dt.date(2027, 3, 31),
        ),
    }
    s1, s2 = ServiceFactory(name="Potholes"), ServiceFactory(name="Illegal dumping")

    def file(liaison, service, filed, *, closed=None, expected=None):
        with time_machine.travel(filed, tick=False):
            request = filed_request(service)
        ServiceRequest.objects.filter(pk=request.pk).update(closed_at=closed, expected_at=expected)
        LiaisonFiling.objects.create(service_request=request, liaison=liaison, filed_at=filed)

    file(people["l1"], s1, local(2026, 4, 10, 9), closed=local(2026, 4, 12, 9), expected=local(2026, 4, 15, 17))
    file(people["l1"], s1, local(2026, 4, 20, 9), closed=local(2026, 4, 25, 9), expected=local(2026, 4, 22, 17))
    file(people["l6"], s2, local(2026, 4, 28, 9))
    file(people["l6"], s2, local(2026, 5, 2, 9), closed=local(2026, 5, 3, 9))
    file(people["l2"], s2, local(2024, 4, 1, 9), closed=local(2024, 4, 2, 9))  # before the 24 months
    return people


@pytest.fixture
def found(jurisdiction, hand_made):
    return figures.programme_figures(jurisdiction, now=NOW)


def _month(found, year, month):
    return next(row for row in found.months if row.month == dt.date(year, month, 1))


def _counts(row):
    return tuple(row.count(status) for status in figures.STATUSES)


def test_24_months_ending_with_this_one(found):
    assert len(found.months) == 24
    assert found.months[0].month == dt.date(2024, 6, 1) and found.months[-1].month == dt.date(2026, 5, 1)
    assert found.months[-1].is_partial and not any(row.is_partial for row in found.months[:-1])
    assert found.months[-1].end == NOW
    assert found.months[0].end == local(2024, 7, 1)  # midnight in Philadelphia


@pytest.mark.parametrize(
    ("year", "month", "applied", "trained", "active", "lapsed", "withdrawn"),
    [
        (2024, 6, 0, 0, 0, 0, 0),
        (2025, 1, 1, 0, 0, 0, 0),  # l2 accepted, not trained
        (2025, 2, 1, 1, 1, 0, 0),  # l5 accepted on 1 February, trained in March
        (2025, 3, 0, 2, 2, 0, 0),  # l5 trained on the 1st
        (2025, 6, 0, 3, 3, 0, 0),
        (2025, 11, 0, 3, 2, 0, 1),  # l3 withdrew: still counted trained
        (2025, 12, 1, 3, 2, 0, 1),  # l1 accepted
        (2026, 1, 1, 4, 3, 0, 1),  # l1 trained; the declined application waited through January
        (2026, 2, 0, 4, 2, 1, 1),  # l2 lapsed; the application declined on 3 February
        (2026, 3, 1, 5, 3, 1, 1),  # the March application waits; l6 trained on 31 March, local time
        (2026, 4, 2, 5, 2, 2, 1),  # l4 accepted; l5's refresher was due on 30 April
        (2026, 5, 2, 5, 2, 2, 1),  # so far
    ],
)
def test_statuses_at_each_months_end(found, year, month, applied, trained, active, lapsed, withdrawn):
    assert _counts(_month(found, year, month)) == (applied, trained, active, lapsed, withdrawn)


def test_trained_is_active_lapsed_and_withdrawn_after_training(found):
    for row in found.months:
        assert row.trained >= row.active + row.lapsed
        assert row.trained <= row.active + row.lapsed + row.withdrawn


def test_a_refresher_due_on_the_months_last_day_lapses_at_its_end(jurisdiction, hand_made):
    Liaison.objects.filter(pk=hand_made["l5"].pk).update(refresher_due_on=dt.date(2026, 5, 1))
    found = figures.programme_figures(jurisdiction, now=NOW)
    assert (_month(found, 2026, 4).active, _month(found, 2026, 4).lapsed) == (3, 1)
    assert (_month(found, 2026, 5).active, _month(found, 2026, 5).lapsed) == (2, 2)


def test_by_neighborhood_and_language_now(found):
    neighborhoods = {row.label: (row.active, row.lapsed, row.awaiting_training) for row in found.by_neighborhood}
    # l3 (withdrawn) is left out; l6 serves both; l5 is still marked active until the sweep runs.
    assert neighborhoods == {"Kensington": (2, 1, 0), "Germantown": (2, 0, 1)}
    languages = {row.key: (row.active, row.lapsed, row.awaiting_training) for row in found.by_language}
    assert languages == {"en": (2, 1, 0), "es": (2, 0, 0), "vi": (0, 0, 1)}
    assert found.by_language[0].label in {"English", "Spanish"}


def test_requests_filed_and_their_outcomes(found):
    april, may = found.filings_by_month[-2], found.filings_by_month[-1]
    assert (april.filed, april.open, april.closed, april.closed_on_time, april.closed_with_due_date) == (3, 1, 2, 1, 2)
    assert april.on_time_percent == 50 and april.median_days == 3.5
    assert (may.filed, may.closed, may.closed_with_due_date, may.on_time_percent, may.median_days) == (1, 1, 0, None, 1)
    assert sum(row.filed for row in found.filings_by_month) == 4  # the 2024 filing is outside the 24 months
    services = {
        row.label: (row.filed, row.open, row.closed, row.on_time_percent, row.median_days)
        for row in found.filings_by_service
    }
    assert services == {"Potholes": (2, 0, 2, 50, 3.5), "Illegal dumping": (2, 1, 1, None, 1)}
    total = found.filings_total
    assert (total.filed, total.closed, total.open, total.median_days) == (4, 3, 1, 2)


def test_the_figures_take_a_fixed_number_of_queries(jurisdiction, hand_made):
    with CaptureQueriesContext(connection) as few:
        figures.programme_figures(jurisdiction, now=NOW)
    for index in range(8):
        _liaison(jurisdiction, f"more{index}", [], ["en"], Liaison.Status.ACCEPTED, joined_at=local(2026, 1, 1))
    with CaptureQueriesContext(connection) as many:
        figures.programme_figures(jurisdiction, now=NOW)
    assert len(many) == len(few) <= 6


def test_the_csv_has_every_table(client, jurisdiction, hand_made):
    client.force_login(staff_in_role(StaffRole.LEADERSHIP, username="boss"))
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("community:figures_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Liaisons at the month's end", "2026-04", "2", "5", "2", "2", "1"] in rows
    assert ["By neighborhood", "Kensington", "0", "2", "1", "3"] in rows
    assert ["Requests filed by liaisons, by month", "2026-04", "3", "1", "2", "1", "2", "50.0", "3.5"] in rows


def test_the_page_and_the_pdf(client, jurisdiction, hand_made):
    client.force_login(engagement_staff())
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("community:figures"))
        pdf = client.get(reverse("community:figures_pdf"))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="status-months"' in html and "Kensington" in html and "Potholes" in html
    assert "style=" not in html.split("<main", 1)[-1]  # bars are SVG attributes, not inline styles
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("name", ["community:figures", "community:figures_pdf", "community:figures_csv"])
def test_the_figures_are_refused_to_others(client, jurisdiction, name):
    neighborhood = NeighborhoodFactory(jurisdiction=jurisdiction)
    for label, user in refused_people(neighborhood):
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(reverse(name))
        assert response.status_code in ({302, 403} if label in {"anonymous", "liaison"} else {403}), label
