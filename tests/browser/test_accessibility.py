"""WCAG 2.1 AA (issue 21): axe-core, every rule at every impact, under the site's real content-security policy,
on each page a resident reaches and each staff page, in English and in Arabic (right to left). The language is
chosen as a person chooses it: the language cookie the language form sets."""

from __future__ import annotations

import datetime as dt
from pprint import pformat

import pytest
from django.conf import settings
from django.utils import timezone

from civic311.community.services import rollups
from civic311.knowledge.models import Category
from civic311.service_requests.models import Channel, Contact
from tests.factories import StaffFactory, filed_request
from tests.knowledge_helpers import write_article

from .conftest import axe_violations, recording_page, sign_in

pytestmark = pytest.mark.browser

LANGUAGES = {"en": "ltr", "ar": "rtl"}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def city(transactional_db, jurisdiction, service, center_city, dana, settings, live_server):
    settings.MAP_TILE_URL = f"{live_server.url}/static/no-such-tiles/{{z}}/{{x}}/{{y}}.png"
    made = filed_request(service)
    rollups.rebuild(jurisdiction)
    sanitation = Category.objects.create(jurisdiction=jurisdiction, slug="sanitation", name="Sanitation")
    write_article(
        jurisdiction,
        "illegal-dumping",
        actor=dana,
        category=sanitation,
        title="How to report illegal dumping",
        summary="Tell us where it was dumped.",
        body="Give the **address**.",
        service_list=[service],
    )
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return {
        "request": made,
        "service": service,
        "neighborhood": center_city,
        "last_month": f"{last_month:%Y-%m}",
    }


def choose_language(page, live_server, code: str) -> None:
    """What the language form does: it sets the language cookie."""
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": code, "url": live_server.url}])


def violations_on(
    page, live_server, paths: list[str], excused: dict[str, set[str]] | None = None
) -> dict[str, list[dict]]:
    """axe's violations on each of `paths`, in English and in Arabic, that has any (every page must open, in
    the language chosen, laid out in its direction). `excused`: the rules left out on a page (path: rule ids),
    each for a reason given where it is passed."""
    found = {}
    for code, direction in LANGUAGES.items():
        choose_language(page, live_server, code)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status < 400, path
            assert page.url == f"{live_server.url}{path}", f"{path} went to {page.url}"  # no redirect elsewhere
            shown = page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]")
            assert shown == [code, direction], (path, shown)
            violations = [v for v in axe_violations(page) if v["id"] not in (excused or {}).get(path, set())]
            if violations:
                found[f"{code} {path}"] = violations
    return found


def public_pages(city) -> list[str]:
    return [
        "/",
        "/report/",
        f"/report/{city['service'].code}/",
        "/track/",
        f"/track/{city['request'].tracking_number}/",
        "/neighborhoods/",
        f"/neighborhoods/{city['neighborhood'].slug}/",
        "/transparency/",
        "/help/",
        "/help/search/?q=pothole",
        "/help/category/sanitation/",
        "/help/illegal-dumping/",
        f"/report/done/{city['request'].tracking_number}/",
        "/community/apply/",
        "/community/youth/certificates/",
        "/open-data/",
        "/offline/",
        "/sign-in/",
    ]


def test_the_public_pages_have_no_accessibility_violations(live_server, city, chromium):
    with recording_page(chromium, viewport=DESKTOP) as page:
        found = violations_on(page, live_server, public_pages(city))
        assert found == {}, pformat(found)
        assert page.csp_violations == []


