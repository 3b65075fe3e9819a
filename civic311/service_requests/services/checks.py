"""The checks that more than one kind of write makes: text fields, NUL characters, channels, photos
and media links."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from ..models import Channel
from ..photos import ProcessedPhoto, process_photo


def check_text(value: str, name: str, errors: dict[str, list[str]], *, required_message: str = "") -> str:
    value = (value or "").strip()
    if not value and required_message:
        errors[name] = [required_message]
    elif len(value) > settings.CIVIC311_DESCRIPTION_MAX_CHARS:
        errors[name] = [_("This can be at most %(max)d characters.") % {"max": settings.CIVIC311_DESCRIPTION_MAX_CHARS}]
    elif has_nul(value):
        errors[name] = [nul_message()]
    return value


def check_description(description: str, errors: dict[str, list[str]]) -> str:
    description = (description or "").strip()
    max_chars = settings.CIVIC311_DESCRIPTION_MAX_CHARS
    if len(description) > max_chars:
        errors["description"] = [
            _("The description can be at most %(max)d characters; it has %(count)d.")
            % {"max": max_chars, "count": len(description)}
        ]
    return description


def check_photos(photos: Sequence[UploadedFile[bytes]], errors: dict[str, list[str]]) -> list[ProcessedPhoto]:
    photos = [photo for photo in photos if photo]
    limit = settings.CIVIC311_PHOTOS_PER_REQUEST
    if len(photos) > limit:
        errors["photos"] = [_("Send at most %(max)d photos.") % {"max": limit}]
        return []
    processed, messages = [], []
    for photo in photos:
        try:
            processed.append(process_photo(photo))
        except ValidationError as exc:
            messages.extend(exc.messages)
    if messages:
        errors["photos"] = messages
    return processed


MEDIA_URL_MAX = 500


def check_media_url(value: str, errors: dict[str, list[str]]) -> str:
    """A link to a photo someone else hosts: http(s) only, so no other scheme ever reaches a page."""
    from django.core.validators import URLValidator

    value = (value or "").strip()
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        errors["media_url"] = [_("The media URL must be an http or https address.")]
        return ""
    if len(value) > MEDIA_URL_MAX:
        errors["media_url"] = [_("The media URL can be at most %(max)d characters.") % {"max": MEDIA_URL_MAX}]
        return ""
    return value


def nul_message() -> str:
    return _("This contains an invisible NUL character, which cannot be stored. Remove it.")


def has_nul(value: object) -> bool:
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return value is not None and "\x00" in str(value)


def channel_value(value: str) -> str:
    return value if value in Channel.values else Channel.WEB
