"""The optional second factor for staff: enrol an authenticator app, confirm it, check codes, remove it.

A device only counts once it is confirmed with a code from the app (so a half-finished enrolment never
locks anyone out). Staff remove their own with a valid code; a superuser may reset anyone's (a lost phone).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import roles, totp
from .models import StaffTOTPDevice, User


class SecondFactorError(Exception):
    """A second-factor operation that cannot be done; str() is a message fit for the user."""


class InvalidCode(SecondFactorError):
    def __init__(self) -> None:
        super().__init__(_("That code is not right, or it has already been used. Try the next one."))


class AlreadyEnrolled(SecondFactorError):
    def __init__(self) -> None:
        super().__init__(_("An authenticator is already set up. Remove it first to set up another."))


class NotEnrolling(SecondFactorError):
    def __init__(self) -> None:
        super().__init__(_("There is no authenticator waiting to be confirmed. Start again."))


def device_for(user: User) -> StaffTOTPDevice | None:
    return StaffTOTPDevice.objects.filter(user=user).first()


def confirmed_device(user: User) -> StaffTOTPDevice | None:
    return StaffTOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def is_required(user: User) -> bool:
    """Whether signing in as `user` needs a code: only with a confirmed device."""
    return StaffTOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


@transaction.atomic
def start_enrolment(user: User) -> tuple[StaffTOTPDevice, str]:
    """A new unconfirmed device with a fresh secret (replacing any unconfirmed one)."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one enrolment at a time per user
    device = device_for(user)
    if device is not None and device.confirmed_at is not None:
        raise AlreadyEnrolled()
    secret = totp.new_secret()
    if device is None:
        device = StaffTOTPDevice.objects.create(user=user, secret=secret)
    else:
        device.secret, device.last_used_step, device.created_at = secret, 0, timezone.now()
        device.save(update_fields=["secret", "last_used_step", "created_at"])
    return device, secret


def confirm_enrolment(user: User, code: str) -> StaffTOTPDevice:
    """Confirm the pending device with a code from the app; from then on sign-in asks for a code."""
    device = device_for(user)
    if device is None or device.confirmed_at is not None:
        raise NotEnrolling()
    if not totp.verify_and_use(device, code):
        raise InvalidCode()
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    return device


def verify(user: User, code: str) -> bool:
    """Whether `code` is a valid, unused code of the user's confirmed device (it is then used up)."""
    device = confirmed_device(user)
    return device is not None and totp.verify_and_use(device, code)


def remove(user: User, *, actor: User, code: str = "") -> None:
    """Remove `user`'s device: by the user with a valid code, or by a superuser (no code) for another."""
    device = device_for(user)
    if actor.pk == user.pk:
        if device is not None and device.confirmed_at is not None and not totp.verify_and_use(device, code):
            raise InvalidCode()
    elif not roles.may_reset_second_factor(actor):
        raise PermissionDenied
    if device is not None:
        StaffTOTPDevice.objects.filter(pk=device.pk).delete()
