"""Importing posts from a CSV file: the management command and the supervisor's console page. All or nothing;
bad rows named by line and column; cells kept as text (a formula-looking cell is a post's text)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from civic311.inbox.models import InboxItem, InboxMessage, PostSource
from civic311.inbox.post_sources import csv_import

pytestmark = pytest.mark.django_db

GOOD = (Path(__file__).parent.parent / "data" / "inbox" / "posts.csv").read_bytes()
HEADER = "uri,text,author_handle,author_name,posted_at,link,lat,long,media_urls\n"


@pytest.fixture
def csv_source(jurisdiction):
    return PostSource.objects.create(
        jurisdiction=jurisdiction,
        name="Mentions export",
        kind=PostSource.Kind.CSV,
        network="mastodon",
        account="@city311@mastodon.example",
    )


def test_a_good_file_is_imported_and_importing_it_again_adds_nothing(csv_source):
    report = csv_import.import_posts(csv_source, GOOD)
    assert report.ok and (report.received, report.duplicates) == (3, 0)
    pothole = InboxMessage.objects.get(external_id="csv-1")
    assert pothole.body == "Pothole on Elm & 5th, it's deep"
    assert (pothole.item.sender, pothole.item.sender_name, pothole.item.source) == (
        "@ana@mastodon.example",
        "Ana Reyes",
        csv_source,
    )
    assert (pothole.lat, pothole.long) == (39.9526, -75.1652)
    assert pothole.media_urls == ["https://files.example/a.jpg", "https://files.example/b.jpg"]
    assert pothole.link == "https://mastodon.example/@ana/1"
    # A cell that looks like a spreadsheet formula is kept exactly as text, never evaluated or dropped.
    assert InboxMessage.objects.get(external_id="csv-2").body == '=HYPERLINK("http://evil.example","click")'
    assert InboxMessage.objects.get(external_id="csv-3").body == "Two lines:\nthe streetlight on Oak is out"
    again = csv_import.import_posts(csv_source, GOOD)
    assert (again.received, again.duplicates) == (0, 3)
    assert InboxMessage.objects.count() == 3


def test_bad_rows_are_all_reported_and_nothing_is_imported(csv_source):
    content = (
        HEADER
        + "ok-1,Fine post,@ana@x.example,,,,,,\n"
        + ",No uri,@bo@x.example,,,,,,\n"
        + "bad-3,Bad place,@cy@x.example,,not a date,ftp://x,91,,\n"
        + "bad-4,,,,,,,,notaurl\n"
    ).encode()
    report = csv_import.import_posts(csv_source, content)
    assert not report.ok
    said = [str(error) for error in report.errors]
    assert "Line 3, column uri: required" in said
    assert "Line 4, column posted_at: not an ISO 8601 time (2026-12-06T18:00:00Z)" in said
    assert "Line 4, column link: not an http(s) URL" in said
    assert "Line 4, column lat: out of range" in said
    assert "Line 4, column lat: give both lat and long, or neither" in said
    assert "Line 5, column text: required" in said and "Line 5, column author_handle: required" in said
    assert "Line 5, column media_urls: not http(s) URLs" in said
    assert not InboxItem.objects.exists()  # not even the good first row


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"uri,text\nx,y\n", "Missing columns: author_handle."),
        ((HEADER + "a,é,@a,,,,,,\n").encode("latin-1"), "not UTF-8"),
        (HEADER.encode(), "no posts"),
        (b"", "Missing columns"),
    ],
)
def test_a_file_that_is_not_the_import_format_is_refused(csv_source, content, said):
    report = csv_import.import_posts(csv_source, content)
    assert not report.ok and said in str(report.errors[0])
    assert not InboxItem.objects.exists()


def test_a_byte_order_mark_and_extra_columns_are_fine(csv_source):
    content = "\ufeffuri,text,author_handle,shares\nbom-1,Hello from a spreadsheet,@ana@x.example,12\n".encode()
    assert csv_import.import_posts(csv_source, content).received == 1


# --- the management command ---------------------------------------------------------------------------------


def test_the_command_imports_a_file(csv_source, jurisdiction, tmp_path, capsys):
    path = tmp_path / "posts.csv"
    path.write_bytes(GOOD)
    call_command("import_posts", "Mentions export", str(path), "--jurisdiction", jurisdiction.slug)
    assert "3 posts imported, 0 imported before." in capsys.readouterr().out
    assert InboxMessage.objects.count() == 3


def test_the_command_lists_bad_rows_and_exits_1(csv_source, jurisdiction, tmp_path, capsys):
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + ",x,@a,,,,,,\n", encoding="utf-8")
    with pytest.raises(CommandError) as failed:
        call_command("import_posts", "Mentions export", str(path), "--jurisdiction", jurisdiction.slug)
    assert failed.value.returncode == 1
    assert "Line 2, column uri: required" in capsys.readouterr().err
    assert not InboxItem.objects.exists()


def test_the_command_refuses_an_unknown_source_or_file(csv_source, webhook_source, jurisdiction, tmp_path):
    path = tmp_path / "posts.csv"
    path.write_bytes(GOOD)
    for name, file in (("Nope", str(path)), (webhook_source.name, str(path)), ("Mentions export", "/no/such.csv")):
        with pytest.raises(CommandError) as failed:
            call_command("import_posts", name, file, "--jurisdiction", jurisdiction.slug)
        assert failed.value.returncode == 2
    assert not InboxItem.objects.exists()


# --- the console page ---------------------------------------------------------------------------------------


def upload(content: bytes = GOOD) -> SimpleUploadedFile:
    return SimpleUploadedFile("posts.csv", content, content_type="text/csv")


def test_an_agent_may_not_import(client, agent, csv_source):
    client.force_login(agent)
    url = reverse("console:post_import")
    assert client.get(url).status_code == 403
    assert client.post(url, {"source": csv_source.pk, "file": upload()}).status_code == 403
    assert not InboxItem.objects.exists()


def test_a_supervisor_imports_a_file(client, staff, csv_source, webhook_source):
    client.force_login(staff)
    url = reverse("console:post_import")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mentions export" in html and webhook_source.name not in html  # CSV sources only
    response = client.post(url, {"source": csv_source.pk, "file": upload()}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "3 posts imported into the inbox; 0 had been imported before." in response.content.decode()
    assert InboxMessage.objects.count() == 3


def test_the_page_shows_bad_rows_and_imports_nothing(client, staff, csv_source):
    client.force_login(staff)
    response = client.post(
        reverse("console:post_import"), {"source": csv_source.pk, "file": upload((HEADER + "x,,@a,,,,,,\n").encode())}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported." in html and "Line 2, column text: required" in html
    assert not InboxItem.objects.exists()


def test_the_page_refuses_a_source_of_another_kind_or_no_file(client, staff, csv_source, webhook_source):
    client.force_login(staff)
    url = reverse("console:post_import")
    assert client.post(url, {"source": webhook_source.pk, "file": upload()}).status_code == 200  # field error
    assert client.post(url, {"source": csv_source.pk}).status_code == 200
    assert not InboxItem.objects.exists()
