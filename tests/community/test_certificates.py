"""Certificates of completion: the PDF names the liaison, the training, its date, trainer, number and city,
in the liaison's language; only community staff and the liaison themselves may download it."""

from __future__ import annotations

import datetime as dt
import re
import zlib

import pytest
from django.urls import reverse

from civic311.community import certificates
from civic311.community.services import training
from civic311.people.models import StaffRole, User

from ..factories import PASSWORD, NeighborhoodFactory, StaffFactory, with_role
from .helpers import accepted_liaison, community_staff, session_data

STARTS = dt.datetime(2026, 3, 9, 22, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(db):
    return community_staff()


def _completed(jurisdiction, staff, *, language="en", email="ana@example.org", first_name="Ana"):
    places = [NeighborhoodFactory(jurisdiction=jurisdiction)]
    liaison = accepted_liaison(places, staff, language=language, email=email, first_name=first_name)
    session = training.create_session(
        jurisdiction, session_data(starts_at=STARTS, title="Spring liaison training"), staff
    )
    registration = training.register(session, liaison, staff, now=STARTS - dt.timedelta(days=3))
    training.record_attendance(session, {liaison: True}, staff, now=STARTS)
    return training.complete(registration, staff, now=STARTS + dt.timedelta(hours=2))


def _streams(pdf: bytes) -> list[bytes]:
    found = []
    for match in re.finditer(rb"/Length (\d+)>>\s*stream\r?\n", pdf):
        try:
            found.append(zlib.decompress(pdf[match.end() : match.end() + int(match.group(1))]))
        except zlib.error:
            continue
    return found


def _drawn_text(pdf: bytes) -> list[str]:
    """The text the PDF draws, read as a reader would: the glyphs of its pages' text arrays through each
    font's ToUnicode map (WeasyPrint subsets fonts, so the words are never in the file as they are typed).
    One reading per font map; the words drawn in that font read right in its reading."""
    streams = _streams(pdf)
    maps = []
    for stream in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.DOTALL):
            maps.append(
                {
                    glyph: bytes.fromhex(code.decode()).decode("utf-16-be")
                    for glyph, code in re.findall(rb"<([0-9a-fA-F]+)> <([0-9a-fA-F]+)>", block)
                }
            )
    glyph_runs = [
        b"".join(re.findall(rb"<([0-9a-fA-F]+)>", array))
        for stream in streams
        if b" TJ" in stream
        for array in re.findall(rb"\[(.*?)\]\s*TJ", stream, re.DOTALL)
    ]
    readings = []
    for mapping in maps:
        width = len(next(iter(mapping))) if mapping else 4
        readings.append(
            "\n".join(
                "".join(mapping.get(run[i : i + width], "?") for i in range(0, len(run), width)) for run in glyph_runs
            )
        )
    return readings


def test_the_certificate_pdf_names_everything(jurisdiction, staff):
    registration = _completed(jurisdiction, staff)
    html = certificates.certificate_html(registration)
    for expected in (
        "Ana Applicant",
        "Spring liaison training",
        "Terry Trainer",
        "NLP-2026-000001",
        "Philadelphia",
        "Neighborhood Liaison Program",
        "Certificate of completion",
        "March 9, 2026",  # completed at 20:00 in Philadelphia (00:00 UTC on the 10th): the city's date
    ):
        assert expected in html
    pdf = certificates.certificate_pdf(registration)
    assert pdf.startswith(b"%PDF")
    drawn = "\n".join(_drawn_text(pdf))
    for expected in ("Ana Applicant", "Spring liaison training", "Terry Trainer", "NLP-2026-000001"):
        assert expected in drawn


def test_the_certificate_is_in_the_liaisons_language(jurisdiction, staff):
    registration = _completed(jurisdiction, staff, language="es")
    html = certificates.certificate_html(registration)
    assert 'lang="es"' in html


def test_an_uncompleted_registration_has_no_certificate(jurisdiction, staff):
    places = [NeighborhoodFactory(jurisdiction=jurisdiction)]
    liaison = accepted_liaison(places, staff)
    session = training.create_session(jurisdiction, session_data(starts_at=STARTS), staff)
    registration = training.register(session, liaison, staff, now=STARTS - dt.timedelta(days=1))
    with pytest.raises(ValueError, match="completed"):
        certificates.certificate_pdf(registration)


def test_staff_and_the_liaison_download_it_and_nobody_else(client, jurisdiction, staff):
    registration = _completed(jurisdiction, staff)
    url = reverse("community:certificate", args=[registration.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/sign-in/" in anonymous["Location"]

    client.login(username=staff.username, password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="certificate-NLP-2026-000001.pdf"' in response["Content-Disposition"]

    client.force_login(User.objects.get(pk=registration.liaison.user_id))
    assert client.get(url).status_code == 200

    other = _completed(jurisdiction, staff, email="bo@example.org", first_name="Bo")
    client.force_login(User.objects.get(pk=other.liaison.user_id))
    assert client.get(url).status_code == 403  # another liaison's

    for role in (StaffRole.AGENT, StaffRole.LEADERSHIP):
        client.force_login(with_role(StaffFactory(username=f"x-{role}"), role))
        assert client.get(url).status_code == 403


def test_a_certificate_not_completed_is_not_found(client, jurisdiction, staff):
    places = [NeighborhoodFactory(jurisdiction=jurisdiction)]
    liaison = accepted_liaison(places, staff)
    session = training.create_session(jurisdiction, session_data(starts_at=STARTS), staff)
    registration = training.register(session, liaison, staff, now=STARTS - dt.timedelta(days=1))
    client.login(username=staff.username, password=PASSWORD)
    assert client.get(reverse("community:certificate", args=[registration.pk])).status_code == 404
