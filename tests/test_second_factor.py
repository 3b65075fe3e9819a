"""Staff sign-in with an optional authenticator app (RFC 6238 TOTP) as the second factor."""

from __future__ import annotations

import base64
import threading
import time
from datetime import UTC, datetime

import pyotp
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import resolve, reverse

from civic311.people import second_factor, totp, views
from civic311.people.models import StaffTOTPDevice

from .factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db

# RFC 6238 appendix B, SHA-1: the ASCII key "12345678901234567890".
RFC_KEY = b"12345678901234567890"
RFC_SECRET = base64.b32encode(RFC_KEY).decode()
NOON = datetime(2025, 3, 4, 12, 0, 15, tzinfo=UTC)  # 15 s into a step


def enrolled(user, *, confirmed=True) -> tuple[StaffTOTPDevice, str]:
    device, secret = second_factor.start_enrolment(user)
    if confirmed:
        second_factor.confirm_enrolment(user, totp.code_at(secret, time.time() - 30))
        device.refresh_from_db()
    return device, secret


def next_code(secret: str) -> str:
    """A code the server has not seen yet (the step after now: within the drift window)."""
    return totp.code_at(secret, time.time() + 30)


def sign_in(client, user, **extra):
    return client.post(
        reverse("admin:login"), {"username": user.username, "password": PASSWORD, "next": "/admin/", **extra}
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# TOTP itself.


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_matches_the_rfc_6238_sha1_test_vectors(at, expected):
    assert totp.code_at(RFC_SECRET, at, digits=8) == expected
    assert totp.code_at(RFC_SECRET, at) == expected[-6:]


def test_six_digit_codes_truncate_the_same_value():
    assert totp.hotp(RFC_KEY, 59 // 30) == "287082"
    assert totp.matching_step(RFC_SECRET, "287082", at=59) == 1
    assert totp.matching_step(RFC_SECRET, "287 082", at=59) == 1  # as some apps show it


@pytest.mark.parametrize("code", ["", "28708", "2870822", "abcdef", "\uff12\uff18\uff17\uff10\uff18\uff12", None])
def test_malformed_codes_never_match(code):
    assert totp.matching_step(RFC_SECRET, code, at=59) is None


def test_new_secrets_are_random_160_bit_base32():
    first, second = totp.new_secret(), totp.new_secret()
    assert first != second and len(first) == 32
    assert len(totp.secret_key(first)) == 20
    assert totp.secret_key(totp.grouped(first).lower()) == totp.secret_key(first)


def test_provisioning_uri_names_the_issuer_and_account():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "dana", totp.issuer_name("Philadelphia"))
    assert uri == (
        "otpauth://totp/civic311%20Philadelphia:dana?secret=JBSWY3DPEHPK3PXP"
        "&issuer=civic311%20Philadelphia&algorithm=SHA1&digits=6&period=30"
    )
    assert totp.issuer_name(None) == "civic311"
    assert totp.grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"


def test_the_uri_reads_back_in_pyotp_to_the_same_codes():
    secret = totp.new_secret()
    parsed = pyotp.parse_uri(totp.provisioning_uri(secret, "dana", "civic311 Philadelphia"))
    assert isinstance(parsed, pyotp.TOTP)
    assert (parsed.secret, parsed.digits, parsed.interval, parsed.digest().name) == (secret, 6, 30, "sha1")
    assert (parsed.issuer, parsed.name) == ("civic311 Philadelphia", "dana")
    assert parsed.at(1234567890) == totp.code_at(secret, 1234567890)


@pytest.mark.parametrize("at", [0, 29, 30, 59, 1111111109, 1234567890, 2000000000])
def test_codes_are_pyotps_for_secrets_stored_before_pyotp(at):
    """A secret as the hand-written module made them (base32 of 20 random bytes, padding stripped) gives
    the codes pyotp gives, and the RFC 6238 vector key gives pyotp's codes too."""
    stored = base64.b32encode(bytes(range(20))).decode().rstrip("=")
    for secret in (stored, RFC_SECRET, totp.grouped(stored).lower()):
        assert totp.code_at(secret, at) == pyotp.TOTP("".join(secret.split()).upper()).at(at)
    assert totp.code_at(RFC_SECRET, at, digits=8) == pyotp.TOTP(RFC_SECRET, digits=8).at(at)


def test_a_code_from_pyotp_is_accepted_once(staff):
    with time_machine.travel(NOON, tick=False):
        device, secret = enrolled(staff)
        StaffTOTPDevice.objects.filter(pk=device.pk).update(last_used_step=0)
        code = pyotp.TOTP(secret).now()
        assert second_factor.verify(staff, code)
        assert not second_factor.verify(staff, code)


@pytest.mark.parametrize(("offset", "accepted"), [(-60, False), (-30, True), (0, True), (30, True), (60, False)])
def test_one_step_of_clock_drift_either_way_is_accepted_two_are_not(staff, offset, accepted):
    with time_machine.travel(NOON, tick=False):
        device, secret = enrolled(staff)
        StaffTOTPDevice.objects.filter(pk=device.pk).update(last_used_step=0)  # no code used yet
        code = totp.code_at(secret, NOON.timestamp() + offset)
        assert second_factor.verify(staff, code) is accepted


def test_a_code_is_never_accepted_twice(staff):
    with time_machine.travel(NOON, tick=False):
        _device, secret = enrolled(staff)
        now_code = totp.code_at(secret)
        assert second_factor.verify(staff, now_code)
        assert not second_factor.verify(staff, now_code)
        # Nor an older one still inside the drift window once a newer one was used.
        assert not second_factor.verify(staff, totp.code_at(secret, NOON.timestamp() - 30))
    with time_machine.travel(NOON.timestamp() + 30, tick=False):
        assert not second_factor.verify(staff, now_code)  # still in the window, already used
        assert second_factor.verify(staff, totp.code_at(secret))


def test_two_checks_of_the_same_code_with_stale_copies_of_the_device_only_one_passes(staff):
    device, secret = enrolled(staff)
    first, second = StaffTOTPDevice.objects.get(pk=device.pk), StaffTOTPDevice.objects.get(pk=device.pk)
    code = next_code(secret)
    assert [totp.verify_and_use(first, code), totp.verify_and_use(second, code)] == [True, False]


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sign_ins_with_the_same_code_only_one_passes():
    staff = StaffFactory(username="racer")
    device, secret = enrolled(staff)
    code = next_code(secret)
    barrier, results = threading.Barrier(8), []

    def attempt():
        try:
            copy = StaffTOTPDevice.objects.get(pk=device.pk)
            barrier.wait()
            results.append(totp.verify_and_use(copy, code))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


# Enrolment.


def test_enrolment_must_be_confirmed_before_a_code_is_required(client, staff):
    device, secret = second_factor.start_enrolment(staff)
    assert device.confirmed_at is None and not second_factor.is_required(staff)
    assert not second_factor.verify(staff, totp.code_at(secret))  # an unconfirmed device proves nothing
    response = sign_in(client, staff)
    assert response.status_code == 302 and response.url == "/admin/" and signed_in(client)

    with pytest.raises(second_factor.InvalidCode):
        second_factor.confirm_enrolment(staff, "000000" if totp.code_at(secret) != "000000" else "111111")
    assert not second_factor.is_required(staff)
    second_factor.confirm_enrolment(staff, totp.code_at(secret))
    assert second_factor.is_required(staff)
    with pytest.raises(second_factor.AlreadyEnrolled):
        second_factor.start_enrolment(staff)
    with pytest.raises(second_factor.NotEnrolling):
        second_factor.confirm_enrolment(staff, next_code(secret))


def test_starting_again_before_confirming_replaces_the_secret(staff):
    _device, first = second_factor.start_enrolment(staff)
    _device, second = second_factor.start_enrolment(staff)
    assert first != second and StaffTOTPDevice.objects.get(user=staff).secret == second
    with pytest.raises(second_factor.InvalidCode):
        second_factor.confirm_enrolment(staff, totp.code_at(first))


def test_the_setup_page_shows_the_key_the_uri_and_a_qr_code(client, staff):
    client.force_login(staff)
    page = reverse("people:second_factor")
    assert "Set up an authenticator" in client.get(page).content.decode()
    assert client.post(reverse("people:second_factor_start")).url == page
    device = StaffTOTPDevice.objects.get(user=staff)
    response = client.get(page)
    html = response.content.decode()
    assert totp.grouped(device.secret) in html
    assert "otpauth://totp/civic311" in html and f"secret={device.secret}" in html
    assert 'src="data:image/svg+xml' in html
    assert "Content-Security-Policy" in response.headers and "<script>" not in html and "style=" not in html
    assert response.headers["Cache-Control"].startswith("max-age=0")

    client.post(reverse("people:second_factor_confirm"), {"code": "999999x"})
    assert not second_factor.is_required(staff)
    response = client.post(reverse("people:second_factor_confirm"), {"code": totp.code_at(device.secret)}, follow=True)
    assert second_factor.is_required(staff)
    assert "Your authenticator is set up" in response.content.decode()
    assert device.secret not in client.get(page).content.decode()  # never shown again once confirmed


def test_the_setup_pages_are_for_staff_only(client, db):
    outsider = StaffFactory(username="outsider", is_staff=False)
    assert client.get(reverse("people:second_factor")).status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("people:second_factor")).status_code == 302
    client.post(reverse("people:second_factor_start"))
    assert not StaffTOTPDevice.objects.exists()


