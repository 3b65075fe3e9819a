"""Photos residents send: checked by their content (never their name or declared type), re-encoded,
stripped of EXIF (which carries the phone's GPS position and make), and shrunk to a sensible size."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_EDGE = 2048
# Refuse decompression bombs: a small file that unpacks into a gigantic bitmap.
MAX_PIXELS = 50_000_000


@dataclass(frozen=True)
class ProcessedPhoto:
    content: bytes
    width: int
    height: int
    extension: str = "jpg"


def process_photo(upload: UploadedFile) -> ProcessedPhoto:
    max_bytes = settings.CIVIC311_PHOTO_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("The photo “%(name)s” is larger than %(size)d MB.")
            % {"name": _short_name(upload), "size": max_bytes // (1024 * 1024)}
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("The photo “%(name)s” is larger than %(size)d MB.")
            % {"name": _short_name(upload), "size": max_bytes // (1024 * 1024)}
        )
    not_an_image = ValidationError(
        _("“%(name)s” is not a photo we can read. Send a JPEG, PNG, WebP or GIF image.")
        % {"name": _short_name(upload)}
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise not_an_image
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The photo “%(name)s” has too many pixels.") % {"name": _short_name(upload)})
            probe.verify()
        # verify() leaves the image unusable; open it again to decode it for real.
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            if upright.mode not in ("RGB", "L"):
                upright = _flatten(upright)
            upright.thumbnail((MAX_EDGE, MAX_EDGE))
            out = io.BytesIO()
            # A fresh save without exif= writes no EXIF, ICC-only metadata at most; an empty comment keeps the
            # original's comment (a JPEG COM, or a PNG or GIF comment, which Pillow would copy) out too.
            upright.save(out, format="JPEG", quality=85, optimize=True, comment=b"")
            return ProcessedPhoto(content=out.getvalue(), width=upright.width, height=upright.height)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise not_an_image from exc


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent or paletted images onto white, as JPEG has no transparency."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _short_name(upload: UploadedFile) -> str:
    return (upload.name or _("photo"))[-60:]
