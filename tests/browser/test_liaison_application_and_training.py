"""A resident applies to be a neighborhood liaison in English on a phone, another in Spanish; community
staff accept them, schedule a training, register one, take the register, mark the training completed and
download the certificate (a PDF), all in Chromium under the site's CSP."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civic311.community.models import Liaison, LiaisonApplication, TrainingRegistration, TrainingSession
from civic311.notifications.models import OutboundMessage

from ..community.helpers import community_staff
from ..factories import NeighborhoodFactory
from .conftest import PHONE, recording_page, sign_in

pytestmark = pytest.mark.browser

SPANISH = Path(__file__).resolve().parents[2] / ".scratch" / "es" / "recruitment.po"
PHILLY = ZoneInfo("America/New_York")


@pytest.fixture
def spanish(settings, tmp_path):
    """The Spanish of these pages: from the shipped catalog, or (before it is merged there) compiled from
    the translator's file, ahead of the shipped one."""
    if SPANISH.exists():
        folder = tmp_path / "locale" / "es" / "LC_MESSAGES"
        folder.mkdir(parents=True)
        header = (
            'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
            '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        )
        (folder / "django.po").write_text(header + SPANISH.read_text(encoding="utf-8"), encoding="utf-8")
        subprocess.run(
            [shutil.which("msgfmt") or "/usr/bin/msgfmt", "-o", str(folder / "django.mo"), str(folder / "django.po")],
            check=True,
        )
        settings.LOCALE_PATHS = [str(tmp_path / "locale"), *settings.LOCALE_PATHS]


def _apply_in_english(page, live_server):
    page.goto(f"{live_server.url}/community/apply/")
    assert page.get_by_role("heading", name="Become a neighborhood liaison").is_visible()
    page.get_by_role("button", name="Send my application").click()  # nothing filled in
    page.get_by_text("To join the program, agree to its terms.").wait_for()  # once the answer has loaded
    page.get_by_text("Choose at least one neighborhood.").wait_for()  # once the answer has loaded
    page.get_by_label("First name", exact=True).fill("Ana")
    page.get_by_label("Last name", exact=True).fill("Applicant")
    page.get_by_label("E-mail", exact=True).fill("ana@example.org")
    page.get_by_label("Phone (optional)").fill("215-686-8686")
    page.get_by_label("Fishtown").check()
    page.get_by_label("English", exact=True).check()
    page.get_by_label("Vietnamese").check()
    page.get_by_label("How did you hear about the program?").select_option("meeting")
    page.get_by_label("I agree to the program's terms.").check()
    page.get_by_role("button", name="Send my application").click()
    page.wait_for_url(re.compile(r"/community/apply/thank-you/$"))
    page.get_by_role("heading", name="Thank you for applying").wait_for()  # once the answer has loaded
    # The form fits a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _apply_in_spanish(page, live_server):
    page.goto(f"{live_server.url}/community/apply/")
    assert page.get_by_role("heading", name="Hágase enlace vecinal").is_visible()
    assert page.get_by_role("heading", name="Sobre el programa").is_visible()
    page.get_by_role("button", name="Enviar mi solicitud").click()
    page.get_by_text("Para unirse al programa, acepte sus condiciones.").wait_for()  # once the answer has loaded
    page.get_by_text("Escriba su apellido.").wait_for()  # once the answer has loaded
    page.locator("#id_first_name").fill("Beatriz")
    page.locator("#id_last_name").fill("Solicitante")
    page.locator("#id_email").fill("bea@example.org")
    page.get_by_label("Kensington").check()
    page.get_by_label("Chino").check()
    page.locator('input[name="languages"][value="es"]').check()
    page.locator("#id_heard_about").select_option("social")
    page.get_by_label("Acepto las condiciones del programa.").check()
    page.get_by_role("button", name="Enviar mi solicitud").click()
    page.wait_for_url(re.compile(r"/community/apply/thank-you/$"))
    page.get_by_role("heading", name="Gracias por su solicitud").wait_for()  # once the answer has loaded


def test_residents_apply_and_staff_train_and_certify(live_server, transactional_db, jurisdiction, chromium, spanish):
    NeighborhoodFactory(jurisdiction=jurisdiction, slug="fishtown", name="Fishtown")
    NeighborhoodFactory(jurisdiction=jurisdiction, slug="kensington", name="Kensington")
    staff = community_staff()

    with recording_page(chromium, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        _apply_in_english(page, live_server)
        assert page.csp_violations == []
    with recording_page(chromium, locale="es-ES", viewport=PHONE, is_mobile=True, has_touch=True) as page:
        _apply_in_spanish(page, live_server)
        assert page.csp_violations == []
    ana = LiaisonApplication.objects.get(email="ana@example.org")
    bea = LiaisonApplication.objects.get(email="bea@example.org")
    assert (ana.language, bea.language) == ("en", "es") and ana.phone == "+12156868686"
    assert bea.languages == ["es", "zh"]
    spanish_ack = OutboundMessage.objects.get(recipient="bea@example.org")
    assert "Recibimos su solicitud" in spanish_ack.subject

    starts = (dt.datetime.now(PHILLY) + dt.timedelta(days=2)).replace(hour=18, minute=0, second=0, microsecond=0)
    with recording_page(chromium, viewport={"width": 1280, "height": 1000}, accept_downloads=True) as page:
        sign_in(page, live_server, "/community/", staff)
        assert page.locator("#pending-count").inner_text() == "2"
        page.get_by_role("link", name="Review applications").click()
        page.get_by_role("link", name="Ana Applicant").click()
        page.get_by_role("button", name="Accept the application").click()
        assert page.locator("#application-status").inner_text() == "Accepted"
        page.goto(f"{live_server.url}/community/applications/{bea.pk}/")
        page.get_by_role("button", name="Accept the application").click()
        assert Liaison.objects.count() == 2

        page.goto(f"{live_server.url}/community/trainings/new/")
        page.get_by_label("Title").fill("Fishtown liaison training")
        page.get_by_label("Starts").fill(starts.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Ends").fill((starts + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Place", exact=True).fill("Fishtown Library")
        page.get_by_label("Trainer").fill("Terry Trainer")
        page.get_by_label("Capacity").fill("12")
        page.get_by_role("button", name="Schedule the session").click()
        page.wait_for_url(re.compile(r"/community/trainings/\d+/$"))
        session = TrainingSession.objects.get()
        assert session.starts_at == starts.astimezone(dt.UTC)
        ana_liaison = Liaison.objects.get(email="ana@example.org")
        page.get_by_label("Liaison", exact=True).select_option(str(ana_liaison.pk))
        page.get_by_role("button", name="Register", exact=True).click()
        assert page.locator("#registrations").get_by_text("Ana Applicant").is_visible()
        assert page.csp_violations == []

        # The session has begun: take the register, then mark the training completed.
        with time_machine.travel(session.starts_at + dt.timedelta(minutes=30), tick=True):
            page.reload()
            page.get_by_label("Ana attended").check()
            page.get_by_role("button", name="Save the register").click()
            page.get_by_role("button", name="Mark Ana completed").click()
            registration = TrainingRegistration.objects.get()
            assert registration.certificate_number.startswith("NLP-")
            with page.expect_download() as download:
                page.get_by_role("link", name=f"Certificate {registration.certificate_number}").click()
            assert download.value.suggested_filename == f"certificate-{registration.certificate_number}.pdf"
            with open(download.value.path(), "rb") as pdf:
                assert pdf.read(5) == b"%PDF-"
        assert page.csp_violations == []
    ana_liaison.refresh_from_db()
    assert ana_liaison.status == Liaison.Status.ACTIVE
    assert set(ana_liaison.user.role_assignments.values_list("neighborhood__name", flat=True)) == {"Fishtown"}
