"""What one uploaded photo costs civic311: time and peak memory of `process_photo` per upload.

    python benchmarks/photo_upload.py

Makes the files first (a decompression bomb: a 6 KB PNG of 7000 x 7000 pixels, and five of them in one
report; phone-sized JPEGs of 12, 24 and 40 megapixels; a 16-megapixel PNG screenshot, the largest PNG
taken), then checks each one in a fresh Python process, so that the peak resident memory it reports (the
high-water mark less the process's own before the photo, from /proc/self/status: Linux only) is the
photo's alone. Prints milliseconds, megabytes, the outcome and the machine. No database is needed.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")


def bomb_png(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of blank rows: a few KB that Pillow decodes to width x height bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + (zlib.crc32(kind + data) & 0xFFFFFFFF).to_bytes(4, "big")

    compressor = zlib.compressobj(9)
    row = b"\x00" * ((width + 7) // 8 + 1)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def photo_like(size: tuple[int, int], fmt: str) -> bytes:
    """A smooth image with some noise, shaped like a photo (or a screenshot, for PNG)."""
    from PIL import Image

    small = Image.effect_noise((size[0] // 16, size[1] // 16), 60).convert("RGB")
    image = small.resize(size, Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=90) if fmt == "JPEG" else image.save(buffer, format=fmt)
    return buffer.getvalue()


# (label, how to make the file, its name, how many of it one report sends)
CASES = [
    ("bomb: PNG 7000x7000", lambda: bomb_png(7000, 7000), "bomb.png", 1),
    ("five bombs in one report", lambda: bomb_png(7000, 7000), "bomb.png", 5),
    ("phone: JPEG 4032x3024 (12 MP)", lambda: photo_like((4032, 3024), "JPEG"), "12mp.jpg", 1),
    ("phone: JPEG 5712x4284 (24 MP)", lambda: photo_like((5712, 4284), "JPEG"), "24mp.jpg", 1),
    ("large: JPEG 7296x5472 (40 MP)", lambda: photo_like((7296, 5472), "JPEG"), "40mp.jpg", 1),
    ("screenshot: PNG 4096x4096 (16 MP)", lambda: photo_like((4096, 4096), "PNG"), "16mp.png", 1),
]


def _resident_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure_one(path: str, times: int) -> dict[str, object]:
    """In a fresh process: process the photo `times` times, and report the time and the memory it added."""
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civic311.service_requests.photos import process_photo

    content = Path(path).read_bytes()
    process_photo(SimpleUploadedFile("warm-up.png", bomb_png(8, 8)))  # Pillow's plugins loaded first
    before = _resident_kb("VmRSS")
    # Linux: start the high-water mark over from here, so that it is this photo's peak alone.
    Path("/proc/self/clear_refs").write_text("5")
    started = time.perf_counter()
    for _ in range(times):
        try:
            processed = process_photo(SimpleUploadedFile(Path(path).name, content))
            outcome = f"stored {processed.width}x{processed.height}, {len(processed.content) // 1024} KB"
        except ValidationError as error:
            outcome = "refused: " + error.messages[0][:60]
    elapsed = time.perf_counter() - started
    peak = _resident_kb("VmHWM") - before
    return {"ms": elapsed * 1000, "mb": peak / 1024, "outcome": outcome}


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(measure_one(sys.argv[2], int(sys.argv[3]))))
        return 0
    from seed_demo import cpu_model

    with tempfile.TemporaryDirectory(prefix="civic311-photo-bench-") as folder:
        print(f"{'upload':36} {'file':>9} {'time':>9} {'peak memory':>12}  outcome")
        for label, make, name, times in CASES:
            path = Path(folder) / name
            path.write_bytes(make())
            child = subprocess.run(
                [sys.executable, __file__, "--one", str(path), str(times)],
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode:
                print(child.stderr, file=sys.stderr)
                return 1
            result = json.loads(child.stdout.strip().splitlines()[-1])
            size = path.stat().st_size * times
            print(
                f"{label:36} {size / 1024:>6.0f} KB {result['ms']:>6.1f} ms {result['mb']:>9.1f} MB  "
                f"{result['outcome']}"
            )
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
