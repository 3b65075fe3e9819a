"""Photos: judged by their content, re-encoded as JPEG, stripped of EXIF (the phone's GPS position and make)
and any other metadata, turned upright, shrunk, and stored under a name of our own."""

from __future__ import annotations

import io
import random
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image, ImageFile, PngImagePlugin

from civic311.service_requests.models import Photo
from civic311.service_requests.photos import MAX_EDGE, process_photo
from civic311.service_requests.services import Report, submit

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def upload(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def noise(size: tuple[int, int]) -> Image.Image:
    """An image that does not compress well, so that byte sizes are predictable."""
    return Image.frombytes("RGB", size, random.Random(311).randbytes(size[0] * size[1] * 3))


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "ACME Phone 12"
    if orientation:
        exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (39.0, 57.0, 9.36)
    gps[3] = "W"
    gps[4] = (75.0, 9.0, 49.2)
    return exif


def decoded(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def jpeg_segments(content: bytes) -> list[int]:
    """The JPEG marker segments before the image data (APPn, COM, DQT...)."""
    markers, position = [], 2
    assert content[:2] == b"\xff\xd8"
    while position < len(content):
        assert content[position] == 0xFF
        marker = content[position + 1]
        if marker == 0xDA:  # start of scan: the image data follows
            break
        length = struct.unpack(">H", content[position + 2 : position + 4])[0]
        markers.append(marker)
        position += 2 + length
    return markers


def close_to(colour, expected, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


# --- what comes out -----------------------------------------------------------------------------------


def test_a_jpeg_with_gps_comes_out_re_encoded_without_exif():
    original = encode(Image.new("RGB", (80, 60), (200, 30, 30)), "JPEG", exif=gps_exif())
    assert decoded(original).getexif().get_ifd(GPS_IFD)  # the test photo really does carry a position

    processed = process_photo(upload(original))

    image = decoded(processed.content)
    assert image.format == "JPEG"
    assert processed.extension == "jpg"
    assert (processed.width, processed.height) == image.size == (80, 60)
    assert "exif" not in image.info
    assert dict(image.getexif()) == {}
    assert not image.getexif().get_ifd(GPS_IFD)
    assert b"Exif" not in processed.content
    assert b"ACME" not in processed.content
    assert 0xE1 not in jpeg_segments(processed.content)  # no APP1 (EXIF or XMP) segment at all
    assert processed.content != original


def test_a_jpeg_comment_does_not_survive():
    original = encode(Image.new("RGB", (40, 30)), "JPEG", comment=b"Taken by Pat Resident at 1400 JFK Blvd")
    assert decoded(original).info.get("comment")
    processed = process_photo(upload(original))
    assert b"Pat Resident" not in processed.content
    assert 0xFE not in jpeg_segments(processed.content)  # no COM segment


def test_a_png_text_comment_does_not_survive():
    text = PngImagePlugin.PngInfo()
    text.add_text("comment", "Pat Resident lives here")
    processed = process_photo(upload(encode(Image.new("RGB", (40, 30)), "PNG", pnginfo=text), "p.png"))
    assert b"Pat Resident" not in processed.content


def test_an_overlong_comment_does_not_make_a_good_photo_unreadable():
    text = PngImagePlugin.PngInfo()
    text.add_text("comment", "x" * 70_000)  # longer than a JPEG COM segment can hold
    processed = process_photo(upload(encode(Image.new("RGB", (40, 30)), "PNG", pnginfo=text), "p.png"))
    assert decoded(processed.content).size == (40, 30)


def test_exif_orientation_is_applied_so_the_photo_comes_out_upright():
    # Stored sideways: 80 wide, 40 high, red on the left half, blue on the right. Orientation 6 says
    # "turn 90° clockwise to view", so upright it is 40 wide, 80 high, red on top, blue below.
    sideways = Image.new("RGB", (80, 40), (0, 0, 255))
    sideways.paste((255, 0, 0), (0, 0, 40, 40))
    processed = process_photo(upload(encode(sideways, "JPEG", exif=gps_exif(orientation=6), quality=95)))
    image = decoded(processed.content).convert("RGB")
    assert image.size == (40, 80) == (processed.width, processed.height)
    assert close_to(image.getpixel((20, 15)), (255, 0, 0))
    assert close_to(image.getpixel((20, 65)), (0, 0, 255))
    assert ORIENTATION not in image.getexif()  # nothing left to turn it a second time


def test_a_transparent_png_becomes_a_jpeg_on_white():
    picture = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    picture.paste((0, 128, 0, 255), (30, 0, 60, 40))
    processed = process_photo(upload(encode(picture, "PNG"), "drawing.png"))
    image = decoded(processed.content)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert close_to(image.getpixel((10, 20)), (255, 255, 255))  # transparent → white, not black
    assert close_to(image.getpixel((50, 20)), (0, 128, 0))


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("P", "GIF"), ("LA", "PNG"), ("I;16", "PNG"), ("CMYK", "JPEG"), ("L", "JPEG"), ("RGB", "WEBP"), ("1", "PNG")],
)
def test_other_readable_formats_and_modes_become_jpeg(mode, fmt):
    processed = process_photo(upload(encode(Image.new(mode, (30, 20)), fmt), f"photo.{fmt.lower()}"))
    image = decoded(processed.content)
    assert image.format == "JPEG"
    assert image.mode in ("RGB", "L")
    assert image.size == (30, 20)


@pytest.mark.parametrize(
    ("size", "expected"),
    [((4000, 1000), (2048, 512)), ((1500, 3000), (1024, 2048)), ((2048, 2048), (2048, 2048)), ((2049, 10), (2048, 10))],
)
def test_a_photo_larger_than_the_maximum_edge_is_shrunk_keeping_its_shape(size, expected):
    processed = process_photo(upload(encode(Image.new("RGB", size, (10, 20, 30)), "JPEG")))
    assert (processed.width, processed.height) == decoded(processed.content).size == expected
    assert max(expected) <= MAX_EDGE


def test_a_small_photo_is_not_enlarged():
    processed = process_photo(upload(encode(Image.new("RGB", (32, 24)), "PNG"), "tiny.png"))
    assert (processed.width, processed.height) == (32, 24)


# --- what is refused ------------------------------------------------------------------------------------


def test_a_photo_over_the_byte_limit_is_refused():
    content = encode(noise((200, 200)), "PNG")
    assert len(content) > 20_000
    with override_settings(CIVIC311_PHOTO_MAX_BYTES=20_000), pytest.raises(ValidationError) as caught:
        process_photo(upload(content, "big.png"))
    assert "big.png" in caught.value.messages[0]
    with override_settings(CIVIC311_PHOTO_MAX_BYTES=len(content)):
        process_photo(upload(content, "big.png"))  # exactly at the limit is fine


def test_a_photo_that_lies_about_its_size_is_still_refused():
    content = encode(noise((200, 200)), "PNG")
    lying = upload(content, "small.png")
    lying.size = 100
    with override_settings(CIVIC311_PHOTO_MAX_BYTES=20_000), pytest.raises(ValidationError):
        process_photo(lying)


def test_a_text_file_named_photo_jpg_is_refused():
    with pytest.raises(ValidationError) as caught:
        process_photo(upload(b"Dear City, please fix the pothole.\n", "photo.jpg"))
    assert "photo.jpg" in caught.value.messages[0]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError):
        process_photo(upload(b"", "photo.jpg"))


