"""People: staff who sign in, and the residents who ask for help.

A requester's contact details live here, apart from the request, so that public output of a request
can never reach them by accident and so that they can be anonymised without touching the request.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A member of staff (agents, department staff, supervisors, administrators)."""

    department = models.ForeignKey(
        "catalogue.Department", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="staff", verbose_name=_("department"),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("staff member")  # type: ignore[assignment]
        verbose_name_plural = _("staff")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Requester(models.Model):
    """Contact details a resident chose to give with a request. Every field is optional."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # A default rather than auto_now_add, so imports and the demo can give the real date.
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("requester")
        verbose_name_plural = _("requesters")

    def __str__(self) -> str:
        # Shown to staff only; never used in logs or public output.
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or self.phone or str(_("anonymous"))

    @property
    def is_empty(self) -> bool:
        return not (self.first_name or self.last_name or self.email or self.phone)
