"""The certificates' staff page and PDFs (community staff only), and the public page that checks a code:
it confirms the certificate and shows only what the certificate prints (the name as kept, the cohort, the
date; after anonymisation only the cohort and the date), nothing else; an unknown code is a plain 404;
any case, spaces or dashes; rate-limited; kept out of search engines and shared caches."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone

from civic311 import pdf
from civic311.community import youth_certificates, youth_impact_views
from civic311.community.models import Cohort, Participant
from civic311.community.selectors import youth_impact
from civic311.community.services import youth_certificates as service
from civic311.people.models import StaffRole
from tests.factories import StaffFactory, staff_in_role

from .helpers import at, engagement_staff, youth_impact_cohort
from .test_certificates import _drawn_text

WHEN = at(2026, 4, 2, 10)


@pytest.fixture
def world(jurisdiction):
    cohort, people, _sessions = youth_impact_cohort(jurisdiction)
    staff = engagement_staff()
    service.issue_certificates(cohort, staff, now=WHEN)
    people = [Participant.objects.get(pk=p.pk) for p in people]
    return cohort, people, staff


# --- staff ---


def test_the_staff_page_lists_and_issues(client, jurisdiction):
    cohort, people, _sessions = youth_impact_cohort(jurisdiction)
    client.force_login(engagement_staff())
    url = reverse("community:youth_certificates", args=[cohort.slug])
    page = client.get(url).content.decode()
    assert "Maria R." in page and "Issue 4 certificates" in page and "Not completed" in page
    assert "Guardian1" not in page and "guardian1@example.org" not in page
    one = client.post(url, {"participant": people[2].pk})
    assert one.status_code == 302 and Participant.objects.get(pk=people[2].pk).certificate_code
    refused = client.post(url, {"participant": people[5].pk}, follow=True)
    assert "Only a participant who completed the program" in refused.content.decode()
    done = client.post(url, follow=True)
    assert "Certificates issued: 3." in done.content.decode()
    assert Participant.objects.filter(cohort=cohort, certificate_code__isnull=False).count() == 4
    assert client.post(url, {"participant": "junk"}).status_code == 404


def test_one_certificate_pdf_prints_what_it_should(client, world):
    cohort, people, _staff = world
    maria = people[0]
    html = youth_certificates.certificates_html(cohort, [maria])
    code = service.format_code(maria.certificate_code)
    for expected in (
        "Maria R.",
        code,
        "Spring 2026 at Penn Treaty",
        "Penn Treaty School",
        "March 31, 2026",
        "Cherelle L. Parker",
        "Mayor",
        "Philadelphia",
        "Youth Engagement Program",
        "Certificate of achievement",
        "/community/youth/certificates/",
    ):
        assert expected in html, expected
    for absent in ("Guardian1", "guardian1@example.org", "11 to 13", "600 E Thompson St", "Jamal"):
        assert absent not in html
    assert "A4 landscape" in html
    client.force_login(engagement_staff("casey2"))
    response = client.get(reverse("community:youth_certificate_pdf", args=[cohort.slug, maria.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert f'filename="certificate-{maria.certificate_code}.pdf"' in response["Content-Disposition"]
    drawn = "\n".join(_drawn_text(response.content))
    assert "Maria R." in drawn and code in drawn and "Cherelle L. Parker" in drawn


def test_the_cohorts_pdf_has_a_page_each(client, world):
    cohort, people, _staff = world
    client.force_login(engagement_staff("casey2"))
    response = client.get(reverse("community:youth_certificates_pdf", args=[cohort.slug]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    html = youth_certificates.certificates_html(cohort, youth_impact.certificate_holders(cohort))
    assert len(pdf._weasyprint_html()(string=html).render().pages) == 4  # one landscape page each
    drawn = "\n".join(_drawn_text(response.content))
    for person in people[:4]:
        assert person.display_name in drawn
    assert "Lin W." not in drawn  # not completed: no certificate


def test_no_pdf_without_a_certificate(client, world):
    cohort, people, _staff = world
    client.force_login(engagement_staff("casey2"))
    assert client.get(reverse("community:youth_certificate_pdf", args=[cohort.slug, people[5].pk])).status_code == 404
    empty, _people, _sessions = youth_impact_cohort(cohort.jurisdiction, slug="empty-one")
    response = client.get(reverse("community:youth_certificates_pdf", args=[empty.slug]))
    assert response.status_code == 302


@pytest.mark.parametrize("name", ["youth_certificates", "youth_certificates_pdf", "youth_certificate_pdf"])
def test_the_staff_pages_are_refused_to_others(client, world, name):
    cohort, people, _staff = world
    args = [cohort.slug, people[0].pk] if name == "youth_certificate_pdf" else [cohort.slug]
    url = reverse(f"community:{name}", args=args)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    for user in (
        StaffFactory(username="resident", is_staff=False),
        staff_in_role(StaffRole.AGENT, username="agent"),
        staff_in_role(StaffRole.DEPARTMENT_STAFF, username="crew"),
        staff_in_role(StaffRole.LEADERSHIP, username="boss"),  # names of minors: not leadership's
    ):
        client.force_login(user)
        assert client.get(url).status_code == 403, user.username
        assert client.post(reverse("community:youth_certificates", args=[cohort.slug])).status_code == 403


# --- the public check ---


def _check(client, code, **headers):
    return client.get(reverse("community:youth_certificate_check", args=[code]), **headers)


def test_the_check_shows_only_what_the_certificate_prints(client, world):
    _cohort, people, _staff = world
    maria = people[0]
    response = _check(client, service.format_code(maria.certificate_code))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Certificate confirmed" in html
    assert 'id="certificate-name">Maria R.<' in html
    assert 'id="certificate-cohort">Spring 2026 at Penn Treaty<' in html
    assert 'id="certificate-date">March 31, 2026<' in html
    for absent in (
        "Guardian1",
        "Rivera",
        "guardian1@example.org",
        "11 to 13",
        "11-13",
        "600 E Thompson",
        "Jamal",
        "Kevin",
        "Mayor",
    ):
        assert absent not in html, absent
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_check_forgives_case_spaces_and_dashes(client, world):
    _cohort, people, _staff = world
    code = people[1].certificate_code
    for typed in (code.lower(), f"{code[:5]} {code[5:]}", f"-{code[:2]}-{code[2:]}-".lower()):
        response = _check(client, typed)
        assert response.status_code == 200 and "Jamal T." in response.content.decode(), typed


def test_after_anonymisation_only_the_cohort_and_date(client, world):
    _cohort, people, _staff = world
    maria = people[0]
    Participant.objects.filter(pk=maria.pk).update(anonymised_at=timezone.now(), first_name="", guardian_name="")
    html = _check(client, maria.certificate_code).content.decode()
    assert "Certificate confirmed" in html and "Spring 2026 at Penn Treaty" in html and "March 31, 2026" in html
    assert "Maria" not in html and "certificate-name" not in html and "Participant" not in html


@pytest.mark.parametrize("code", ["AAAAACCCCC", "nonsense", "0" * 40])
def test_an_unknown_code_is_a_plain_not_found(client, world, code):
    response = _check(client, code)
    html = response.content.decode()
    assert response.status_code == 404 and "Certificate not found" in html
    assert "Spring 2026" not in html and "Maria" not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow" and "private" in response["Cache-Control"]


def test_another_citys_certificate_is_not_found_here(client, world):
    from tests.factories import JurisdictionFactory

    other = JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False)
    _cohort, people, _sessions = youth_impact_cohort(other, slug="pgh")
    service.issue_certificate(people[0], staff_in_role(StaffRole.ADMIN, username="root"), now=WHEN)
    code = Participant.objects.get(pk=people[0].pk).certificate_code
    assert _check(client, code).status_code == 404


def test_checks_are_rate_limited(client, world, settings):
    _cohort, people, _staff = world
    settings.CIVIC311_CERTIFICATE_CHECKS_PER_HOUR = 2
    assert _check(client, people[0].certificate_code).status_code == 200
    assert _check(client, "AAAAACCCCC").status_code == 404
    refused = _check(client, people[0].certificate_code)
    assert refused.status_code == 429 and "Too many certificates were checked" in refused.content.decode()
    assert "Maria" not in refused.content.decode() and int(refused["Retry-After"]) > 0


def test_the_lookup_form_sends_to_the_check(rf: RequestFactory, world):
    from django.contrib.auth.models import AnonymousUser

    _cohort, people, _staff = world
    code = people[0].certificate_code
    request = rf.get("/community/youth/certificates/", {"code": f" {code.lower()} "})
    request.user = AnonymousUser()
    response = youth_impact_views.certificate_lookup(request)
    assert response.status_code == 302
    assert response["Location"] == reverse("community:youth_certificate_check", args=[service.format_code(code)])
    bad = rf.get("/community/youth/certificates/", {"code": "abc"})
    bad.user = AnonymousUser()
    assert youth_impact_views.certificate_lookup(bad).status_code == 400


def test_the_lookup_address_reaches_the_lookup(client, world):
    assert resolve(reverse("community:youth_certificate_lookup")).url_name == "youth_certificate_lookup"
    response = client.get(reverse("community:youth_certificate_lookup"))
    assert response.status_code == 200 and "Check a certificate" in response.content.decode()


def test_the_cohort_s_anonymisation_hides_the_name_too(client, world):
    cohort, people, _staff = world
    Cohort.objects.filter(pk=cohort.pk).update(anonymised_at=timezone.now())
    html = _check(client, people[0].certificate_code).content.decode()
    assert "Maria" not in html and "Spring 2026 at Penn Treaty" in html


def test_a_second_signatory_signs_beside_the_first(client, world):
    """Philly311's certificates were signed by the Mayor and the Chief Customer Officer: a cohort may name a
    second signatory, printed beside the first; without one, one signature line only."""
    cohort, people, staff = world
    from civic311.community.services import youth

    data = youth.CohortData(
        name=cohort.name,
        slug=cohort.slug,
        site_name=cohort.site_name,
        site_kind=cohort.site_kind,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        sessions_to_complete=cohort.sessions_to_complete,
        signatory_name=cohort.signatory_name,
        signatory_title=cohort.signatory_title,
        second_signatory_name="Rosetta Carrington Lue",
        second_signatory_title="Chief Customer Service Officer",
    )
    assert youth_certificates.certificates_html(cohort, [people[0]]).count('class="signature"') == 1
    youth.change_cohort(cohort, data, staff)
    cohort.refresh_from_db()
    html = youth_certificates.certificates_html(cohort, [people[0]])
    assert html.count('class="signature"') == 2
    assert (
        "Cherelle L. Parker" in html and "Rosetta Carrington Lue" in html and "Chief Customer Service Officer" in html
    )
    client.force_login(staff)
    page = client.get(reverse("community:youth_certificates", args=[cohort.slug])).content.decode()
    assert "and Rosetta Carrington Lue, Chief Customer Service Officer." in page
    drawn = "\n".join(
        _drawn_text(client.get(reverse("community:youth_certificate_pdf", args=[cohort.slug, people[0].pk])).content)
    )
    assert "Rosetta Carrington Lue" in drawn and "Cherelle L. Parker" in drawn


def test_a_second_signatory_needs_a_first(world):
    cohort, _people, staff = world
    from django.core.exceptions import ValidationError

    from civic311.community.services import youth

    data = youth.CohortData(
        name=cohort.name,
        slug=cohort.slug,
        site_name=cohort.site_name,
        site_kind=cohort.site_kind,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        sessions_to_complete=cohort.sessions_to_complete,
        second_signatory_name="Rosetta Carrington Lue",
    )
    with pytest.raises(ValidationError) as refused:
        youth.change_cohort(cohort, data, staff)
    assert "signatory_name" in refused.value.message_dict
