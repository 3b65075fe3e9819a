"""The Spanish catalogue: complete, well-formed, up to date with the code, and actually used by Django.

A shipped language must be complete (see LANGUAGES in civic311/settings.py): a resident who picks Spanish
should never meet an English sentence that the code wrote. These tests need GNU gettext (msgfmt, and
xgettext for makemessages); bin/setup installs it, so they are skipped only on a machine without it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

from civic311.public.catalogues import messages, read_po

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "civic311" / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"GNU gettext's {name} is not installed (bin/setup installs the gettext package)")
    return path


# --- 1. complete and well-formed --------------------------------------------------------------------


def test_msgfmt_finds_every_message_translated_and_well_formed():
    result = subprocess.run(
        [_tool("msgfmt"), "--statistics", "--check", "--check-format", "-o", os.devnull, str(PO_PATH)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ translated messages?\.\n", result.stderr), result.stderr


def test_the_header_declares_spanish_and_two_plural_forms():
    header = next(entry for entry in read_po(PO_PATH) if entry.msgid == "" and entry.msgctxt is None)
    assert "fuzzy" not in header.flags
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields["Language"] == "es"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


_PLACEHOLDER = re.compile(r"%\([^)]+\)[sd]|%[sd]|\{[a-z_]*\}|</?[a-z][^>]*>")


def _outer_spaces(text: str) -> tuple[str, str]:
    return text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]


def test_every_translation_keeps_the_placeholders_tags_and_outer_spacing():
    problems = []
    for entry in messages(read_po(PO_PATH)).values():
        if not entry.translated:
            problems.append(f"untranslated or fuzzy: {entry.msgid!r}")
        for index, translated in entry.msgstr.items():
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            if sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(translated)):
                problems.append(f"placeholders or tags differ: {source!r} -> {translated!r}")
            if _outer_spaces(source) != _outer_spaces(translated):
                problems.append(f"leading or trailing spaces differ: {source!r} -> {translated!r}")
    assert not problems, "\n".join(problems)


# --- 2. up to date with the code ---------------------------------------------------------------------


def test_every_message_in_the_code_is_translated(tmp_path):
    """makemessages, run on a copy of the code, finds nothing the committed catalogue lacks or no longer needs."""
    for tool in ("xgettext", "msgmerge", "msguniq", "msgattrib"):
        _tool(tool)
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "civic311", copy / "civic311", ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy2(ROOT / "manage.py", copy / "manage.py")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "civic311.settings",
        "CIVIC311_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "1",
        "LC_ALL": "C.UTF-8",
    }
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "es",
            "--ignore=.venv",
            "--ignore=node_modules",
            "--ignore=tests",
            "--ignore=civic311/static/vendor/*",
            "--no-obsolete",
            "--verbosity=0",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    regenerated = messages(read_po(copy / PO_PATH.relative_to(ROOT)))
    committed = messages(read_po(PO_PATH))

    missing = [key for key in regenerated if key not in committed or not committed[key].translated]
    assert not missing, f"run makemessages -l es and translate these: {missing}"
    plurals = [key for key, entry in regenerated.items() if entry.msgid_plural != committed[key].msgid_plural]
    assert not plurals, f"the plural form changed in the code: {plurals}"
    stale = [key for key in committed if key not in regenerated]
    assert not stale, f"no longer in the code (run makemessages -l es --no-obsolete): {stale}"


# --- 3. Django speaks Spanish --------------------------------------------------------------------------


def test_django_serves_the_spanish_catalogue():
    assert ("es", "Spanish") in [(code, str(name)) for code, name in settings.LANGUAGES]
    assert MO_PATH.exists() and MO_PATH.stat().st_mtime >= PO_PATH.stat().st_mtime, (
        "django.mo is missing or older than django.po: run bin/setup (or manage.py compilemessages -l es)"
    )
    with translation.override("es"):
        assert gettext("Closed") == "Cerrada"
        assert gettext("Enter a ZIP code like 19107.") == "Escriba un código postal como 19107."
        assert gettext("Report received: tracking number %(number)s") % {"number": "10000001"} == (
            "Reporte recibido: número de seguimiento 10000001"
        )
        assert gettext("Thank you: your report has been received") == "Gracias: hemos recibido su reporte"
        assert gettext("Track a request") == "Consultar una solicitud"
        assert ngettext("%(count)d business day", "%(count)d business days", 1) % {"count": 1} == "1 día hábil"
        assert ngettext("%(count)d business day", "%(count)d business days", 5) % {"count": 5} == "5 días hábiles"
        assert pgettext("long date format", "l, F j, Y") == r"l j \d\e F \d\e Y"
        assert pgettext("clock time format", "g:i a") == "H:i"
        assert gettext("Characters left: {count}").format(count=12) == "Caracteres restantes: 12"
    with translation.override("en"):
        assert gettext("Closed") == "Closed"
