"""Issue 17 Part B: a department closes a request with its after photo in one step (the work app's status
form), so that a walk's requests show their before and after photos side by side. Both or neither."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, Photo

from ..factories import jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk_request(world):
    """A request of the work pages' small city, filed with a photo from before (`world`: tests/conftest.py)."""
    return world.file(world.pothole, description="Deep hole", photos=[jpeg()])


def close(client, number, **fields):
    data = {"status-to_status": "closed", "status-public_reason": "Repair Completed", **fields}
    return client.post(reverse("work:change_status", args=[number]), data)


def test_closing_with_an_after_photo_stores_it_as_after_and_public(client, world, walk_request):
    client.force_login(world.streets_worker)
    response = close(client, walk_request.tracking_number, **{"status-after_photo": jpeg(color=(0, 200, 0))})
    assert response.status_code == 302
    walk_request.refresh_from_db()
    assert walk_request.status == Status.CLOSED
    stages = sorted((photo.stage, photo.is_public) for photo in walk_request.photos.all())
    assert stages == [(Photo.Stage.AFTER, True), (Photo.Stage.BEFORE, True)]
    assert walk_request.history.filter(kind=HistoryEntry.Kind.PHOTO, is_public=True).count() == 1


def test_a_bad_after_photo_keeps_the_request_open_and_says_why(client, world, walk_request):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.streets_worker)
    response = close(
        client, walk_request.tracking_number, **{"status-after_photo": SimpleUploadedFile("a.png", b"no", "image/png")}
    )
    assert response.status_code == 400 and "is not a photo we can read" in response.content.decode()
    walk_request.refresh_from_db()
    assert walk_request.status == Status.NEW and walk_request.closed_at is None
    assert walk_request.photos.filter(stage=Photo.Stage.AFTER).count() == 0
    assert not walk_request.history.filter(kind=HistoryEntry.Kind.STATUS).exists()


def test_an_after_photo_goes_only_with_closing(client, world, walk_request):
    client.force_login(world.streets_worker)
    response = client.post(
        reverse("work:change_status", args=[walk_request.tracking_number]),
        {"status-to_status": "in_progress", "status-after_photo": jpeg()},
    )
    assert response.status_code == 400 and "goes with closing" in response.content.decode()
    walk_request.refresh_from_db()
    assert walk_request.status == Status.NEW and walk_request.photos.count() == 1


def test_closing_without_a_photo_still_works_and_the_reopen_form_has_no_photo(client, world, walk_request):
    client.force_login(world.streets_worker)
    page = client.get(reverse("work:request", args=[walk_request.tracking_number])).content.decode()
    assert 'name="status-after_photo"' in page and 'enctype="multipart/form-data"' in page
    assert close(client, walk_request.tracking_number).status_code == 302
    page = client.get(reverse("work:request", args=[walk_request.tracking_number])).content.decode()
    assert 'name="status-after_photo"' not in page


def test_the_rule_itself_rolls_back_the_closing_when_the_photo_is_refused(world, walk_request, settings):
    from django.core.exceptions import ValidationError

    from civic311.work import services

    settings.CIVIC311_PHOTO_MAX_BYTES = 500
    with pytest.raises(ValidationError) as refused:
        services.change_status_with_after_photo(
            walk_request,
            "closed",
            actor=world.streets_worker,
            public_reason="Repair Completed",
            after_photo=jpeg(size=(640, 480)),
        )
    assert set(refused.value.message_dict) == {"after_photo"}
    walk_request.refresh_from_db()
    assert walk_request.status == Status.NEW and walk_request.status_notes == ""
