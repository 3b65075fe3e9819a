"""Issuing the youth program's certificates: a random code of an unambiguous alphabet, unique; the date
issued; idempotent; only for completed, not anonymised participants of a cohort with a signatory; only by
community staff. Codes are found whatever their case, spaces or dashes."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civic311.community.models import Cohort, Participant
from civic311.community.selectors import youth_impact
from civic311.community.services import youth_certificates as service
from civic311.people.models import StaffRole
from tests.factories import staff_in_role

from .helpers import at, engagement_staff, youth_impact_cohort

WHEN = at(2026, 4, 2, 10)


@pytest.fixture
def world(jurisdiction):
    cohort, people, _sessions = youth_impact_cohort(jurisdiction)
    return cohort, people, engagement_staff()


def test_issue_to_the_completed_participants(world):
    cohort, people, staff = world
    issued = service.issue_certificates(cohort, staff, now=WHEN)
    assert [p.pk for p in issued] == [p.pk for p in people[:4]]  # P1..P4 completed
    rows = {p.pk: p for p in Participant.objects.filter(cohort=cohort)}
    codes = [rows[p.pk].certificate_code for p in people[:4]]
    assert all(code is not None and len(code) == 10 and set(code) <= set(service.ALPHABET) for code in codes)
    assert len(set(codes)) == 4
    assert all(rows[p.pk].certificate_issued_at == WHEN for p in people[:4])
    assert all(rows[p.pk].certificate_code is None for p in people[4:])


def test_the_alphabet_has_no_look_alikes():
    assert not set(service.ALPHABET) & set("0O1IL2Z5S8BUV")
    assert len(service.ALPHABET) == len(set(service.ALPHABET)) == 23


def test_issuing_again_changes_nothing(world):
    cohort, people, staff = world
    service.issue_certificates(cohort, staff, now=WHEN)
    before = dict(Participant.objects.filter(cohort=cohort).values_list("pk", "certificate_code"))
    assert service.issue_certificates(cohort, staff, now=WHEN.replace(day=9)) == []
    again = service.issue_certificate(people[0], staff, now=WHEN.replace(day=9))
    assert again.certificate_code == before[people[0].pk] and again.certificate_issued_at == WHEN
    assert dict(Participant.objects.filter(cohort=cohort).values_list("pk", "certificate_code")) == before


def test_one_participant(world):
    _cohort, people, staff = world
    issued = service.issue_certificate(people[2], staff, now=WHEN)
    assert (
        issued.certificate_code and Participant.objects.get(pk=people[2].pk).certificate_code == issued.certificate_code
    )


def test_refused_when_not_completed(world):
    _cohort, people, staff = world
    with pytest.raises(ValidationError, match="completed the program"):
        service.issue_certificate(people[4], staff, now=WHEN)
    assert Participant.objects.get(pk=people[4].pk).certificate_code is None


def test_refused_when_anonymised_and_left_out_of_the_cohorts(world):
    cohort, people, staff = world
    Participant.objects.filter(pk=people[0].pk).update(anonymised_at=timezone.now(), first_name="")
    with pytest.raises(ValidationError, match="anonymized"):
        service.issue_certificate(people[0], staff, now=WHEN)
    issued = service.issue_certificates(cohort, staff, now=WHEN)
    assert [p.pk for p in issued] == [p.pk for p in people[1:4]]
    Cohort.objects.filter(pk=cohort.pk).update(anonymised_at=timezone.now())
    with pytest.raises(ValidationError, match="anonymized"):
        service.issue_certificates(cohort, staff, now=WHEN)


def test_refused_without_a_signatory(jurisdiction):
    cohort, people, _sessions = youth_impact_cohort(jurisdiction, signatory="  ")
    staff = engagement_staff()
    with pytest.raises(ValidationError) as refused:
        service.issue_certificates(cohort, staff, now=WHEN)
    assert "signatory_name" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused_one:
        service.issue_certificate(people[0], staff, now=WHEN)
    assert "signatory_name" in refused_one.value.message_dict
    assert not Participant.objects.filter(cohort=cohort, certificate_code__isnull=False).exists()


@pytest.mark.parametrize("role", [StaffRole.AGENT, StaffRole.LEADERSHIP, StaffRole.DEPARTMENT_STAFF, None])
def test_only_community_staff_issue(world, role):
    cohort, people, _staff = world
    actor = staff_in_role(role, username=f"x-{role}") if role else None
    with pytest.raises(PermissionDenied):
        service.issue_certificates(cohort, actor, now=WHEN)
    with pytest.raises(PermissionDenied):
        service.issue_certificate(people[0], actor, now=WHEN)


def test_a_code_drawn_twice_is_drawn_again(world, monkeypatch):
    _cohort, people, staff = world
    first = service.issue_certificate(people[0], staff, now=WHEN).certificate_code
    draws = iter([first, "AAAAACCCCC"])
    monkeypatch.setattr(service, "new_code", lambda: next(draws))
    assert service.issue_certificate(people[1], staff, now=WHEN).certificate_code == "AAAAACCCCC"


def test_codes_are_found_as_typed(world):
    _cohort, people, staff = world
    code = service.issue_certificate(people[0], staff, now=WHEN).certificate_code
    assert code is not None
    printed = service.format_code(code)
    assert printed == f"{code[:5]}-{code[5:]}"
    for typed in (
        code,
        printed,
        printed.lower(),
        f" {code[:3]} {code[3:7]} {code[7:]} ",
        code.lower().replace("", "-"),
    ):
        found = youth_impact.find_certificate(typed)
        assert found is not None and found.pk == people[0].pk, typed
    for wrong in ("", "ABC", code[:-1], code + "X", "O" * 10):
        assert youth_impact.find_certificate(wrong) is None


def test_certificate_holders_are_the_issued(world):
    cohort, people, staff = world
    assert youth_impact.certificate_holders(cohort) == []
    service.issue_certificates(cohort, staff, now=WHEN)
    assert {p.pk for p in youth_impact.certificate_holders(cohort)} == {p.pk for p in people[:4]}
