"""The front-end libraries in civic311/static/vendor/ are exactly those package.json pins, and a page loads
each one (a library nothing uses is dead weight to keep patched: Chart.js was removed for that, and came back
with the forecast page's charts)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "civic311" / "static" / "vendor"
# package.json's name for each vendored folder.
FOLDERS = {"bootstrap": "bootstrap", "chart.js": "chart.js", "htmx": "htmx.org", "leaflet": "leaflet"}


def test_the_vendored_folders_are_the_pinned_libraries():
    folders = {path.name for path in VENDOR.iterdir() if path.is_dir()}
    assert folders == set(FOLDERS)
    assert set(json.loads((ROOT / "package.json").read_text())["dependencies"]) == set(FOLDERS.values())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert set(lock["packages"][""]["dependencies"]) == set(FOLDERS.values())
    versions = (VENDOR / "VERSIONS.txt").read_text()
    assert all(f"\n{name} " in versions for name in FOLDERS.values())  # each with its version


def test_every_vendored_library_is_loaded_by_a_template_or_a_stylesheet():
    sources = [
        path.read_text(encoding="utf-8")
        for pattern in ("*.html", "*.css", "*.js")
        for path in (ROOT / "civic311").rglob(pattern)
        if VENDOR not in path.parents
    ]
    for folder in FOLDERS:
        assert any(f"vendor/{folder}/" in text for text in sources), folder