# The admin's two-step sign-in.


def test_the_admin_login_is_the_two_step_sign_in():
    assert getattr(resolve(reverse("admin:login")).func, "view_class", None) is views.AdminSignInView


def test_without_an_authenticator_the_password_signs_in(client, staff):
    response = sign_in(client, staff)
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_with_an_authenticator_the_password_alone_does_not_sign_in(client, staff):
    enrolled(staff)
    response = sign_in(client, staff)
    assert response.status_code == 302 and response.url == reverse("admin_sign_in_code")
    assert not signed_in(client)
    index = client.get("/admin/")
    assert index.status_code == 302 and index.url.startswith(reverse("admin:login"))
    page = client.get(reverse("admin_sign_in_code"))
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()


def test_a_wrong_password_never_reaches_the_code_step(client, staff):
    enrolled(staff)
    response = client.post(reverse("admin:login"), {"username": staff.username, "password": "wrong password!"})
    assert response.status_code == 200 and not signed_in(client)
    assert client.get(reverse("admin_sign_in_code")).url == reverse("admin:login")


def test_a_wrong_code_is_refused(client, staff):
    _device, secret = enrolled(staff)
    sign_in(client, staff)
    wrong = "000000" if next_code(secret) != "000000" else "111111"
    response = client.post(reverse("admin_sign_in_code"), {"code": wrong})
    assert response.status_code == 400 and not signed_in(client)
    assert "4 tries left" in response.content.decode()


