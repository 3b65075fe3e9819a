"""Photos residents send: checked by their content (never their name or declared type), re-encoded,
stripped of EXIF (which carries the phone's GPS position and make), and shrunk to a sensible size.

Anyone may upload, so a photo must be cheap to refuse: its dimensions are read from the file's header
(Pillow decodes nothing until load()) and refused before a single pixel is decoded, and a JPEG is decoded
at the reduced scale its decoder offers (draft: 1/2, 1/4 or 1/8), never at full size. A 6 KB PNG claiming
7000 x 7000 pixels costs a millisecond, not 9 s and 500 MB (benchmarks/photo_upload.py measures it).
"""

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
# Decompression bombs (a small file that unpacks into a gigantic bitmap) are refused by these caps.
# JPEG: 40 megapixels, above any phone's usual output (12 to 24 MP; the 48 and 200 MP modes save HEIF or
# RAW, which we do not take); decoded through draft() at most 2x the stored size per side, about 12 MP
# (36 MB) at worst. PNG, WebP and GIF have no reduced decoding, so every pixel is decoded: 16 MP
# (4096 x 4096, 64 MB at most) takes screenshots of a 5K screen and 12 MP phone photos saved as PNG.
MAX_PIXELS = {"JPEG": 40_000_000}
MAX_PIXELS_OTHER = 4096 * 4096


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
            # The size comes from the header: nothing has been decoded yet.
            limit = MAX_PIXELS.get(probe.format, MAX_PIXELS_OTHER)
            if probe.width * probe.height > limit:
                raise ValidationError(
                    _("The photo “%(name)s” has too many pixels (at most %(megapixels)d megapixels). "
                      "Send a smaller copy of it.")
                    % {"name": _short_name(upload), "megapixels": limit // 1_000_000}
                )
            probe.verify()
        # verify() leaves the image unusable; open it again to decode it for real.
        with Image.open(io.BytesIO(data)) as image:
            # A JPEG's decoder shrinks by 1/2, 1/4 or 1/8 as it decodes: no bigger than the photo we keep needs.
            image.draft(None, _stored_size(image.size))
            image.load()
            # In place: a copy of a 12-megapixel photo is another 48 MB.
            ImageOps.exif_transpose(image, in_place=True)
            upright: Image.Image = image
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


def _stored_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size a photo of `size` is stored at: within MAX_EDGE x MAX_EDGE, its shape kept, never enlarged."""
    width, height = size
    scale = min(1.0, MAX_EDGE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent or paletted images onto white, as JPEG has no transparency."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _short_name(upload: UploadedFile) -> str:
    return (upload.name or _("photo"))[-60:]