def staff_pages(city, admin) -> list[str]:
    call = Contact.objects.create(
        jurisdiction=city["service"].jurisdiction,
        channel=Channel.PHONE,
        outcome=Contact.Outcome.PENDING,
        agent=admin,
        started_at=timezone.now(),
    )
    return [
        "/console/",
        f"/console/contact/{call.pk}/",
        f"/console/contact/{call.pk}/?service={city['service'].code}",  # with the report form and its map
        "/work/",
        f"/work/request/{city['request'].tracking_number}/",
        "/console/inbox/",
        "/insights/operations/",
        "/insights/leadership/",
        f"/insights/leadership/month/{city['last_month']}/",
        "/insights/forecast/",
        "/insights/search/",
        "/insights/social/",
        "/insights/board/",
        "/console/journeys/",
        "/surveys/",
        "/surveys/follow-ups/",
        "/surveys/reports/",
        f"/surveys/reports/month/{city['last_month']}/",
        f"/surveys/results/{admin.pk}/",
        "/emergencies/",
        "/community/",
        "/community/applications/",
        "/community/trainings/",
        "/community/liaisons/",
        "/community/meetings/",
        "/community/messages/",
        "/community/figures/",
        "/community/pilots/",
        "/community/youth/",
        "/community/youth/partners/",
        "/community/forms/",
        "/account/second-factor/",
        "/help/translations/",
        "/translations/review/",
        "/translations/review/fr/",
    ]


def test_the_staff_pages_have_no_accessibility_violations(live_server, city, chromium):
    admin = StaffFactory(username="ada", is_superuser=True)
    pages = staff_pages(city, admin)
    with recording_page(chromium, viewport=DESKTOP) as page:
        sign_in(page, live_server, pages[0], admin)
        found = violations_on(page, live_server, pages)
        assert found == {}, pformat(found)
        assert page.csp_violations == []


# --- the pages a list leads to, the liaison's own pages, the pages a link opens and the admin ---------------------


def staff_detail_pages(city, admin) -> list[str]:
    """A page of each thing the staff pages above list: an inbox item, a customer's journey, an application, a
    training, a liaison, a youth cohort (its sessions, participants, surveys, impact, certificates), a partner, a
    survey form and its version, a pilot assessment (participants, focus group, report), and the new-thing
    forms."""
    from civic311.community.models import Phase
    from civic311.community.services import applications, pilots, training, youth
    from civic311.inbox import services as inbox
    from civic311.inbox.models import Mailbox
    from civic311.inbox.services import Incoming
    from civic311.people import services as people
    from tests.community.helpers import (
        application_data,
        make_liaison,
        participant_data,
        pilot_data,
        session_data,
        youth_cohort,
        youth_session,
    )

    jurisdiction = city["service"].jurisdiction
    neighborhood = city["neighborhood"]
    mailbox = Mailbox.objects.create(jurisdiction=jurisdiction, address="311@city.example", signing_key="mail-key")
    item = inbox.receive(
        jurisdiction,
        Incoming(
            channel="email",
            external_id="<m1@example.org>",
            sender="rosa@example.org",
            sender_name="Rosa Marquez",
            subject="Pothole on Main St",
            body="A deep pothole.",
            mailbox=mailbox,
        ),
    ).item
    rosa = people.create_customer(
        jurisdiction, first_name="Rosa", last_name="Marquez", emails=["rosa@example.org"], actor=None
    )
    application = applications.apply(jurisdiction, application_data([neighborhood], email="ana@example.org"))
    session = training.create_session(
        jurisdiction, session_data(starts_at=timezone.now() + dt.timedelta(days=7)), admin
    )
    liaison = make_liaison([neighborhood], email="lee@example.org")
    cohort = youth_cohort(jurisdiction, admin)
    youth_session(cohort, admin, 1, dt.datetime(2026, 7, 1, 19, tzinfo=dt.UTC))
    participant = youth.add_participant(cohort, participant_data(), admin)
    partner = youth.create_partner(jurisdiction, youth.PartnerData(name="Harding Rec Center"), admin)
    pilot = pilots.create_assessment(jurisdiction, pilot_data(), admin)
    pilots.add_participants(pilot, [admin], admin)
    pilots.send_phase(pilot, Phase.BEFORE, admin)
    cohort_path = f"/community/youth/{cohort.slug}"
    return [
        f"/console/inbox/{item.pk}/",
        f"/console/customers/{rosa.pk}/journey/",
        "/console/inbox/import-posts/",
        f"/community/applications/{application.pk}/",
        "/community/trainings/new/",
        f"/community/trainings/{session.pk}/",
        f"/community/trainings/{session.pk}/change/",
        f"/community/liaisons/{liaison.pk}/",
        "/community/meetings/new/",
        "/community/messages/new/",
        "/community/youth/new/",
        "/community/youth/settings/",
        "/community/youth/partners/new/",
        f"/community/youth/partners/{partner.pk}/",
        f"{cohort_path}/",
        f"{cohort_path}/change/",
        f"{cohort_path}/sessions/new/",
        f"{cohort_path}/sessions/1/",
        f"{cohort_path}/sessions/1/change/",
        f"{cohort_path}/participants/new/",
        f"{cohort_path}/participants/{participant.pk}/",
        f"{cohort_path}/requests/",
        f"{cohort_path}/survey/",
        f"{cohort_path}/impact/",
        f"{cohort_path}/certificates/",
        f"/community/forms/{pilot.form_id}/",
        f"/community/forms/{pilot.form_id}/versions/1/",
        "/community/pilots/new/",
        f"/community/pilots/{pilot.slug}/",
        f"/community/pilots/{pilot.slug}/edit/",
        f"/community/pilots/{pilot.slug}/participants/",
        f"/community/pilots/{pilot.slug}/focus-groups/new/",
        f"/community/pilots/{pilot.slug}/report/",
    ]