def test_five_wrong_codes_start_over(client, staff):
    _device, secret = enrolled(staff)
    sign_in(client, staff)
    for _attempt in range(4):
        assert client.post(reverse("admin_sign_in_code"), {"code": "12345x"}).status_code == 400
    response = client.post(reverse("admin_sign_in_code"), {"code": "12345x"})
    assert response.status_code == 302 and response.url == reverse("admin:login")
    # Even the right code is no good now: the password step must be done again.
    response = client.post(reverse("admin_sign_in_code"), {"code": next_code(secret)})
    assert response.url == reverse("admin:login") and not signed_in(client)
    assert client.get("/admin/").status_code == 302


def test_the_right_code_signs_in_with_a_new_session(client, staff):
    _device, secret = enrolled(staff)
    sign_in(client, staff, next="/admin/requests/")
    half_way = client.session.session_key
    response = client.post(reverse("admin_sign_in_code"), {"code": next_code(secret)})
    assert response.status_code == 302 and response.url == "/admin/requests/"
    assert signed_in(client) and client.session.session_key != half_way
    assert views.PENDING_KEY not in client.session
    assert client.get("/admin/").status_code == 200


def test_an_unsafe_next_is_not_followed(client, staff):
    _device, secret = enrolled(staff)
    sign_in(client, staff, next="https://evil.example/")
    response = client.post(reverse("admin_sign_in_code"), {"code": next_code(secret)})
    assert response.url == "/admin/"


def test_a_slow_second_step_starts_over(client, staff):
    _device, secret = enrolled(staff)
    sign_in(client, staff)
    with time_machine.travel(time.time() + views.PENDING_SECONDS + 60):
        response = client.post(reverse("admin_sign_in_code"), {"code": totp.code_at(secret)})
    assert response.url == reverse("admin:login") and not signed_in(client)


def test_a_password_change_between_the_steps_starts_over(client, staff):
    _device, secret = enrolled(staff)
    sign_in(client, staff)
    staff.set_password("a brand new passphrase")
    staff.save()
    response = client.post(reverse("admin_sign_in_code"), {"code": next_code(secret)})
    assert response.url == reverse("admin:login") and not signed_in(client)


def test_non_staff_cannot_reach_the_admin_even_with_an_authenticator(client, db):
    outsider = StaffFactory(username="outsider", is_staff=False)
    enrolled(outsider)
    response = sign_in(client, outsider)
    assert response.status_code == 200 and not signed_in(client)
    assert client.get(reverse("admin_sign_in_code")).url == reverse("admin:login")
    assert client.get("/admin/").status_code == 302


# Removing and resetting.


def test_removal_requires_a_valid_code(client, staff):
    _device, secret = enrolled(staff)
    with pytest.raises(second_factor.InvalidCode):
        second_factor.remove(staff, actor=staff, code="")
    client.force_login(staff)
    client.post(reverse("people:second_factor_remove"), {"code": "12345x"})
    assert second_factor.is_required(staff)
    response = client.post(reverse("people:second_factor_remove"), {"code": next_code(secret)}, follow=True)
    assert not StaffTOTPDevice.objects.filter(user=staff).exists()
    assert "Your authenticator is removed" in response.content.decode()


def test_a_superuser_can_reset_another_staff_members_authenticator(client, staff):
    enrolled(staff)
    root = StaffFactory(username="root", is_superuser=True)
    client.force_login(root)
    page = client.get(reverse("people:second_factor_reset"))
    assert page.status_code == 200 and "dana" in page.content.decode()
    response = client.post(reverse("people:second_factor_reset"), {"user": staff.pk})
    assert response.status_code == 302
    assert not StaffTOTPDevice.objects.filter(user=staff).exists()


def test_other_staff_cannot_reset_anyones_authenticator(client, staff):
    enrolled(staff)
    colleague = StaffFactory(username="colleague")
    with pytest.raises(PermissionDenied):
        second_factor.remove(staff, actor=colleague)
    client.force_login(colleague)
    assert client.get(reverse("people:second_factor_reset")).status_code == 403
    assert client.post(reverse("people:second_factor_reset"), {"user": staff.pk}).status_code == 403
    assert second_factor.is_required(staff)


def test_every_admin_page_links_to_the_authenticator_page(client, staff):
    client.force_login(staff)
    page = client.get("/admin/")
    assert page.status_code == 200
    assert b'href="/account/second-factor/"' in page.content
