"""What residents read, in every language they read it (issue 21): each language of settings.LANGUAGES has a
complete resident catalogue, the list of resident sources names real files, and `manage.py
resident_catalogue` hands a translator exactly the resident messages of a language."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from civic311.public.catalogues import messages, read_po
from civic311.public.management.commands.resident_catalogue import resident_files
from civic311.public.resident_languages import (
    RESIDENT_LANGUAGES,
    RESIDENT_SOURCES,
    catalogue_path,
    is_resident_message,
    is_resident_source,
    resident_language,
)

from .test_translations import PO_PATH, ROOT, _tool

LOCALE = ROOT / "civic311" / "locale"


def resident_messages() -> dict:
    """The messages the code uses in a resident's sources (from the Spanish catalogue, kept current with the
    code by tests/test_translations.py)."""
    return {key: entry for key, entry in messages(read_po(PO_PATH)).items() if is_resident_message(entry)}


def test_there_are_resident_messages_and_staff_ones_are_not_among_them():
    found = resident_messages()
    assert len(found) > 500
    assert (None, "Tell us where the problem is: an address, or a point on the map.") in found
    assert (None, "Forecast and staffing") not in found  # a supervisor's page


@pytest.mark.parametrize("code", [code for code, _name in settings.LANGUAGES if code != "en"])
def test_every_shipped_language_translates_everything_a_resident_reads(code):
    language = resident_language(code)
    assert language is not None, f"{code} is not one of the languages residents read"
    catalogue = catalogue_path(language)
    assert catalogue.exists(), f"{code} ships without a catalogue"
    translated = messages(read_po(catalogue))
    missing = [key for key in resident_messages() if key not in translated or not translated[key].translated]
    assert not missing, f"{len(missing)} resident messages untranslated in {code}, e.g. {missing[:5]}"


def test_the_shipped_languages_are_residents_languages_and_staff_has_english_and_spanish():
    codes = [code for code, _name in settings.LANGUAGES]
    assert set(codes) <= {language.code for language in RESIDENT_LANGUAGES}
    assert codes[:2] == ["en", "es"]


def test_every_resident_source_names_files_that_exist():
    files = resident_files()
    for source in RESIDENT_SOURCES:
        assert any(file == source or file.startswith(source) for file in files), f"{source} matches no file"
    assert "civic311/public/views.py" in files and "civic311/insights/forecast_views.py" not in files


def test_the_command_writes_a_new_language_s_resident_messages(tmp_path: Path, monkeypatch):
    from civic311.public.management.commands import resident_catalogue

    monkeypatch.setattr(resident_catalogue, "LOCALE", tmp_path / "no-catalogues-yet")
    output = tmp_path / "ar.po"
    call_command("resident_catalogue", "ar", "-o", str(output), stderr=io.StringIO())
    text = output.read_text(encoding="utf-8")
    assert '"Language: ar\\n"' in text and "nplurals=6" in text
    written = messages(read_po(output))
    assert set(written) == set(resident_messages())
    assert not any(entry.translated for entry in written.values())
    plural = next(entry for entry in written.values() if entry.msgid_plural)
    assert sorted(plural.msgstr) == [0, 1, 2, 3, 4, 5]
    subprocess.run([_tool("msgfmt"), "--check", "-o", "/dev/null", str(output)], check=True)


def test_the_command_keeps_a_language_s_translations_so_far(tmp_path: Path):
    output = tmp_path / "ar.po"
    call_command("resident_catalogue", "ar", "-o", str(output), stderr=io.StringIO())
    written = messages(read_po(output))
    drafted = messages(read_po(LOCALE / "ar" / "LC_MESSAGES" / "django.po"))
    assert set(written) == set(resident_messages())
    assert all(written[key].msgstr == drafted[key].msgstr for key in written if key in drafted)
    assert all(entry.translated for entry in written.values())  # the Arabic draft is complete


def test_the_spanish_resident_catalogue_is_the_spanish_translations(tmp_path: Path):
    output = tmp_path / "es.po"
    call_command("resident_catalogue", "es", "-o", str(output), stderr=io.StringIO())
    written = messages(read_po(output))
    assert set(written) == set(resident_messages()) and all(entry.translated for entry in written.values())


@pytest.mark.parametrize("code", ["en", "tlh", ""])
def test_an_unknown_language_is_refused(code):
    with pytest.raises(CommandError, match="not one of the languages residents read") as error:
        call_command("resident_catalogue", code, stdout=io.StringIO())
    assert error.value.returncode == 2


def test_every_catalogue_is_well_formed_and_a_draft_says_so():
    shipped = {language.locale_name for code, _name in settings.LANGUAGES if (language := resident_language(code))}
    folders = sorted(path.parent.parent for path in LOCALE.glob("*/LC_MESSAGES/django.po"))
    assert len(folders) == len(RESIDENT_LANGUAGES) - 1  # every language residents read but English, the source
    for folder in folders:
        catalogue = folder / "LC_MESSAGES" / "django.po"
        subprocess.run([_tool("msgfmt"), "--check", "-o", "/dev/null", str(catalogue)], check=True)
        head = catalogue.read_text(encoding="utf-8")[:400]
        assert folder.name in shipped or "# DRAFT:" in head, f"{folder.name}: not shipped, yet not marked a draft"


def test_staff_pages_in_a_resident_folder_are_not_resident_sources():
    assert not is_resident_source("civic311/public/translation_views.py")
    assert not is_resident_source("civic311/public/templates/translations/overview.html")
    assert is_resident_source("civic311/public/templates/public/report_form.html")
