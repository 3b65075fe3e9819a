"""The review of the resident translations (issue 21): a message's status read from a catalogue and the
stored reviews (draft, reviewed, changed since review, untranslated), marking and withdrawing reviews (all or
nothing, admins only), the overview counts, the reviewers' pages and their POST, the roles refused, the
admin's read-only record and `manage.py translation_reviews`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from civic311.people import roles
from civic311.people.models import StaffRole, User
from civic311.public import translation_selectors as selectors
from civic311.public import translation_services as services
from civic311.public.models import TranslationReview
from civic311.public.resident_languages import RESIDENT_LANGUAGES

from .factories import staff_in_role

pytestmark = pytest.mark.django_db

FRENCH_HEADER = r"""# French translation of what a civic311 resident reads.
# DRAFT: machine-assisted, not yet reviewed by a native speaker (issue 21). Review before a city ships it.
#
msgid ""
msgstr ""
"Language: fr\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"
"""
FRENCH_MESSAGES = r"""
#: civic311/public/views.py:10
msgid "Track a request"
msgstr "Suivre une demande"

#: civic311/public/views.py:20 civic311/insights/forecast_views.py:5
msgctxt "request status"
msgid "Closed"
msgstr "Fermée"

#: civic311/notifications/messages.py:30
msgid "%(count)d business day"
msgid_plural "%(count)d business days"
msgstr[0] "%(count)d jour ouvré"
msgstr[1] "%(count)d jours ouvrés"

#: civic311/public/views.py:40
msgid "Not translated yet"
msgstr ""

#: civic311/public/views.py:50
#, fuzzy
msgid "A fuzzy guess"
msgstr "Une supposition"