def test_a_truncated_jpeg_is_refused():
    content = encode(noise((300, 300)), "JPEG", quality=90)
    with pytest.raises(ValidationError):
        process_photo(upload(content[: len(content) // 2]))


def test_a_truncated_jpeg_is_refused_after_a_pdf_was_made_in_the_process():
    # WeasyPrint's import turns on Pillow's process-wide "load truncated images"; civic311.pdf turns it off.
    from civic311.pdf import render_pdf

    assert render_pdf("<p>Report</p>").startswith(b"%PDF-")
    content = encode(noise((300, 300)), "JPEG", quality=90)
    with pytest.raises(ValidationError):
        process_photo(upload(content[: len(content) // 2]))


def test_a_truncated_png_is_refused():
    content = encode(noise((100, 100)), "PNG")
    with pytest.raises(ValidationError):
        process_photo(upload(content[: len(content) // 2], "photo.png"))


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "PDF"])
def test_a_format_we_do_not_take_is_refused(fmt):
    with pytest.raises(ValidationError):
        process_photo(upload(encode(Image.new("RGB", (20, 20)), fmt), f"photo.{fmt.lower()}"))


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims enormous dimensions: a decompression bomb's calling card."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height"),
    [(8000, 8000), (40_000, 40_000), (1, 60_000_000)],
    ids=["64-megapixels", "1.6-gigapixels", "one-pixel-wide"],
)
def test_a_decompression_bomb_is_refused_without_decoding_it(width, height):
    content = _png_header_only(width, height)
    assert len(content) < 200
    with pytest.raises(ValidationError):
        process_photo(upload(content, "bomb.png"))


def test_a_gif_claiming_a_huge_canvas_is_refused():
    gif = bytearray(encode(Image.new("P", (10, 10)), "GIF"))
    gif[6:10] = struct.pack("<HH", 65535, 65535)  # the logical screen: 4.3 gigapixels
    with pytest.raises(ValidationError):
        process_photo(upload(bytes(gif), "bomb.gif"))


def _blank_png(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of blank rows: the issue's 6 KB file that decodes to 7000 x 7000 pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    compressor = zlib.compressobj(9)
    row = b"\x00" * ((width + 7) // 8 + 1)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def decoded_sizes(monkeypatch):
    """The sizes Pillow decodes images at (a spy: decoding still happens)."""
    sizes: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def load(self):
        if self.tile:  # not yet decoded
            sizes.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


def test_a_6_kb_png_of_7000_by_7000_pixels_is_refused_before_anything_is_decoded(decoded_sizes):
    content = _blank_png(7000, 7000)
    assert len(content) < 8_000
    assert decoded(content).size == (7000, 7000)  # a real image, that Pillow would decode whole
    decoded_sizes.clear()
    with pytest.raises(ValidationError) as caught:
        process_photo(upload(content, "blank.png"))
    assert "too many pixels (at most 16 megapixels)" in caught.value.messages[0]
    assert decoded_sizes == []


@pytest.mark.parametrize(
    ("fmt", "size", "refused"),
    [
        ("PNG", (4096, 4096), False),
        ("PNG", (4097, 4096), True),
        ("JPEG", (8000, 5000), False),
        ("JPEG", (8000, 5001), True),
    ],
)
def test_the_pixel_caps_are_16_megapixels_and_40_for_jpeg(fmt, size, refused):
    # Headers that claim the size (a JPEG's SOF, a PNG's IHDR) on a tiny real image: refused or read on.
    content = bytearray(encode(Image.new("L", (16, 16)), fmt))
    if fmt == "PNG":
        content = bytearray(_png_header_only(*size))
    else:
        sof = content.index(b"\xff\xc0")
        content[sof + 5 : sof + 9] = struct.pack(">HH", size[1], size[0])
    try:
        process_photo(upload(bytes(content), f"photo.{fmt.lower()}"))
        message = ""
    except ValidationError as error:  # under the cap, the (missing) pixels are what is wrong
        message = error.messages[0]
    assert ("too many pixels" in message) is refused


def test_a_big_jpeg_is_decoded_at_a_reduced_size_not_whole(decoded_sizes):
    content = encode(Image.new("RGB", (6000, 4000), (90, 120, 60)), "JPEG", quality=80)
    processed = process_photo(upload(content, "big.jpg"))
    assert (processed.width, processed.height) == (2048, 1365)
    # draft(): the decoder shrank it by half as it decoded (3000 x 2000), never 24 megapixels in memory.
    assert decoded_sizes[-1] == (3000, 2000)


def _progressive_jpeg(width: int, height: int, extra_scans: int = 0) -> bytes:
    """A tiny progressive JPEG whose SOF claims width x height, with `extra_scans` empty scans appended:
    libjpeg passes over the whole image once for each."""
    content = encode(Image.new("RGB", (64, 64), (10, 200, 30)), "JPEG", progressive=True)
    sof = content.index(b"\xff\xc2")
    content = content[: sof + 5] + struct.pack(">HH", height, width) + content[sof + 9 :]
    sos = content.index(b"\xff\xda")
    scan_header = content[sos : sos + 2 + struct.unpack(">H", content[sos + 2 : sos + 4])[0]]
    return content[:sos] + scan_header + (b"\x00\x00" + scan_header) * extra_scans + b"\xff\xd9"


def test_a_jpeg_of_thousands_of_empty_scans_is_refused_before_anything_is_decoded(decoded_sizes):
    # 32 KB that took seconds of CPU: each scan is another pass over 4 megapixels.
    content = _progressive_jpeg(2000, 2000, extra_scans=2000)
    with pytest.raises(ValidationError, match="not a photo we can read"):
        process_photo(upload(content, "scans.jpg"))
    assert decoded_sizes == []


def test_a_progressive_jpeg_gets_the_16_megapixel_cap(decoded_sizes):
    # Its decoder holds every coefficient at full size whatever draft() asks: 40 MP would be ~240 MB.
    with pytest.raises(ValidationError, match=r"too many pixels \(at most 16 megapixels\)"):
        process_photo(upload(_progressive_jpeg(6000, 6600), "progressive.jpg"))
    assert decoded_sizes == []
    assert process_photo(upload(_progressive_jpeg(4000, 4000), "progressive.jpg")).width == 2048


def test_ordinary_jpegs_are_not_taken_for_scan_bombs():
    # libjpeg's progression (10 scans), an EXIF thumbnail (a JPEG of its own, its own FF DA inside the APP1
    # segment) and data after the end of the image (a motion photo's video) count no scans.
    photo = Image.effect_mandelbrot((1200, 800), (-2, -1, 1, 1), 50).convert("RGB")
    thumbnails = encode(Image.new("RGB", (160, 120)), "JPEG") * 40  # 40 scans' markers, inside the APP1
    for options in ({}, {"progressive": True}, {"progressive": True, "optimize": True}):
        content = encode(photo, "JPEG", exif=gps_exif().tobytes() + thumbnails, **options) + b"\xff\xda" * 200
        assert process_photo(upload(content)).width == 1200, options


# --- where photos are stored ----------------------------------------------------------------------------


def test_stored_photos_live_under_the_jurisdiction_and_request_with_a_random_name(jurisdiction, service, center_city):
    photos = [
        upload(encode(Image.new("RGB", (64, 48)), "JPEG", exif=gps_exif()), "IMG_0001 Pat's house.jpg"),
        upload(encode(Image.new("RGB", (30, 20)), "PNG"), "../../etc/passwd.png"),
    ]
    request = submit(
        jurisdiction, Report(service_code=service.code, lat="39.9526", long="-75.1635", photos=photos)
    ).service_request
    stored = list(Photo.objects.filter(service_request=request).order_by("pk"))
    assert len(stored) == 2
    pattern = re.compile(rf"^photos/{jurisdiction.pk}/{request.pk}/[0-9a-f]{{32}}\.jpg$")
    for photo in stored:
        assert photo.image.name is not None
        assert pattern.match(photo.image.name), photo.image.name
        path = Path(django_settings.MEDIA_ROOT) / photo.image.name
        assert path.is_file()
        assert b"ACME" not in path.read_bytes()
        assert decoded(path.read_bytes()).format == "JPEG"
    assert stored[0].image.name != stored[1].image.name
    assert [(photo.width, photo.height) for photo in stored] == [(64, 48), (30, 20)]
    assert all(photo.is_public and photo.stage == Photo.Stage.BEFORE for photo in stored)


def test_photo_files_are_removed_when_the_request_is_not_saved(jurisdiction, service, center_city, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from civic311.service_requests import services as intake

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    photo = upload(encode(Image.new("RGB", (64, 48)), "JPEG"))
    with pytest.raises(RuntimeError):  # a write after the photos were stored fails: everything is rolled back
        intake.submit(
            jurisdiction,
            Report(service_code=service.code, lat="39.9526", long="-75.1635", photos=[photo]),
            also=fail,
        )
    assert not Photo.objects.exists()
    assert not list(tmp_path.rglob("*.jpg"))


def test_a_phones_mpo_photo_is_kept_as_its_first_image_without_its_gps():
    first, second = Image.new("RGB", (640, 480), (255, 0, 0)), Image.new("RGB", (640, 480), (0, 0, 255))
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[second], exif=gps_exif())
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    photo = process_photo(upload(buffer.getvalue(), "PXL_20261206.jpg"))
    kept = decoded(photo.content)
    assert (kept.format, kept.size) == ("JPEG", (640, 480))
    assert not kept.getexif()
    assert close_to(kept.getpixel((320, 240)), (255, 0, 0))  # the first image, not the second
