"""Emergency mode: who declares and ends one, its rules, the banner on time in English and Spanish, the
pinned answers, the agents' script, the one coordinated message, and the staff page per role."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from civic311.emergencies import selectors, services, tasks
from civic311.emergencies.models import Emergency
from civic311.notifications.models import OutboundMessage, Webhook
from civic311.open311.models import ApiKey
from civic311.people.models import StaffRole
from civic311.social.models import OutboundPost

from .emergency_helpers import declare
from .factories import DepartmentFactory, JurisdictionFactory, StaffFactory, staff_in_role, with_role
from .knowledge_helpers import make_article
from .roles_helpers import STAFF_ROLES

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 12, 17, 0, tzinfo=dt.UTC)  # noon in Philadelphia
ALLOWED = {StaffRole.SUPERVISOR, StaffRole.ADMIN}


def _banner(client, language="en") -> str:
    html = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    match = re.search(r'<div class="[^"]*emergency-banner[^"]*".*?</div>\s*</div>', html, re.DOTALL)
    return match.group(0) if match else ""


@pytest.fixture
def supervisor(jurisdiction):
    return staff_in_role(StaffRole.SUPERVISOR)


# --- who may declare ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_only_supervisors_and_admins_declare_and_end(jurisdiction, role):
    user = staff_in_role(role)
    if role in ALLOWED:
        emergency = declare(jurisdiction, user)
        assert services.end_emergency(emergency, actor=user).ended_at is not None
    else:
        with pytest.raises(PermissionDenied):
            declare(jurisdiction, user)
        assert not Emergency.objects.exists()
        emergency = declare(jurisdiction, staff_in_role(StaffRole.SUPERVISOR, username=f"boss-{role}"))
        with pytest.raises(PermissionDenied):
            services.end_emergency(emergency, actor=user)
        emergency.refresh_from_db()
        assert emergency.ended_at is None


def test_nobody_without_staff_roles_and_no_supervisor_of_another_city(jurisdiction):
    with pytest.raises(PermissionDenied):
        declare(jurisdiction, None)
    with pytest.raises(PermissionDenied):
        declare(jurisdiction, StaffFactory())  # staff, no role
    elsewhere = JurisdictionFactory(slug="pittsburgh", jurisdiction_id="pittsburghpa.gov", is_default=False)
    outsider = StaffFactory(department=DepartmentFactory(jurisdiction=elsewhere, slug="pgh-streets"))
    with_role(outsider, StaffRole.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        declare(jurisdiction, outsider)
    assert not Emergency.objects.exists()


# --- the rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": {"es": "Solo en español"}}, "title"),
        ({"banner": {"en": "   "}}, "banner"),
        ({"title": {"en": "x" * 121}}, "title"),
        ({"banner": {"en": "ok", "es": "x" * 401}}, "banner"),
        ({"agent_script": {"en": "x" * 4001}}, "agent_script"),
        ({"message": ""}, "message"),
        ({"message": "x" * 281}, "message"),
        ({"kind": "volcano"}, "kind"),
        ({"hours": 0}, "ends_at"),
        ({"hours": -2}, "ends_at"),
        ({"hours": 14 * 24 + 1}, "ends_at"),
    ],
)
def test_bad_declarations_are_refused_with_every_reason(jurisdiction, supervisor, changes, field):
    with pytest.raises(ValidationError) as refused:
        declare(jurisdiction, supervisor, **changes)
    assert field in refused.value.message_dict
    assert not Emergency.objects.exists()


def test_the_limits_themselves_are_accepted(jurisdiction, supervisor):
    emergency = declare(
        jurisdiction, supervisor, hours=14 * 24, message="x" * 280, title={"en": "t" * 120, "es": "   "}
    )
    assert emergency.title == {"en": "t" * 120}  # empty translations are dropped: they fall back


def test_no_backdating_and_no_end_in_the_past(jurisdiction, supervisor):
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        declare(jurisdiction, supervisor, start=now - dt.timedelta(hours=2), hours=3)
    assert "starts_at" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        declare(jurisdiction, supervisor, start=now - dt.timedelta(minutes=50), hours=0.5)
    assert "ends_at" in refused.value.message_dict
    # A start a few minutes ago (the form is to the minute) is fine.
    assert declare(jurisdiction, supervisor, start=now - dt.timedelta(minutes=3)).is_active(now)


def test_one_emergency_at_a_time(jurisdiction, supervisor):
    now = timezone.now()
    first = declare(jurisdiction, supervisor, start=now, hours=24)
    for start, hours in [
        (now + dt.timedelta(hours=23), 5),
        (now - dt.timedelta(minutes=30), 1),
        (now + dt.timedelta(hours=2), 1),
    ]:
        with pytest.raises(ValidationError) as refused:
            declare(jurisdiction, supervisor, start=start, hours=hours)
        assert "starts_at" in refused.value.message_dict
    # Right after it ends is fine, and another city's emergency is not in the way.
    declare(jurisdiction, supervisor, start=first.ends_at, hours=2)
    elsewhere = JurisdictionFactory(slug="camden", jurisdiction_id="camdennj.gov", is_default=False)
    declare(elsewhere, supervisor, start=now, hours=24)
    # Ended early, its time is free again from then on.
    services.end_emergency(first, actor=supervisor)
    assert declare(jurisdiction, supervisor, start=timezone.now() + dt.timedelta(minutes=1), hours=3)


def test_ending_twice_or_after_the_end_is_refused(jurisdiction, supervisor):
    with time_machine.travel(T0, tick=False) as traveller:
        emergency = declare(jurisdiction, supervisor, start=T0, hours=2)
        services.end_emergency(emergency, actor=supervisor)
        with pytest.raises(ValidationError):
            services.end_emergency(emergency, actor=supervisor)
        over = declare(jurisdiction, supervisor, start=T0 + dt.timedelta(hours=1), hours=1)
        traveller.move_to(T0 + dt.timedelta(hours=3))
        with pytest.raises(ValidationError):
            services.end_emergency(over, actor=supervisor)
        over.refresh_from_db()
        assert over.ended_at is None


def test_only_published_articles_of_the_city_are_pinned(jurisdiction, supervisor):
    draft = make_article(jurisdiction, "draft-parking", "Parking (draft)", status="draft")
    elsewhere = JurisdictionFactory(slug="camden", jurisdiction_id="camdennj.gov", is_default=False)
    foreign = make_article(elsewhere, "camden-parking", "Camden parking")
    for wrong in (draft, foreign):
        with pytest.raises(ValidationError) as refused:
            declare(jurisdiction, supervisor, pinned_articles=[wrong])
        assert "pinned_articles" in refused.value.message_dict


# --- the banner: on time, in every language ------------------------------------------------------------


def test_the_banner_appears_at_the_start_and_goes_at_the_end(client, jurisdiction, supervisor):
    with time_machine.travel(T0, tick=False) as traveller:
        declare(jurisdiction, supervisor, start=T0 + dt.timedelta(hours=1), hours=4)
        assert _banner(client) == "" and _banner(client, "es") == ""
        traveller.move_to(T0 + dt.timedelta(hours=1))
        english, spanish = _banner(client), _banner(client, "es")
        assert 'role="alert"' in english
        assert "Snow emergency" in english and "Move your car off snow emergency routes." in english
        assert "Emergencia de nieve" in spanish and "Retire su auto" in spanish and "Move your car" not in spanish
        assert selectors.active_emergency(jurisdiction) is not None
        traveller.move_to(T0 + dt.timedelta(hours=5) - dt.timedelta(seconds=1))
        assert "Snow emergency" in _banner(client)
        traveller.move_to(T0 + dt.timedelta(hours=5))
        assert _banner(client) == "" and _banner(client, "es") == ""
        assert selectors.active_emergency(jurisdiction) is None


def test_the_banner_falls_back_to_english_and_says_so(client, jurisdiction, supervisor):
    declare(
        jurisdiction,
        supervisor,
        title={"en": "Heat health emergency"},
        banner={"en": "Cooling centers are open until 8 pm."},
        kind=Emergency.Kind.HEAT,
    )
    spanish = _banner(client, "es")
    assert '<p class="h5 mb-1" id="emergency-banner-title" lang="en">Heat health emergency</p>' in spanish
    assert "Cooling centers are open until 8 pm." in spanish
    assert 'lang="en"' not in _banner(client)


def test_the_banner_goes_at_once_when_ended_early_and_is_on_every_public_page(client, jurisdiction, supervisor):
    emergency = declare(jurisdiction, supervisor)
    for path in ["/", reverse("public:choose_service"), reverse("public:track"), reverse("knowledge:home")]:
        assert 'id="emergency-banner"' in client.get(path).content.decode(), path
    services.end_emergency(emergency, actor=supervisor)
    assert _banner(client) == ""


def test_banner_text_is_escaped(client, jurisdiction, supervisor):
    declare(jurisdiction, supervisor, banner={"en": "<script>alert(1)</script> Stay home."})
    html = _banner(client)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_pinned_answers_in_the_banner_and_for_agents(client, jurisdiction, supervisor):
    parking = make_article(
        jurisdiction,
        "snow-emergency-parking",
        "Where to park in a snow emergency",
        "Dónde estacionar en una emergencia de nieve",
        summary_en="Off the snow routes.",
    )
    trash = make_article(jurisdiction, "trash-after-snow", "Trash collection after snow")
    declare(jurisdiction, supervisor, pinned_articles=[parking, trash])
    english = _banner(client)
    assert f'href="{reverse("knowledge:article", args=["snow-emergency-parking"])}"' in english
    assert "Where to park in a snow emergency" in english and "Trash collection after snow" in english
    spanish = _banner(client, "es")
    assert "Dónde estacionar en una emergencia de nieve" in spanish
    assert 'lang="en">Trash collection after snow' in spanish  # not translated: English, marked so
    # Unpublished later: no longer shown.
    type(trash).objects.filter(pk=trash.pk).update(status="draft")
    selectors.forget_cached_emergencies()
    assert "Trash collection after snow" not in _banner(client)

    agent = staff_in_role(StaffRole.AGENT)
    client.force_login(agent)
    console = client.get(reverse("console:home")).content.decode()
    assert 'id="emergency-script"' in console
    assert "Tell callers to move their cars off snow emergency routes." in console
    assert "Where to park in a snow emergency" in console and "Off the snow routes." in console


def test_no_script_in_the_console_without_an_emergency(client, jurisdiction):
    client.force_login(staff_in_role(StaffRole.AGENT))
    assert 'id="emergency-script"' not in client.get(reverse("console:home")).content.decode()


def test_surge_flag(jurisdiction, supervisor):
    with time_machine.travel(T0, tick=False) as traveller:
        assert not selectors.surge_active(jurisdiction, T0)
        declare(jurisdiction, supervisor, start=T0 + dt.timedelta(hours=1), hours=2, surge=True)
        assert not selectors.surge_active(jurisdiction)
        traveller.move_to(T0 + dt.timedelta(hours=1))
        assert selectors.surge_active(jurisdiction)
        assert selectors.surge_active(jurisdiction, T0 + dt.timedelta(hours=2, minutes=59))
        assert not selectors.surge_active(jurisdiction, T0 + dt.timedelta(hours=3))


def test_no_surge_flag_unless_asked(jurisdiction, supervisor):
    declare(jurisdiction, supervisor)
    assert not selectors.surge_active(jurisdiction)


# --- the one coordinated message ---------------------------------------------------------------------------


@pytest.fixture
def channels(settings, jurisdiction, department):
    settings.CIVIC311_SOCIAL_ACCOUNTS = {"x": "@philly311", "facebook": "Philly311"}
    settings.CIVIC311_EMERGENCY_BROADCAST_EMAILS = ["press@phila.gov", "Council@phila.gov"]
    key = ApiKey.objects.create(jurisdiction=jurisdiction, name="City app", prefix="abc", key_hash="h" * 64)
    revoked = ApiKey.objects.create(
        jurisdiction=jurisdiction, name="Old app", prefix="old", key_hash="o" * 64, revoked_at=timezone.now()
    )
    elsewhere = DepartmentFactory(
        jurisdiction=JurisdictionFactory(slug="camden", jurisdiction_id="camdennj.gov", is_default=False),
        slug="camden-streets",
    )
    hooks = {
        "department": Webhook.objects.create(department=department, url="https://streets.example/hook", secret="s"),
        "client": Webhook.objects.create(api_key=key, url="https://app.example/hook", secret="s"),
        "wants it": Webhook.objects.create(
            department=department, url="https://b.example/hook", secret="s", events=["emergency.declared"]
        ),
    }
    Webhook.objects.create(department=department, url="https://off.example/hook", secret="s", is_active=False)
    Webhook.objects.create(api_key=revoked, url="https://revoked.example/hook", secret="s")
    Webhook.objects.create(
        department=department, url="https://status.example/hook", secret="s", events=["request.status"]
    )
    Webhook.objects.create(department=elsewhere, url="https://camden.example/hook", secret="s")
    return hooks


def _counts():
    return (
        sorted(OutboundMessage.objects.values_list("channel", "recipient")),
        sorted(OutboundPost.objects.values_list("network", "account", "text")),
    )


def test_one_message_per_channel_at_declaration_and_never_twice(jurisdiction, supervisor, channels):
    emergency = declare(jurisdiction, supervisor)
    emergency.refresh_from_db()
    assert emergency.message_queued_at is not None
    messages, posts = _counts()
    assert messages == sorted(
        [
            ("email", "council@phila.gov"),
            ("email", "press@phila.gov"),
            ("webhook", "https://app.example/hook"),
            ("webhook", "https://b.example/hook"),
            ("webhook", "https://streets.example/hook"),
        ]
    )
    assert posts == sorted([("facebook", "Philly311", emergency.message), ("x", "@philly311", emergency.message)])
    webhook = OutboundMessage.objects.get(webhook=channels["client"])
    assert webhook.payload is not None
    assert webhook.payload["event"] == "emergency.declared" and webhook.payload["title"]["es"] == "Emergencia de nieve"
    mail = OutboundMessage.objects.filter(channel="email").first()
    assert mail is not None
    assert mail.subject == "Snow emergency: Snow emergency" and emergency.message in mail.body

    before = _counts()
    assert services.queue_coordinated_message(emergency) == 0
    assert tasks.queue_emergency_messages.call_local() == 0
    # Even a second worker that got past the claim (the flag cleared under it) queues nothing more.
    Emergency.objects.filter(pk=emergency.pk).update(message_queued_at=None)
    assert services.queue_coordinated_message(emergency) == 0
    assert _counts() == before


def test_a_coming_emergency_sends_when_it_starts_by_the_periodic_task(jurisdiction, supervisor, channels):
    with time_machine.travel(T0, tick=False) as traveller:
        emergency = declare(jurisdiction, supervisor, start=T0 + dt.timedelta(hours=3), hours=6)
        assert OutboundMessage.objects.count() == 0 and OutboundPost.objects.count() == 0
        assert tasks.queue_emergency_messages.call_local() == 0
        traveller.move_to(T0 + dt.timedelta(hours=3))
        assert tasks.queue_emergency_messages.call_local() == 7  # 3 webhooks, 2 e-mails, 2 posts
        assert tasks.queue_emergency_messages.call_local() == 0
        assert services.queue_coordinated_message(emergency) == 0
        assert OutboundMessage.objects.count() == 5 and OutboundPost.objects.count() == 2


def test_no_message_for_one_ended_or_called_off_before_it_started(jurisdiction, supervisor, channels):
    with time_machine.travel(T0, tick=False) as traveller:
        emergency = declare(jurisdiction, supervisor, start=T0 + dt.timedelta(hours=1), hours=2)
        services.end_emergency(emergency, actor=supervisor)
        traveller.move_to(T0 + dt.timedelta(hours=1, minutes=5))
        assert tasks.queue_emergency_messages.call_local() == 0
        assert OutboundMessage.objects.count() == 0 and OutboundPost.objects.count() == 0


def test_the_message_must_fit_the_shortest_network(jurisdiction, supervisor, settings):
    settings.CIVIC311_SOCIAL_ACCOUNTS = {"facebook": "Philly311"}
    assert declare(jurisdiction, supervisor, message="x" * 400)
    settings.CIVIC311_SOCIAL_ACCOUNTS = "x=@philly311,facebook=Philly311"
    with pytest.raises(ValidationError):
        declare(jurisdiction, supervisor, message="x" * 281, start=timezone.now() + dt.timedelta(days=2))


# --- the staff page ---------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, jurisdiction):
    for response in (client.get(reverse("emergencies:home")), client.post(reverse("emergencies:declare"), {})):
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_the_page_per_role(client, jurisdiction, role):
    client.force_login(staff_in_role(role))
    expected = 200 if role in ALLOWED else 403
    assert client.get(reverse("emergencies:home")).status_code == expected
    response = client.post(reverse("emergencies:declare"), _form())
    assert response.status_code == (302 if role in ALLOWED else 403)
    assert Emergency.objects.exists() == (role in ALLOWED)


def _form(**changes):
    now = timezone.localtime(timezone.now(), dt.timezone(dt.timedelta(hours=-5)))
    data = {
        "kind": "snow",
        "title_en": "Snow emergency",
        "title_es": "Emergencia de nieve",
        "banner_en": "Move your car.",
        "banner_es": "Retire su auto.",
        "script_en": "Say: move your car.",
        "script_es": "",
        "message": "Snow emergency: move your car.",
        "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(changes)
    return data


def test_declaring_on_the_page_in_the_citys_time(client, jurisdiction, supervisor):
    parking = make_article(jurisdiction, "snow-parking", "Snow parking")
    client.force_login(supervisor)
    page = client.get(reverse("emergencies:home")).content.decode()
    assert 'type="datetime-local"' in page and "Snow parking" in page and 'name="title_es"' in page
    response = client.post(
        reverse("emergencies:declare"),
        _form(starts_at="2031-02-03T18:00", ends_at="2031-02-04T06:00", surge="on", pinned_articles=[parking.pk]),
    )
    assert response.status_code == 302
    emergency = Emergency.objects.get()
    assert emergency.starts_at == dt.datetime(2031, 2, 3, 23, 0, tzinfo=dt.UTC)  # 6 pm in Philadelphia
    assert emergency.surge and list(emergency.pinned_articles.all()) == [parking]
    assert emergency.declared_by == supervisor and emergency.banner == {"en": "Move your car.", "es": "Retire su auto."}
    page = client.get(reverse("emergencies:home")).content.decode()
    assert "Feb. 3, 2031, 6 p.m." in page  # shown in the city's zone


def test_bad_input_on_the_page_shows_the_errors_and_writes_nothing(client, jurisdiction, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("emergencies:declare"), _form(title_en="", ends_at="2020-01-01T00:00", message="x" * 281)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="text-danger small mb-1"') == 2  # the English title, the message's length
    response = client.post(reverse("emergencies:declare"), _form(ends_at="2020-01-01T00:00"))
    assert response.status_code == 400 and "The end must be after the start." in response.content.decode()
    response = client.post(reverse("emergencies:declare"), _form(starts_at="not a date"))
    assert response.status_code == 400
    assert not Emergency.objects.exists()


def test_overlap_refused_on_the_page(client, jurisdiction, supervisor):
    declare(jurisdiction, supervisor)
    client.force_login(supervisor)
    response = client.post(reverse("emergencies:declare"), _form())
    assert response.status_code == 400 and "end it first" in response.content.decode()
    assert Emergency.objects.count() == 1


def test_ending_early_on_the_page(client, jurisdiction, supervisor):
    emergency = declare(jurisdiction, supervisor)
    client.force_login(supervisor)
    assert "End now" in client.get(reverse("emergencies:home")).content.decode()
    response = client.post(reverse("emergencies:end", args=[emergency.pk]), follow=True)
    assert response.status_code == 200
    emergency.refresh_from_db()
    assert emergency.ended_at is not None and emergency.ended_by == supervisor
    again = client.post(reverse("emergencies:end", args=[emergency.pk]), follow=True)
    assert "This emergency was ended already." in again.content.decode()


@pytest.mark.parametrize("role", [r for r in STAFF_ROLES if r not in ALLOWED])
def test_ending_on_the_page_is_refused_to_other_roles(client, jurisdiction, supervisor, role):
    emergency = declare(jurisdiction, supervisor)
    client.force_login(staff_in_role(role))
    assert client.post(reverse("emergencies:end", args=[emergency.pk])).status_code == 403
    emergency.refresh_from_db()
    assert emergency.ended_at is None


def test_the_admin_lists_emergencies_and_posts(client, jurisdiction, supervisor):
    emergency = declare(jurisdiction, supervisor)
    admin = StaffFactory(username="root", is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:emergencies_emergency_changelist")).status_code == 200
    assert client.get(reverse("admin:emergencies_emergency_change", args=[emergency.pk])).status_code == 200
    assert client.get(reverse("admin:social_outboundpost_changelist")).status_code == 200
