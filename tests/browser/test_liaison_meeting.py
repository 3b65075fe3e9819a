"""A neighborhood liaison turns a community meeting's notes into three requests on a phone: pastes the
notes, checks the items the page split out (each with a suggested service), reviews and files all of
them in one step, and sees the three tracking numbers; in English and in Spanish."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from civic311.community.models import CommunityMeeting, LiaisonFiling
from civic311.service_requests.models import Channel, ServiceRequest
from tests.factories import NeighborhoodFactory, ServiceFactory, box

from ..community.helpers import make_liaison
from .conftest import PHONE, recording_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTES = (
    "Notes, Kensington civic association\n"
    "1. Someone tagged the wall of the rec centre with graffiti\n"
    "2. Tires dumped in the lot on Hart Lane\n"
    "3. The lamp at Kensington and Allegheny is dark"
)

HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
)


@pytest.fixture
def city(transactional_db, jurisdiction, department):
    for code, name, keywords, spanish in [
        ("SR-CL01", "Graffiti Removal", "tagging, spray paint", "Eliminación de grafiti"),
        ("SR-ST02", "Illegal Dumping", "dumping, trash, tires", "Vertido ilegal"),
        ("SR-SL01", "Street Light Outage", "light, lamp, dark", "Farola apagada"),
    ]:
        ServiceFactory(
            jurisdiction=jurisdiction,
            department=department,
            code=code,
            name=name,
            keywords=keywords,
            translations={"es": {"name": spanish}},
        )
    return NeighborhoodFactory(
        jurisdiction=jurisdiction, slug="kensington", name="Kensington", boundary=box(-75.14, 39.97, -75.10, 40.0)
    )


@pytest.fixture
def spanish_catalogue(settings, tmp_path):
    """The site's Spanish with the liaison pages' own (kept in .scratch until they join civic311/locale)."""
    scratch = ROOT / ".scratch" / "es" / "filing.po"
    if not scratch.exists() or not shutil.which("msgcat") or not shutil.which("msgfmt"):
        return
    folder = tmp_path / "locale" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    site = ROOT / "civic311" / "locale" / "es" / "LC_MESSAGES" / "django.po"
    merged = folder / "django.po"
    ours = tmp_path / "filing.po"  # the scratch file has no header; msgcat wants its charset
    ours.write_text(HEADER + scratch.read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run(["msgcat", "--use-first", "-o", str(merged), str(site), str(ours)], check=True)  # noqa: S607
    subprocess.run(["msgfmt", "-o", str(folder / "django.mo"), str(merged)], check=True)  # noqa: S607
    settings.LOCALE_PATHS = [str(tmp_path / "locale"), *django_settings.LOCALE_PATHS]


def signed_in(page, live_server, user) -> None:
    """Sign the page in as `user` (a liaison signs in by an e-mailed link; the session is what it leaves)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        ("en-US", {"lang": "en", "file_all": "File all 3 requests", "graffiti": "Graffiti Removal"}),
        ("es-ES", {"lang": "es", "file_all": "Presentar las 3 solicitudes", "graffiti": "Eliminación de grafiti"}),
    ],
)
def test_a_liaison_files_a_meetings_notes_as_three_requests(
    live_server, city, spanish_catalogue, chromium, locale, texts, tmp_path
):
    liaison = make_liaison([city])
    yesterday = (timezone.now().astimezone(liaison.jurisdiction.zone) - dt.timedelta(days=1)).date()
    with recording_page(chromium, locale=locale, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        signed_in(page, live_server, liaison.user)

        # Step 1: the meeting and its notes, pasted.
        page.goto(f"{live_server.url}/liaison/meeting/")
        assert page.locator("html").get_attribute("lang") == texts["lang"]
        page.locator("#id_meeting-name").fill("Kensington civic association")
        page.locator("#id_meeting-held_on").fill(yesterday.isoformat())
        page.locator("#id_meeting-neighborhood").select_option("kensington")
        page.locator("#id_meeting-place").fill("Rec centre")
        page.locator("#id_meeting-notes").fill(NOTES)
        page.locator("button[value=split]").click()

        # Step 2: four items (the heading line too), each with the service its words suggest.
        page.locator("#id_items-0-description").wait_for()
        assert page.locator("#id_items-0-description").input_value() == "Notes, Kensington civic association"
        assert page.locator("#id_items-1-service_code").input_value() == "SR-CL01"
        assert page.locator("#id_items-2-service_code").input_value() == "SR-ST02"
        assert page.locator("#id_items-3-service_code").input_value() == "SR-SL01"
        assert page.locator("#id_items-1-service_code option:checked").inner_text() == texts["graffiti"]
        page.locator("#id_items-0-remove").check()  # the heading is not a problem
        page.locator("#id_items-2-address").fill("2100 Hart Ln")
        page.locator("#id_items-3-description").fill("The lamp at Kensington Ave and Allegheny Ave is dark")
        page.locator("#id_items-3-neighborhood").select_option("")  # and no address: a problem to fix
        page.locator("button[value=review]").click()

        # Back on step 2 with that item's error, the edits kept.
        page.locator("#item-3.field--error").wait_for()
        assert page.locator("#id_items-1-address").input_value() == "2100 Hart Ln"
        assert "Allegheny Ave" in page.locator("#id_items-2-description").input_value()
        page.locator("#id_items-2-address").fill("Kensington Ave and Allegheny Ave")
        page.locator("button[value=review]").click()

        # Step 3: review, then file all in one step.
        file_all = page.locator("button[value=file]")
        file_all.wait_for()
        assert file_all.inner_text() == texts["file_all"]
        assert not ServiceRequest.objects.exists()
        file_all.click()

        page.wait_for_url(re.compile(r"/liaison/meeting/\?filed=\d+$"))
        shown = page.locator(".tracking-number").all_inner_texts()
        meeting = CommunityMeeting.objects.get()
        filed = list(ServiceRequest.objects.order_by("pk"))
        assert shown == [request.tracking_number for request in filed]
        assert [request.service.code for request in filed] == ["SR-CL01", "SR-ST02", "SR-SL01"]
        assert {request.channel for request in filed} == {Channel.LIAISON}
        assert LiaisonFiling.objects.filter(meeting=meeting, liaison=liaison).count() == 3
        assert page.csp_violations == []

        # Their history lists the three, each linked to its public page.
        page.goto(f"{live_server.url}/liaison/filed/")
        for request in filed:
            assert page.locator(f'a[href="/track/{request.tracking_number}/"]').count() == 1


def test_the_meeting_pages_work_without_javascript(live_server, city, chromium):
    liaison = make_liaison([city])
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE, locale="en-US")
    page = context.new_page()
    try:
        signed_in(page, live_server, liaison.user)
        page.goto(f"{live_server.url}/liaison/meeting/")
        page.get_by_label("Meeting", exact=True).fill("Block meeting")
        page.get_by_label("Date of the meeting").fill((timezone.now() - dt.timedelta(days=2)).date().isoformat())
        page.get_by_label("The meeting's notes").fill("- graffiti on the wall\n- tires dumped")
        page.get_by_role("button", name="Split into items").click()
        page.locator("#id_items-0-address").fill("1 Main St")
        page.locator("#id_items-1-address").fill("2 Main St")
        page.get_by_role("button", name="Review").click()
        page.get_by_role("button", name="File all 2 requests").click()
        page.wait_for_url(re.compile(r"/liaison/meeting/\?filed=\d+$"))
        assert page.locator(".tracking-number").count() == 2
    finally:
        context.close()