def test_the_staff_detail_pages_have_no_accessibility_violations(live_server, city, chromium):
    admin = StaffFactory(username="ada", is_superuser=True)
    pages = staff_detail_pages(city, admin)
    with recording_page(chromium, viewport=DESKTOP) as page:
        sign_in(page, live_server, pages[0], admin)
        found = violations_on(page, live_server, pages)
        assert found == {}, pformat(found)
        assert page.csp_violations == []


def signed_in_as(page, live_server, user) -> None:
    """The session cookie of `user`, signed in as a resident is (by the e-mailed link, which the test skips)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


def test_a_liaisons_own_pages_have_no_accessibility_violations(live_server, city, chromium):
    from civic311.community.models import Liaison
    from tests.community.helpers import make_liaison

    liaison: Liaison = make_liaison([city["neighborhood"]], email="lee@example.org")
    pages = ["/liaison/", "/liaison/report/", "/liaison/meeting/", "/liaison/filed/", "/liaison/trainings/"]
    with recording_page(chromium, viewport=DESKTOP) as page:
        signed_in_as(page, live_server, liaison.user)
        found = violations_on(page, live_server, pages)
        assert found == {}, pformat(found)
        assert page.csp_violations == []


def linked_pages(city) -> list[str]:
    """The pages a secret link opens (a pilot invitation's answer form, a youth survey's names and a
    participant's questions, a reader board's display screen), the staff sign-in, and the liaison program's
    thank-you page."""
    from civic311.community.models import Phase
    from civic311.community.services import pilots, youth_surveys
    from civic311.insights import board_services
    from civic311.people.models import StaffRole
    from tests.community.helpers import community_staff, pilot_with_people, survey_cohort
    from tests.factories import staff_in_role

    jurisdiction = city["service"].jurisdiction
    casey = community_staff()
    pilot, _people = pilot_with_people(jurisdiction, casey, 1)
    pilots.send_phase(pilot, Phase.BEFORE, casey)
    invitation = pilot.participants.get().invitations.get()
    cohort, participants = survey_cohort(jurisdiction)
    token = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey).before_survey_token
    administrator = staff_in_role(StaffRole.ADMIN, username="ada")
    _screen, screen_token = board_services.create_display_screen(jurisdiction, "Call floor", actor=administrator)
    return [
        "/admin/login/",
        "/community/apply/thank-you/",
        f"/community/pilots/answer/{invitation.token}/",
        f"/community/youth/survey/{token}/",
        f"/community/youth/survey/{token}/{participants[0].pk}/",
        f"/insights/board/screen/{screen_token}/",
    ]


def test_the_pages_a_link_opens_have_no_accessibility_violations(live_server, city, chromium):
    pages = linked_pages(city)
    with recording_page(chromium, viewport=DESKTOP) as page:
        found = violations_on(page, live_server, pages)
        assert found == {}, pformat(found)
        assert page.csp_violations == []


def admin_pages(city, admin) -> list[str]:
    """The admin, where the 311 staff run the catalogue and the accounts: its index, and the list and a change
    form of the service requests, the services, the departments, the help articles and the staff accounts."""
    from civic311.knowledge.models import Article

    service = city["service"]
    article = Article.objects.get(slug="illegal-dumping")
    return [
        "/admin/",
        "/admin/requests/servicerequest/",
        f"/admin/requests/servicerequest/{city['request'].pk}/change/",
        "/admin/catalogue/service/",
        f"/admin/catalogue/service/{service.pk}/change/",
        "/admin/catalogue/department/",
        f"/admin/catalogue/department/{service.department_id}/change/",
        "/admin/knowledge/article/",
        f"/admin/knowledge/article/{article.pk}/change/",
        "/admin/people/user/",
        f"/admin/people/user/{admin.pk}/change/",
    ]


def test_the_admin_pages_have_no_accessibility_violations(live_server, city, chromium):
    from civic311.knowledge.models import Article

    admin = StaffFactory(username="ada", is_superuser=True)
    pages = admin_pages(city, admin)
    # Django's own admin markup that no template override reaches (see docs/accessibility.md):
    # - aria-prohibited-attr: the filter_horizontal widget's magnifying-glass icons are spans with an aria-label
    #   and no role, made by Django's SelectFilter2.js (the article's services, the account's groups and
    #   permissions).
    filter_horizontal = {"aria-prohibited-attr"}
    excused = {
        f"/admin/knowledge/article/{Article.objects.get().pk}/change/": filter_horizontal,
        f"/admin/people/user/{admin.pk}/change/": filter_horizontal,
    }
    with recording_page(chromium, viewport=DESKTOP) as page:
        sign_in(page, live_server, pages[0], admin)
        found = violations_on(page, live_server, pages, excused)
        assert found == {}, pformat(found)
        # The console also shows two <style> elements blocked on the request's change form: axe's own, made as
        # it reads the admin stylesheets' @import rules. What the site itself had blocked is asserted.
        assert page.site_csp_violations == []


def emailed_pages(city) -> tuple[list[str], str]:
    """The pages a resident opens from our e-mails: the sign-in link's page, a follow's confirm and unsubscribe,
    the follow-up on their request, and "was it fixed?" on a closed one. Returns them and the e-mail address."""
    from civic311.notifications import services as notifications
    from civic311.people import email_sign_in
    from civic311.service_requests import services as requests_services
    from civic311.service_requests.lifecycle import Status
    from civic311.surveys.fixed import make_fixed_token
    from tests.factories import with_role

    email = "pat@example.org"
    filed = filed_request(city["service"], email=email)
    closed = filed_request(city["service"], email=email)
    worker = with_role(StaffFactory(username="worker"), "department_staff", city["service"].department)
    closed = requests_services.change_status(closed, Status.CLOSED, actor=worker, public_reason="Issue Resolved")
    # Two followers: in the second language the first one's confirm must still find them following.
    confirming = notifications.subscribe(filed, "sam@example.org")
    leaving = notifications.subscribe(filed, "lee@example.org")
    return [
        f"/sign-in/{email_sign_in.issue_link(email)}/",
        f"/notifications/confirm/{notifications.make_token('confirm', s=confirming.pk)}/",
        f"/notifications/unsubscribe/{notifications.make_token('unsub', s=leaving.pk)}/",
        f"/track/{filed.tracking_number}/follow-up/?t={requests_services.resident_link_token(filed)}",
        f"/track/{closed.tracking_number}/follow-up/?t={requests_services.resident_link_token(closed)}",
        f"/surveys/fixed/{make_fixed_token(closed)}/",
    ], email


def test_the_pages_an_email_opens_have_no_accessibility_violations(live_server, city, chromium):
    from django.test import Client

    from civic311.public.sign_in_views import SESSION_EMAIL

    pages, email = emailed_pages(city)
    # "My requests", as the sign-in link leaves it: a session that has proved the address.
    client = Client()
    session = client.session
    session[SESSION_EMAIL] = email
    session.save()
    with recording_page(chromium, viewport=DESKTOP) as page:
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}]
        )
        found = violations_on(page, live_server, [*pages, "/my-requests/"])
        assert found == {}, pformat(found)
        # Her two requests were there to be checked, and nobody else's.
        from civic311.service_requests.models import ServiceRequest

        hers_all = list(ServiceRequest.objects.filter(requester__email=email))
        assert len(hers_all) == 2
        for hers in hers_all:
            assert page.get_by_text(hers.tracking_number).count() >= 1
        assert page.get_by_text(city["request"].tracking_number).count() == 0
        assert page.csp_violations == []


def test_a_field_walks_pages_have_no_accessibility_violations(live_server, city, chromium):
    """Open only while the walk is: the clock is moved into it (the live server shares it)."""
    from zoneinfo import ZoneInfo

    import time_machine
    from django.core import signing

    from civic311.community import walk_views
    from civic311.community.services import field_walks
    from tests.community.helpers import community_staff, walk_cohort

    jurisdiction = city["service"].jurisdiction
    new_york = ZoneInfo("America/New_York")
    _cohort, sessions, _people = walk_cohort(jurisdiction)
    opened = field_walks.open_walk(sessions[2], community_staff(), now=dt.datetime(2026, 7, 8, 14, tzinfo=new_york))
    token = opened.walk_token
    done = signing.dumps(city["request"].tracking_number, salt=walk_views.DONE_SALT)
    pages = [
        f"/community/youth/walk/{token}/",
        f"/community/youth/walk/{token}/?service={city['service'].code}",
        f"/community/youth/walk/{token}/done/?t={done}",
    ]
    with (
        time_machine.travel(dt.datetime(2026, 7, 8, 15, 45, tzinfo=new_york), tick=True),
        recording_page(chromium, viewport=DESKTOP) as page,
    ):
        found = violations_on(page, live_server, pages)
        assert found == {}, pformat(found)
        assert page.csp_violations == []


def test_the_second_factor_step_has_no_accessibility_violations(live_server, city, chromium):
    from civic311.people import second_factor, totp

    from .conftest import fill_sign_in

    staff = StaffFactory(username="sam")
    _device, secret = second_factor.start_enrolment(staff)
    second_factor.confirm_enrolment(staff, totp.code_at(secret))
    with recording_page(chromium, viewport=DESKTOP) as page:
        page.goto(f"{live_server.url}/admin/login/")
        fill_sign_in(page, staff.username)
        page.wait_for_url(f"{live_server.url}/admin/login/code/")
        found = violations_on(page, live_server, ["/admin/login/code/"])
        assert found == {}, pformat(found)
        assert page.csp_violations == []


def test_what_a_page_itself_has_blocked_is_told_apart_from_axes_own(live_server, chromium):
    """The admin test asserts `site_csp_violations`: it must hold an inline style of the page's own markup."""
    url = f"{live_server.url}/a-page-with-an-inline-style/"
    html = '<!doctype html><html lang="en"><title>t</title><main><p style="color: red">Hi</p></main></html>'
    with recording_page(chromium, viewport=DESKTOP) as page:
        page.route(
            url,
            lambda route: route.fulfill(
                body=html, content_type="text/html", headers={"Content-Security-Policy": "style-src 'self'"}
            ),
        )
        page.goto(url)
        axe_violations(page)
        assert [(v["directive"], v["page"]) for v in page.site_csp_violations] == [("style-src-attr", url)]


def test_the_checker_finds_and_describes_what_is_wrong(live_server, chromium):
    """The other tests pass on an empty list: it must be empty because the pages are right, not because only
    violations are asked of axe (`resultTypes`) and something was lost on the way."""
    url = f"{live_server.url}/a-page-with-faults/"
    html = (
        '<!doctype html><html lang="en"><title>t</title><main>'
        '<img src="/static/no-such.png"><label>Name</label><input id="name">'
        '<p style="color: #777; background: #888">low contrast</p></main></html>'
    )
    with recording_page(chromium, viewport=DESKTOP) as page:
        page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
        page.goto(url)
        found = {violation["id"]: violation for violation in axe_violations(page)}
    assert {"image-alt", "label", "color-contrast"} <= set(found), sorted(found)
    assert found["image-alt"]["impact"] == "critical"
    assert found["image-alt"]["targets"] == [["img"]]
    assert found["label"]["targets"] == [["#name"]]
