"""The languages residents read civic311 in, and which of the code's messages a resident meets.

Staff pages ship in English and Spanish; what a resident reads (the public site, its forms and their errors,
the messages sent to them, the neighborhood and transparency pages, the liaison and youth programmes'
pages, certificates and e-mails, the emergency banner) is to ship in the seventeen languages Philly311's app
speaks (issue 21). A language joins `settings.LANGUAGES` only once its resident catalogue is complete:
`tests/test_resident_catalogues.py` fails otherwise. `manage.py resident_catalogue LANG` writes the
messages a translator has to translate for one language (docs/languages.md).

A message is resident-facing when the code uses it in one of `RESIDENT_SOURCES` (the `#:` references of the
catalogue, which makemessages keeps up to date). The list is by file, so a staff string in a resident file
is counted too: translating a few more never hurts a resident.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .catalogues import Entry

# Where a resident reads the code's words (paths from the project's root; a trailing "/" is a folder).
RESIDENT_SOURCES: tuple[str, ...] = (
    "civic311/public/",  # the public site: home, report form, track, my requests, sign-in, help articles
    "civic311/templates/base.html",
    "civic311/templates/_error_page.html",
    "civic311/templates/404.html",
    "civic311/templates/500.html",
    "civic311/templates/503.html",
    "civic311/templates/_report_error_summary.html",
    "civic311/templates/_report_neighborhood.html",
    "civic311/templates/_report_photos.html",
    "civic311/service_requests/lifecycle.py",  # the status names on the track page
    "civic311/knowledge/kinds.py",  # the kind of each help article
    "civic311/service_requests/report_form.py",
    "civic311/service_requests/services/intake.py",  # the report form's errors
    "civic311/service_requests/services/checks.py",  # ... its description, photos and media checks
    "civic311/catalogue/selectors.py",  # ... and the answers to a service's questions
    "civic311/service_requests/services/resident_links.py",  # commenting and reopening from an e-mail's link
    "civic311/outage.py",  # the page a resident gets while the database is away
    "civic311/jurisdictions/lookup_texts.py",  # the address lookups' refusals
    "civic311/service_requests/photos.py",
    "civic311/people/contact_details.py",  # e-mail and phone errors
    "civic311/notifications/",  # every message sent to a resident
    "civic311/emergencies/templates/emergencies/_banner.html",
    "civic311/insights/transparency",  # the transparency page (module, views and template)
    "civic311/insights/templates/insights/transparency.html",
    "civic311/community/neighborhood_views.py",
    "civic311/community/templates/community/neighborhoods/",
    "civic311/community/liaison_views.py",  # the Neighborhood Liaison Program: liaisons are residents
    "civic311/community/filing_views.py",
    "civic311/community/liaison_training_views.py",
    "civic311/community/templates/community/liaison/",
    "civic311/community/templates/community/recruitment/application.html",
    "civic311/community/templates/community/email/",
    "civic311/community/templates/community/youth/certificate_pdf.html",
    "civic311/community/templates/community/youth/certificate_check.html",
    "civic311/community/templates/community/youth/certificate_lookup.html",
    "civic311/community/templates/community/youth/survey_take.html",
    "civic311/community/templates/community/youth/survey_enter.html",
    "civic311/community/templates/community/youth/survey_closed.html",
    "civic311/surveys/templates/surveys/email/",
    "civic311/surveys/fixed.py",  # "was it fixed?", from the survey's e-mail
    "civic311/surveys/templates/surveys/fixed.html",
)

# Staff's pages and tools that live in a resident folder: the translation review pages and their records.
STAFF_SOURCES: tuple[str, ...] = (
    "civic311/public/translation_",
    "civic311/public/templates/translations/",
    "civic311/public/models.py",
    "civic311/public/admin.py",
    "civic311/public/management/",
    "civic311/public/migrations/",
)


@dataclass(frozen=True)
class ResidentLanguage:
    code: str  # Django's language code
    english_name: str
    # The catalogue header's Plural-Forms: GNU gettext's rule (CLDR's) for the language's plural forms.
    plural_forms: str = "nplurals=2; plural=(n != 1);"

    @property
    def locale_name(self) -> str:
        """The catalogue's folder under civic311/locale ("zh_Hans" for "zh-hans")."""
        base, _dash, script = self.code.partition("-")
        return f"{base}_{script.title()}" if script else base


_ONE = "nplurals=1; plural=0;"
_EAST_SLAVIC = "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"

# Philly311's seventeen, in the order of its app's language menu.
RESIDENT_LANGUAGES: tuple[ResidentLanguage, ...] = (
    ResidentLanguage("en", "English"),
    ResidentLanguage("es", "Spanish"),
    ResidentLanguage("zh-hans", "Chinese (Simplified)", _ONE),
    ResidentLanguage("zh-hant", "Chinese (Traditional)", _ONE),
    ResidentLanguage("vi", "Vietnamese", _ONE),
    ResidentLanguage("ru", "Russian", _EAST_SLAVIC),
    ResidentLanguage("ko", "Korean", _ONE),
    ResidentLanguage(
        "ar",
        "Arabic",
        "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    ),
    ResidentLanguage("ht", "Haitian Creole"),
    ResidentLanguage("fr", "French", "nplurals=2; plural=(n > 1);"),
    ResidentLanguage("pt", "Portuguese"),
    ResidentLanguage("sw", "Swahili"),
    ResidentLanguage("km", "Khmer", _ONE),
    ResidentLanguage("it", "Italian"),
    ResidentLanguage(
        "pl", "Polish", "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
    ),
    ResidentLanguage("uk", "Ukrainian", _EAST_SLAVIC),
    ResidentLanguage("bn", "Bengali"),
)
# Staff pages: these at least (every shipped language is complete for staff too when it is one of them).
STAFF_LANGUAGES: tuple[str, ...] = ("en", "es")


def resident_language(code: str) -> ResidentLanguage | None:
    return next((language for language in RESIDENT_LANGUAGES if language.code == code), None)


def is_resident_source(path: str) -> bool:
    """Whether a source file (a catalogue reference, without its line number) is one a resident reads."""
    if any(path.startswith(source) for source in STAFF_SOURCES):
        return False
    return any(path == source or path.startswith(source) for source in RESIDENT_SOURCES)


def is_resident_message(entry: Entry) -> bool:
    """Whether the code uses a catalogue's message where a resident reads it (one of its `#:` references)."""
    return any(is_resident_source(place) for place in entry.references)


def catalogue_path(language: ResidentLanguage, locale_dir: Path | None = None) -> Path:
    """The language's catalogue: `<locale_dir>/<locale_name>/LC_MESSAGES/django.po` (the project's locale
    folder unless told another)."""
    return (locale_dir or Path(settings.LOCALE_PATHS[0])) / language.locale_name / "LC_MESSAGES" / "django.po"
