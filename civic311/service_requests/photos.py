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
# A progressive JPEG is decoded into a buffer of every coefficient at full size, whatever draft() asks for
# (6 bytes a pixel at worst: 240 MB for 40 MP from a 240-byte file), and each of its scans is another pass
# over the whole image (80 KB of empty scans took 7 s). Progressive ones get the other formats' cap, and
# no JPEG more scans than any encoder writes (libjpeg's progression has 10, mozjpeg's a few more).
MAX_JPEG_SCANS = 64


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
        _("“%(name)s” is not a photo we can read. Send a JPEG, PNG, WebP or GIF image.") % {"name": _short_name(upload)}
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # A phone's MPO (Android "Ultra HDR", 3D cameras) is a JPEG with more images after it: we keep
            # the first, as any JPEG reader shows it.
            kind = "JPEG" if probe.format == "MPO" else probe.format
            if kind not in ACCEPTED_FORMATS:
                raise not_an_image
            # The size comes from the header: nothing has been decoded yet.
            progressive = kind == "JPEG" and probe.info.get("progressive")
            limit = MAX_PIXELS_OTHER if progressive else MAX_PIXELS.get(kind, MAX_PIXELS_OTHER)
            if probe.width * probe.height > limit:
                raise ValidationError(
                    _(
                        "The photo “%(name)s” has too many pixels (at most %(megapixels)d megapixels). "
                        "Send a smaller copy of it."
                    )
                    % {"name": _short_name(upload), "megapixels": limit // 1_000_000}
                )
            if kind == "JPEG" and _jpeg_scans(data) > MAX_JPEG_SCANS:
                raise not_an_image
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


def _jpeg_scans(data: bytes) -> int:
    """How many scans (SOS segments) a JPEG has, read from its markers before anything is decoded.

    Segments are skipped by their length, so bytes inside an EXIF thumbnail or data after the end of the
    image (a phone's motion-photo video) are never taken for a marker. Inside a scan every FF byte is
    followed by 00 (stuffing), a restart marker (D0-D7) or more FF (fill): anything else is the next marker.
    """
    scans, position, end = 0, 2, len(data)
    while position + 4 <= end:
        if data[position] != 0xFF:  # libjpeg skips bytes that are no marker (with a warning): so do we
            position = data.find(b"\xff", position)
            if position == -1:
                break
            continue
        marker = data[position + 1]
        if marker in (0xFF, 0x00):  # a fill byte before a marker; FF 00 is skipped like other stray bytes
            position += 1 if marker == 0xFF else 2
            continue
        if marker == 0xD9:  # end of image
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            position += 2
            continue
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
        if marker != 0xDA:
            continue
        scans += 1
        while (position := data.find(b"\xff", position)) != -1 and position + 1 < end:
            following = data[position + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                position += 1 if following == 0xFF else 2
                continue
            break
        else:
            break
    return scans


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
