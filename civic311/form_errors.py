"""Showing a service's ValidationError on the form that called it (every app's forms)."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError


def show_service_errors(form: forms.BaseForm, error: ValidationError, aliases: Mapping[str, str] | None = None) -> None:
    """Keyed messages on their field (renamed through `aliases` where the form calls it otherwise), the
    rest, and messages for fields the form does not have, above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        field = (aliases or {}).get(key, key)
        form.add_error(field if field in form.fields else None, messages)