#: civic311/insights/forecast_views.py:12
msgid "Forecast and staffing"
msgstr "Prévisions et effectifs"
"""
TRACK = (None, "Track a request")
CLOSED = ("request status", "Closed")
DAYS = (None, "%(count)d business day")
EMPTY = (None, "Not translated yet")
FUZZY = (None, "A fuzzy guess")
STAFF_ONLY = (None, "Forecast and staffing")
FRENCH = next(language for language in RESIDENT_LANGUAGES if language.code == "fr")
OVERVIEW = "/translations/review/"
FRENCH_PAGE = "/translations/review/fr/"


@pytest.fixture
def locale_dir(tmp_path: Path, settings) -> Path:
    """A locale folder with a small French catalogue, the one the pages and the command read."""
    folder = tmp_path / "locale"
    write_catalogue(folder, "fr", FRENCH_HEADER + FRENCH_MESSAGES)
    settings.LOCALE_PATHS = [folder]
    return folder


def write_catalogue(folder: Path, locale_name: str, text: str) -> Path:
    path = folder / locale_name / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edit_catalogue(folder: Path, old: str, new: str) -> None:
    """What a translator does: change a msgstr in the file."""
    path = folder / "fr" / "LC_MESSAGES" / "django.po"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def statuses(locale_dir: Path) -> dict:
    return {message.key: message.status for message in selectors.language_messages(FRENCH, locale_dir=locale_dir)}


@pytest.fixture
def admin() -> User:
    return staff_in_role(StaffRole.ADMIN, username="ada")


@pytest.fixture
def agent() -> User:
    return staff_in_role(StaffRole.AGENT, username="abe")


# --- statuses -------------------------------------------------------------------------------------------------


def test_a_fresh_catalogue_is_drafts_and_untranslated_and_staff_messages_are_left_out(locale_dir):
    assert statuses(locale_dir) == {
        TRACK: "draft",
        CLOSED: "draft",  # one of its references is a resident source
        DAYS: "draft",
        EMPTY: "untranslated",
        FUZZY: "untranslated",  # Django does not use a fuzzy translation
    }
    assert STAFF_ONLY not in statuses(locale_dir)


def test_marking_reviewed_records_the_translation_as_it_reads_now(locale_dir, admin):
    reviews = services.mark_reviewed("fr", [TRACK, CLOSED, DAYS], admin, "  Read by Amélie  ", locale_dir=locale_dir)
    assert len(reviews) == 3
    assert statuses(locale_dir) == {
        TRACK: "reviewed",
        CLOSED: "reviewed",
        DAYS: "reviewed",
        EMPTY: "untranslated",
        FUZZY: "untranslated",
    }
    closed = TranslationReview.objects.get(language="fr", msgctxt="request status", msgid="Closed")
    assert closed.reviewed_text == "Fermée" and closed.reviewed_by == admin and closed.note == "Read by Amélie"
    plural = TranslationReview.objects.get(language="fr", msgctxt="", msgid="%(count)d business day")
    assert plural.reviewed_text == "[0] %(count)d jour ouvré\n[1] %(count)d jours ouvrés"
    # Marking again replaces the review (one per message), it does not add one.
    services.mark_reviewed("fr", [TRACK], admin, locale_dir=locale_dir)
    assert TranslationReview.objects.filter(language="fr").count() == 3


def test_a_translation_changed_in_the_file_shows_as_changed_with_both_texts(locale_dir, admin):
    services.mark_reviewed("fr", [TRACK, DAYS], admin, locale_dir=locale_dir)
    edit_catalogue(locale_dir, 'msgstr "Suivre une demande"', 'msgstr "Suivre une requête"')
    edit_catalogue(locale_dir, 'msgstr[1] "%(count)d jours ouvrés"', 'msgstr[1] "%(count)d jours ouvrables"')
    changed = selectors.language_messages(FRENCH, status="changed", locale_dir=locale_dir)
    assert [message.key for message in changed] == [TRACK, DAYS]
    track = changed[0]
    assert track.reviewed_text == "Suivre une demande" and track.translation == "Suivre une requête"
    assert track.review is not None and track.review.reviewed_by == admin
    # Reviewing it again makes the new text the reviewed one.
    services.mark_reviewed("fr", [TRACK], admin, locale_dir=locale_dir)
    assert statuses(locale_dir)[TRACK] == "reviewed"
    # A translation emptied since its review is untranslated, whatever its review said.
    edit_catalogue(locale_dir, 'msgstr "Suivre une requête"', 'msgstr ""')
    assert statuses(locale_dir)[TRACK] == "untranslated"


def test_withdrawing_a_review_makes_the_message_a_draft_again(locale_dir, admin):
    services.mark_reviewed("fr", [TRACK, CLOSED], admin, locale_dir=locale_dir)
    assert services.withdraw_review("fr", [TRACK], admin, locale_dir=locale_dir) == 1
    assert statuses(locale_dir)[TRACK] == "draft" and statuses(locale_dir)[CLOSED] == "reviewed"
    # Nothing to withdraw for a message never reviewed: refused, and the other review stays.
    with pytest.raises(ValidationError, match="no review to withdraw") as error:
        services.withdraw_review("fr", [CLOSED, DAYS], admin, locale_dir=locale_dir)
    assert error.value.code == "not_reviewed"
    assert statuses(locale_dir)[CLOSED] == "reviewed"


def test_the_overview_counts_every_language_with_a_catalogue(locale_dir, admin):
    write_catalogue(locale_dir, "es", FRENCH_HEADER.replace("# DRAFT", "# Reviewed") + FRENCH_MESSAGES)
    services.mark_reviewed("fr", [TRACK, DAYS], admin, locale_dir=locale_dir)
    edit_catalogue(locale_dir, 'msgstr "Suivre une demande"', 'msgstr "Suivre une requête"')
    rows = {row.language.code: row for row in selectors.overview(locale_dir)}
    assert list(rows) == ["es", "fr"]  # the language menu's order; only those with a catalogue
    french = rows["fr"]
    assert french.counts == {"draft": 1, "changed": 1, "reviewed": 1, "untranslated": 2}
    assert french.total == 5 and french.marked_draft and french.own_name == "français"
    assert rows["es"].counts == {"draft": 3, "changed": 0, "reviewed": 0, "untranslated": 2}
    assert not rows["es"].marked_draft


def test_the_real_catalogues_are_read():
    rows = {row.language.code: row for row in selectors.overview()}
    assert "en" not in rows and "es" in rows
    assert rows["es"].total > 500 and rows["es"].reviewed == 0


# --- refused ----------------------------------------------------------------------------------------------------


def test_a_message_not_in_the_catalogue_refuses_the_lot_and_writes_nothing(locale_dir, admin):
    with pytest.raises(ValidationError, match="Not a resident message of the French catalogue: 'No such text'") as e:
        services.mark_reviewed("fr", [TRACK, (None, "No such text")], admin, locale_dir=locale_dir)
    assert e.value.code == "unknown_message"
    with pytest.raises(ValidationError, match="Not a resident message"):
        services.mark_reviewed("fr", [STAFF_ONLY], admin, locale_dir=locale_dir)
    with pytest.raises(ValidationError, match="Not a resident message"):  # the right text, the wrong context
        services.mark_reviewed("fr", [(None, "Closed")], admin, locale_dir=locale_dir)
    with pytest.raises(ValidationError, match="no translation to review yet: 'A fuzzy guess'"):
        services.mark_reviewed("fr", [TRACK, FUZZY], admin, locale_dir=locale_dir)
    with pytest.raises(ValidationError, match="Choose the messages"):
        services.mark_reviewed("fr", [], admin, locale_dir=locale_dir)
    assert not TranslationReview.objects.exists()


@pytest.mark.parametrize("code", ["en", "tlh", "de", "", "ru"])  # ru: a resident language without a catalogue here
def test_a_language_without_a_catalogue_is_refused(locale_dir, admin, code):
    with pytest.raises(ValidationError, match="not a language with a catalogue to review"):
        services.mark_reviewed(code, [TRACK], admin, locale_dir=locale_dir)
    assert not TranslationReview.objects.exists()


def test_only_admins_review(locale_dir, admin, agent):
    supervisor = staff_in_role(StaffRole.SUPERVISOR)
    assert roles.may_review_translations(admin)
    assert not roles.may_review_translations(agent) and not roles.may_review_translations(supervisor)
    assert not roles.may_review_translations(None)
    with pytest.raises(PermissionDenied):
        services.mark_reviewed("fr", [TRACK], supervisor, locale_dir=locale_dir)
    services.mark_reviewed("fr", [TRACK], admin, locale_dir=locale_dir)
    with pytest.raises(PermissionDenied):
        services.withdraw_review("fr", [TRACK], agent, locale_dir=locale_dir)
    assert TranslationReview.objects.count() == 1


def test_a_review_outlives_its_reviewer_s_account(client, jurisdiction, locale_dir, admin):
    services.mark_reviewed("fr", [TRACK], admin, locale_dir=locale_dir)
    admin.delete()
    review = TranslationReview.objects.get()
    assert review.reviewed_by is None and statuses(locale_dir)[TRACK] == "reviewed"
    client.force_login(staff_in_role(StaffRole.ADMIN))
    assert "Reviewed by a former account" in client.get(FRENCH_PAGE, {"status": "reviewed"}).content.decode()


# --- the pages ---------------------------------------------------------------------------------------------------


def test_the_overview_page(client, jurisdiction, locale_dir, admin):
    services.mark_reviewed("fr", [TRACK], admin, locale_dir=locale_dir)
    client.force_login(admin)
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert reverse("translations:overview") == OVERVIEW
    row = response.content.decode().split('data-language="fr"')[1].split("</tr>")[0]
    assert "français" in row and "French" in row and "Marked as a draft" in row
    figures = [cell.split(">")[-1] for cell in row.split("</a></td>")[:-1]]
    assert figures == ["1", "0", "2", "2"]  # reviewed, changed, draft, untranslated
    assert '<td class="text-end">5</td>' in row


def test_the_language_page_lists_by_status_and_marks_as_reviewed(client, jurisdiction, locale_dir, admin):
    client.force_login(admin)
    response = client.get(FRENCH_PAGE, {"status": "draft"})
    assert response.status_code == 200
    listed = [message.key for message in response.context["page"].object_list]
    assert listed == [TRACK, CLOSED, DAYS]
    html = response.content.decode()
    assert "Suivre une demande" in html and "Mark as reviewed" in html and "Not translated yet" not in html
    choices = [message.choice for message in response.context["page"].object_list]

    response = client.post(f"{FRENCH_PAGE}?status=draft", {"message": choices[:2], "note": "Checked by a speaker"})
    assert response.status_code == 302 and response["Location"] == f"{FRENCH_PAGE}?status=draft"
    assert statuses(locale_dir)[TRACK] == "reviewed" and statuses(locale_dir)[CLOSED] == "reviewed"
    review = TranslationReview.objects.get(msgid="Track a request")
    assert review.reviewed_by == admin and review.note == "Checked by a speaker"
    assert "2 messages marked as reviewed." in client.get(response["Location"]).content.decode()

    edit_catalogue(locale_dir, 'msgstr "Suivre une demande"', 'msgstr "Suivre une requête"')
    response = client.get(FRENCH_PAGE, {"status": "changed"})
    html = response.content.decode()
    assert [message.key for message in response.context["page"].object_list] == [TRACK]
    assert "Suivre une requête" in html and "Suivre une demande" in html and "As reviewed:" in html
    assert "Reviewed by ada" in html and "Withdraw the review" in html

    response = client.post(f"{FRENCH_PAGE}?status=changed", {"message": [choices[0]], "action": "withdraw"})
    assert response.status_code == 302 and statuses(locale_dir)[TRACK] == "draft"


def test_the_language_page_has_fifty_messages_a_page(client, jurisdiction, locale_dir, admin):
    many = "".join(
        f'\n#: civic311/public/views.py:{number}\nmsgid "Message {number}"\nmsgstr "Message {number} en français"\n'
        for number in range(120)
    )
    write_catalogue(locale_dir, "fr", FRENCH_HEADER + many)
    client.force_login(admin)
    first = client.get(FRENCH_PAGE)
    assert len(first.context["page"].object_list) == 50 and "Page 1 of 3" in first.content.decode()
    last = client.get(FRENCH_PAGE, {"page": 3})
    assert [message.msgid for message in last.context["page"].object_list][-1] == "Message 119"
    assert len(last.context["page"].object_list) == 20


def test_a_bad_post_is_refused_and_writes_nothing(client, jurisdiction, locale_dir, admin):
    client.force_login(admin)
    track = selectors.language_messages(FRENCH, locale_dir=locale_dir)[0].choice
    response = client.post(FRENCH_PAGE, {"message": [track, '[null, "No such text"]'], "note": "kept"})
    assert response.status_code == 400
    assert "Not a resident message of the French catalogue: &#x27;No such text&#x27;" in response.content.decode()
    assert response.context["note"] == "kept"
    response = client.post(FRENCH_PAGE, {"message": ["not json"]})
    assert response.status_code == 400 and "The form was not understood" in response.content.decode()
    response = client.post(FRENCH_PAGE, {})
    assert response.status_code == 400 and "Choose the messages you reviewed." in response.content.decode()
    assert not TranslationReview.objects.exists()
    assert client.get(FRENCH_PAGE, {"status": "bogus"}).status_code == 400


@pytest.mark.parametrize("code", ["tlh", "en", "ru"])
def test_an_unknown_language_is_not_found(client, jurisdiction, locale_dir, admin, code):
    client.force_login(admin)
    assert client.get(f"/translations/review/{code}/").status_code == 404
    assert client.post(f"/translations/review/{code}/", {"message": ['[null, "Track a request"]']}).status_code == 404


def test_an_agent_and_a_visitor_are_refused(client, jurisdiction, locale_dir, agent):
    choice = selectors.language_messages(FRENCH, locale_dir=locale_dir)[0].choice
    for url in (OVERVIEW, FRENCH_PAGE):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert client.post(FRENCH_PAGE, {"message": [choice]}).status_code == 302
    client.force_login(agent)
    assert client.get(OVERVIEW).status_code == 403
    assert client.get(FRENCH_PAGE).status_code == 403
    assert client.post(FRENCH_PAGE, {"message": [choice]}).status_code == 403
    assert not TranslationReview.objects.exists()


def test_the_admin_shows_the_reviews_read_only(client, jurisdiction, locale_dir, admin, agent):
    services.mark_reviewed("fr", [TRACK], admin, locale_dir=locale_dir)
    review = TranslationReview.objects.get()
    client.force_login(admin)
    changelist = reverse("admin:public_translationreview_changelist")
    response = client.get(changelist)
    assert response.status_code == 200 and "Track a request" in response.content.decode()
    assert client.get(reverse("admin:public_translationreview_change", args=[review.pk])).status_code == 200
    assert client.get(reverse("admin:public_translationreview_add")).status_code == 403
    assert client.post(reverse("admin:public_translationreview_delete", args=[review.pk])).status_code == 403
    client.force_login(agent)
    assert client.get(changelist).status_code == 403
    assert TranslationReview.objects.count() == 1


# --- the command -------------------------------------------------------------------------------------------------


def test_the_command_prints_the_overview(locale_dir, admin):
    services.mark_reviewed("fr", [TRACK], admin, locale_dir=locale_dir)
    out = io.StringIO()
    call_command("translation_reviews", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["language", "messages", "reviewed", "changed", "draft", "untranslated", "file"]
    assert lines[1].split() == ["fr", "(French)", "5", "1", "0", "2", "2", "draft"]
    assert lines[2].split() == ["all", "5", "1", "0", "2", "2"]
    out = io.StringIO()
    call_command("translation_reviews", "--language", "fr", stdout=out)
    assert len(out.getvalue().splitlines()) == 2


def test_the_command_refuses_a_language_without_a_catalogue(locale_dir):
    with pytest.raises(CommandError, match="not a resident language with a catalogue to review: fr") as error:
        call_command("translation_reviews", "--language", "tlh", stdout=io.StringIO())
    assert error.value.returncode == 2
