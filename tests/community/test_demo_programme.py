"""The demo's Neighborhood Liaison Program: shaped like Philadelphia's (about 600 trained liaisons two years
ago, about 1,200 now), deterministic, with access rows only for the active liaisons, and a share of the
demo's requests filed by liaisons."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction

from civic311.community.models import (
    CommunityMeeting,
    Liaison,
    LiaisonApplication,
    LiaisonFiling,
    ProgrammeMessage,
    TrainingRegistration,
    TrainingSession,
)
from civic311.community.selectors import figures
from civic311.demo import community as demo_programme
from civic311.demo import services as demo
from civic311.people.models import NEIGHBORHOOD_ROLES, RoleAssignment
from civic311.service_requests.models import Channel, ServiceRequest

# The module-scoped fixtures are made once: all of this module's tests run on one xdist worker
# (bin/test and CI run pytest with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("demo_programme")

REQUESTS = 2_000


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    # Seeded once for the module inside a transaction that is rolled back at its end: the staff accounts
    # and roles the demo makes must not outlive this module (other modules count them).
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo_city", requests=REQUESTS, seed=7, stdout=out, stderr=io.StringIO(), interactive=False)
        city = demo.demo_city()
        assert city is not None
        yield city, out.getvalue()
        demo.delete_demo_city(city)  # the programme goes with it
        assert not Liaison.objects.exists() and not RoleAssignment.objects.filter(role__in=NEIGHBORHOOD_ROLES).exists()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(city, db):
    return city[0]


def test_growth_from_about_600_to_about_1200_trained(seeded):
    found = figures.programme_figures(seeded)
    two_years_ago, now = found.months[0], found.months[-1]
    assert 550 <= two_years_ago.trained <= 650
    assert 1_150 <= now.trained <= 1_300
    assert all(later.trained >= earlier.trained for earlier, later in zip(found.months, found.months[1:], strict=False))
    assert 950 <= now.active <= 1_200
    assert now.lapsed > 20 and now.withdrawn > 20 and now.applied > 40


def test_applications_waiting_and_declined_with_reasons(seeded):
    applications = LiaisonApplication.objects.filter(jurisdiction=seeded)
    statuses = Counter(applications.values_list("status", flat=True))
    assert statuses[LiaisonApplication.Status.PENDING] >= 20
    assert statuses[LiaisonApplication.Status.DECLINED] >= 50
    assert not applications.filter(status=LiaisonApplication.Status.DECLINED, decline_reason="").exists()
    assert statuses[LiaisonApplication.Status.ACCEPTED] == Liaison.objects.filter(jurisdiction=seeded).count()
    assert not applications.filter(neighborhoods=None).exists()


def test_access_rows_only_for_the_active_liaisons(seeded):
    liaisons = Liaison.objects.filter(jurisdiction=seeded)
    active = {
        liaison.user_id: {n.pk for n in liaison.neighborhoods.all()}
        for liaison in liaisons.filter(status=Liaison.Status.ACTIVE).prefetch_related("neighborhoods")
    }
    held: dict[int, set[int]] = {}
    for user_id, neighborhood_id in RoleAssignment.objects.filter(
        role__in=NEIGHBORHOOD_ROLES, user__liaison__jurisdiction=seeded
    ).values_list("user_id", "neighborhood_id"):
        held.setdefault(user_id, set()).add(neighborhood_id)
    assert held == active
    assert not liaisons.filter(user__is_staff=True).exists()
    assert not liaisons.filter(user__password__regex=r"^[^!]").exists()  # nobody signs in with a password


def test_the_demo_liaison_to_sign_in_as(seeded, city):
    dana = Liaison.objects.get(email=demo_programme.DEMO_LIAISON_EMAIL)
    assert dana.status == Liaison.Status.ACTIVE and dana.user.email == demo_programme.DEMO_LIAISON_EMAIL
    assert RoleAssignment.objects.filter(user=dana.user, role__in=NEIGHBORHOOD_ROLES).exists()
    assert demo_programme.DEMO_LIAISON_EMAIL in city[1]


def test_trainings_and_languages(seeded):
    trained = Liaison.objects.filter(jurisdiction=seeded, trained_at__isnull=False)
    completed = TrainingRegistration.objects.filter(
        session__jurisdiction=seeded, session__kind=TrainingSession.Kind.INITIAL, completed_at__isnull=False
    )
    assert set(completed.values_list("liaison_id", flat=True)) == set(trained.values_list("pk", flat=True))
    assert TrainingRegistration.objects.filter(session__kind=TrainingSession.Kind.REFRESHER).count() > 300
    assert TrainingRegistration.objects.filter(session__jurisdiction=seeded, attended=None).exists()  # upcoming
    spoken = Counter(code for languages in trained.values_list("languages", flat=True) for code in languages)
    assert spoken["en"] > trained.count() * 0.8
    assert spoken["es"] > spoken["zh"] > 0 and spoken["vi"] > 0


def test_a_share_of_the_requests_filed_by_liaisons(seeded):
    filings = LiaisonFiling.objects.filter(liaison__jurisdiction=seeded).select_related("service_request", "liaison")
    # The history gives the liaison channel 2 in 100 requests (`history.CHANNEL_MIX`): 40 of 2,000 expected,
    # and these bounds are three standard deviations either side, since which seed draws what differs by database.
    assert REQUESTS * 0.01 <= filings.count() <= REQUESTS * 0.03
    liaison_channel = ServiceRequest.objects.filter(jurisdiction=seeded, channel=Channel.LIAISON)
    assert set(liaison_channel.values_list("pk", flat=True)) == set(
        filings.values_list("service_request_id", flat=True)
    )
    in_their_neighborhood = 0
    for filing in filings:
        assert filing.liaison.trained_at is not None
        assert filing.liaison.trained_at < filing.service_request.requested_at
        assert filing.liaison.lapsed_at is None or filing.liaison.lapsed_at > filing.service_request.requested_at
        # Whoever filed was active then, lapsed or withdrawn since or not (review R2).
        assert filing.liaison.last_active_at is not None and filing.liaison.last_active_at >= filing.filed_at
        in_their_neighborhood += filing.service_request.neighborhood_id in {
            n.pk for n in filing.liaison.neighborhoods.all()
        }
    assert in_their_neighborhood >= filings.count() * 0.8


def test_meetings_and_messages(seeded):
    assert CommunityMeeting.objects.filter(jurisdiction=seeded).count() >= 5
    assert ProgrammeMessage.objects.filter(jurisdiction=seeded).count() >= 3


def test_seeding_again_adds_nothing(seeded):
    before = Liaison.objects.count(), LiaisonApplication.objects.count(), LiaisonFiling.objects.count()
    assert demo_programme.create_programme(seeded).liaisons == 0
    assert (Liaison.objects.count(), LiaisonApplication.objects.count(), LiaisonFiling.objects.count()) == before


def test_deterministic(seeded):
    """The same seed makes the same program: the seeded city's, made again in a rolled-back savepoint."""
    from django.db import transaction

    def shape(city):
        liaisons = Liaison.objects.filter(jurisdiction=city).order_by("pk")
        return [
            (liaison.first_name, liaison.last_name, liaison.status, liaison.languages, liaison.refresher_due_on)
            for liaison in liaisons[:200]
        ]

    first = shape(seeded)
    with transaction.atomic():
        sid = transaction.savepoint()
        demo_programme.delete_programme(seeded)
        demo_programme.create_programme(seeded, seed=7)
        again = shape(seeded)
        transaction.savepoint_rollback(sid)
    assert [row[:4] for row in again] == [row[:4] for row in first]
