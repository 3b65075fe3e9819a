"""Department work: the views staff save of their queue, and the canned replies they send residents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civic311.catalogue.models import Department
from civic311.jurisdictions.models import Jurisdiction


class SavedView(models.Model):
    """A named queue filter ("my overdue potholes"), kept as the queue page's query string.

    Its owner sees it; with a department it is shared with everyone who works that department.
    Written only through `civic311.work.services.save_view` / `delete_view`.
    """

    NAME_MAX = 80
    QUERY_MAX = 1000

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=NAME_MAX)
    query = models.CharField(
        _("filters"),
        max_length=QUERY_MAX,
        blank=True,
        help_text=_("The queue page's query string, without the page position."),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
        verbose_name=_("shared with department"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="unique_saved_view_name")]

    def __str__(self) -> str:
        return self.name


class ResponseTemplate(models.Model):
    """A reply staff start a note from. Placeholders: {tracking_number}, {service}, {address}
    (`civic311.work.services.fill_placeholders`)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.CASCADE, related_name="response_templates", verbose_name=_("jurisdiction")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="response_templates",
        verbose_name=_("department"),
        help_text=_("Empty: offered to every department of the jurisdiction."),
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("text"),
        help_text=_("You may use {tracking_number}, {service} and {address}; they are filled in for each request."),
    )
    is_public = models.BooleanField(
        _("public"), default=True, help_text=_("Public replies are meant for the resident; others are internal.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title
