"""The service suggester's versions, for administrators (`roles.may_retrain_text_models`): each one's
evaluation on held-out history, read-only, and an action to choose the version in use."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civic311.people import roles
from civic311.read_only_admin import ReadOnlyAdmin

from . import training
from .models import ServiceModel


def _percent(value: object) -> str:
    return f"{float(value) * 100:.1f} %" if isinstance(value, int | float) else "—"


@admin.register(ServiceModel)
class ServiceModelAdmin(ReadOnlyAdmin):
    list_display = (
        "jurisdiction",
        "version",
        "active",
        "trained_at",
        "trigger",
        "held_out",
        "top1",
        "top3",
        "sure_accuracy",
        "ece",
    )
    list_filter = ("jurisdiction", "active", "trigger")
    ordering = ("jurisdiction", "-version")
    fields = (
        "jurisdiction",
        "version",
        "active",
        "trained_at",
        "trigger",
        "trained_on_shown",
        "evaluation_shown",
        "artefact_sha256",
    )
    readonly_fields = fields
    actions = ["use_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServiceModel]:
        return super().get_queryset(request).select_related("jurisdiction").defer("artefact")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return roles.may_retrain_text_models(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.may_retrain_text_models(request.user)

    def has_retrain_permission(self, request: HttpRequest) -> bool:
        return roles.may_retrain_text_models(request.user)

    @admin.display(description=_("held out"))
    def held_out(self, obj: ServiceModel) -> object:
        return (obj.evaluation or {}).get("held_out", "—")

    @admin.display(description=_("top 1"))
    def top1(self, obj: ServiceModel) -> str:
        return _percent((obj.evaluation or {}).get("top1"))

    @admin.display(description=_("top 3"))
    def top3(self, obj: ServiceModel) -> str:
        return _percent((obj.evaluation or {}).get("top3"))

    @admin.display(description=_("right when sure"))
    def sure_accuracy(self, obj: ServiceModel) -> str:
        return _percent((obj.evaluation or {}).get("sure_accuracy"))

    @admin.display(description=_("calibration error"))
    def ece(self, obj: ServiceModel) -> str:
        calibration = (obj.evaluation or {}).get("calibration") or {}
        return f"{calibration['ece']:.3f}" if isinstance(calibration.get("ece"), int | float) else "—"

    @admin.display(description=_("trained on"))
    def trained_on_shown(self, obj: ServiceModel) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.trained_on, indent=2, sort_keys=True))

    @admin.display(description=_("evaluation"))
    def evaluation_shown(self, obj: ServiceModel) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.evaluation, indent=2, sort_keys=True))

    @admin.action(description=_("Use the selected version for its city"), permissions=["retrain"])
    def use_selected(self, request: HttpRequest, queryset: QuerySet[ServiceModel]) -> None:
        chosen = list(queryset.defer("artefact")[:2])
        if len(chosen) != 1:
            self.message_user(request, _("Select exactly one version to use."), messages.WARNING)
            return
        try:
            training.use_version(chosen[0], request.user)
        except PermissionDenied as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request,
            gettext("Version %(version)d is now in use.") % {"version": chosen[0].version},
            messages.SUCCESS,
        )
