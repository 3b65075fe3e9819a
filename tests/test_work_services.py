"""Department work writes: bulk actions (all or nothing), assignment, staff photos, saved views, templates."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, Photo, ServiceRequest
from civic311.work import services
from civic311.work.models import ResponseTemplate, SavedView

from .factories import DepartmentFactory, JurisdictionFactory, jpeg

pytestmark = pytest.mark.django_db


def _state(*service_requests: ServiceRequest) -> list[tuple]:
    rows = ServiceRequest.objects.filter(pk__in=[r.pk for r in service_requests]).order_by("pk")
    return [(r.status, r.assignee_id, r.status_notes, r.updated_at, r.history.count()) for r in rows]


# --- bulk actions ---------------------------------------------------------------------------------------


def test_bulk_assign_gives_every_request_to_the_person(world):
    new = world.file(world.pothole)
    in_progress = world.file(world.dumping)
    requests.change_status(in_progress, Status.IN_PROGRESS, actor=world.streets_worker)
    done = services.bulk_assign(
        [new.pk, str(in_progress.pk)], world.streets_worker, actor=world.streets_worker, jurisdiction=world.jurisdiction
    )
    assert [r.pk for r in done] == [new.pk, in_progress.pk]
    new.refresh_from_db()
    in_progress.refresh_from_db()
    assert (new.status, new.assignee) == (Status.ASSIGNED, world.streets_worker)
    # Already being worked: it changes hands and keeps its status.
    assert (in_progress.status, in_progress.assignee) == (Status.IN_PROGRESS, world.streets_worker)
    assert in_progress.history.filter(kind=HistoryEntry.Kind.ASSIGNED, is_public=False).count() == 1
    # Again: already theirs, nothing new is recorded and nothing is refused.
    services.bulk_assign(
        [new.pk, in_progress.pk], world.streets_worker, actor=world.streets_worker, jurisdiction=world.jurisdiction
    )
    assert in_progress.history.filter(kind=HistoryEntry.Kind.ASSIGNED).count() == 1


def test_bulk_status_with_a_public_reason(world):
    first, second = world.file(world.pothole), world.file(world.pothole)
    services.bulk_change_status(
        [first.pk, second.pk],
        Status.CLOSED,
        actor=world.streets_manager,
        jurisdiction=world.jurisdiction,
        public_reason="Repair Completed",
    )
    for service_request in (first, second):
        service_request.refresh_from_db()
        assert (service_request.status, service_request.status_notes) == (Status.CLOSED, "Repair Completed")


def test_bulk_public_note_fills_the_placeholders_for_each_request(world):
    first = world.file(world.pothole, address="1 Elm St", lat=None, long=None, zipcode="19107")
    second = world.file(world.dumping)
    services.bulk_public_note(
        [first.pk, second.pk],
        "Crew sent for #{tracking_number} ({service}) at {address}.",
        actor=world.streets_worker,
        jurisdiction=world.jurisdiction,
    )
    note = first.history.get(kind=HistoryEntry.Kind.NOTE)
    assert note.is_public
    assert note.text == f"Crew sent for #{first.tracking_number} (Pothole) at 1 Elm St."
    second.refresh_from_db()
    assert second.status_notes.startswith(f"Crew sent for #{second.tracking_number} (Illegal Dumping)")


def test_a_refused_request_rolls_the_whole_batch_back_and_is_named(world):
    fine = world.file(world.pothole)
    closed = world.file(world.pothole)
    requests.change_status(closed, Status.CLOSED, actor=world.streets_worker, public_reason="Done")
    before = _state(fine, closed)
    with pytest.raises(services.BulkActionRefused) as refused:
        services.bulk_change_status(
            [fine.pk, closed.pk], Status.ON_HOLD, actor=world.streets_worker, jurisdiction=world.jurisdiction
        )
    assert [r.tracking_number for r in refused.value.refusals] == [closed.tracking_number]
    assert "cannot become" in refused.value.refusals[0].messages[0]
    assert _state(fine, closed) == before


def test_a_missing_public_reason_refuses_every_request(world):
    first, second = world.file(world.pothole), world.file(world.pothole)
    before = _state(first, second)
    with pytest.raises(services.BulkActionRefused) as refused:
        services.bulk_change_status(
            [first.pk, second.pk], Status.CLOSED, actor=world.streets_worker, jurisdiction=world.jurisdiction
        )
    assert len(refused.value.refusals) == 2
    assert refused.value.refusals[0].messages == ["Give the reason the resident will see."]
    assert _state(first, second) == before


def test_bulk_assign_to_someone_of_another_department_is_refused_and_nothing_changes(world):
    pothole = world.file(world.pothole)
    before = _state(pothole)
    with pytest.raises(services.BulkActionRefused) as refused:
        services.bulk_assign(
            [pothole.pk], world.water_worker, actor=world.streets_manager, jurisdiction=world.jurisdiction
        )
    assert "does not work" in refused.value.refusals[0].messages[0]
    assert _state(pothole) == before


def test_a_supervisor_may_act_on_every_department_in_one_batch(world):
    pothole, leak = world.file(world.pothole), world.file(world.leak)
    services.bulk_public_note(
        [pothole.pk, leak.pk], "We are on it.", actor=world.supervisor, jurisdiction=world.jurisdiction
    )
    assert HistoryEntry.objects.filter(kind=HistoryEntry.Kind.NOTE, is_public=True).count() == 2


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "Tick at least one request."),
        (["abc"], "The chosen requests are not valid."),
        (["-1"], "The chosen requests are not valid."),
        (["9" * 30], "The chosen requests are not valid."),
        (list(range(1, 102)), "Choose at most 100 requests at a time."),
    ],
)
def test_bad_ids_are_refused_before_anything_happens(world, ids, message):
    with pytest.raises(ValidationError) as error:
        services.bulk_public_note(ids, "Hello", actor=world.streets_worker, jurisdiction=world.jurisdiction)
    assert error.value.messages == [message]


def test_another_departments_or_a_missing_request_is_not_in_the_queue(world):
    pothole, leak = world.file(world.pothole), world.file(world.leak)
    before = _state(pothole, leak)
    for ids in ([pothole.pk, leak.pk], [pothole.pk, 999_999]):
        with pytest.raises(ValidationError) as error:
            services.bulk_change_status(
                ids, Status.ACKNOWLEDGED, actor=world.streets_worker, jurisdiction=world.jurisdiction
            )
        assert error.value.messages == ["Some of the chosen requests are not in your queues."]
    assert _state(pothole, leak) == before


def test_an_agent_sees_requests_but_cannot_bulk_change_them(world):
    pothole = world.file(world.pothole)
    with pytest.raises(ValidationError):
        # Not in their queues at all: agents do not work departments.
        services.bulk_change_status(
            [pothole.pk], Status.ACKNOWLEDGED, actor=world.agent, jurisdiction=world.jurisdiction
        )


def test_bulk_assign_needs_a_person(world):
    pothole = world.file(world.pothole)
    with pytest.raises(ValidationError) as error:
        services.bulk_assign([pothole.pk], None, actor=world.streets_worker, jurisdiction=world.jurisdiction)
    assert "assignee" in error.value.message_dict


def test_a_bulk_note_from_a_template_for_another_department_is_refused(world):
    template = ResponseTemplate.objects.create(
        jurisdiction=world.jurisdiction, department=world.water, title="Leak", body="Leak fixed at {address}."
    )
    pothole = world.file(world.pothole)
    with pytest.raises(services.BulkActionRefused):
        services.bulk_public_note(
            [pothole.pk], "", actor=world.supervisor, jurisdiction=world.jurisdiction, template=template
        )
    leak = world.file(world.leak, address="5 Oak Ave", lat=None, long=None, zipcode="19107")
    services.bulk_public_note([leak.pk], "", actor=world.supervisor, jurisdiction=world.jurisdiction, template=template)
    assert leak.history.get(kind=HistoryEntry.Kind.NOTE).text == "Leak fixed at 5 Oak Ave."


# --- assignment and photos (civic311.service_requests.services) ---------------------------------------------


def test_assign_unassign_and_refusals(world):
    pothole = world.file(world.pothole)
    pothole = requests.assign(pothole, world.streets_colleague, actor=world.streets_worker)
    assert (pothole.status, pothole.assignee) == (Status.ASSIGNED, world.streets_colleague)
    pothole = requests.assign(pothole, None, actor=world.streets_worker)
    assert pothole.assignee is None and pothole.status == Status.ASSIGNED
    assert pothole.history.filter(kind=HistoryEntry.Kind.ASSIGNED, text="Unassigned.").exists()
    with pytest.raises(ValidationError):
        requests.assign(pothole, None, actor=world.streets_worker)  # nobody to take it from
    with pytest.raises(PermissionDenied):
        requests.assign(pothole, world.water_worker, actor=world.water_worker)
    requests.change_status(pothole, Status.CLOSED, actor=world.streets_worker, public_reason="Done")
    with pytest.raises(ValidationError) as error:
        requests.assign(pothole, world.streets_worker, actor=world.streets_worker)
    assert "status" in error.value.message_dict


def test_add_photo_stores_a_re_encoded_photo_and_records_it(world):
    pothole = world.file(world.pothole)
    photo = requests.add_photo(
        pothole, jpeg(size=(40, 30)), actor=world.streets_worker, stage=Photo.Stage.AFTER, public=True
    )
    assert (photo.stage, photo.is_public, photo.width, photo.height) == ("after", True, 40, 30)
    entry = pothole.history.get(kind=HistoryEntry.Kind.PHOTO)
    assert entry.is_public and entry.actor == world.streets_worker
    internal = requests.add_photo(pothole, jpeg(), actor=world.streets_worker, stage="before", public=False)
    assert not internal.is_public
    assert not pothole.history.filter(kind=HistoryEntry.Kind.PHOTO).order_by("-pk").first().is_public


def test_add_photo_refuses_bad_input_and_other_departments(world):
    pothole = world.file(world.pothole)
    with pytest.raises(ValidationError) as error:
        requests.add_photo(pothole, None, actor=world.streets_worker, stage="during", public=True)
    assert set(error.value.message_dict) == {"photo", "stage"}
    not_a_photo = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as error:
        requests.add_photo(pothole, not_a_photo, actor=world.streets_worker, stage="after", public=True)
    assert "photo" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        requests.add_photo(pothole, jpeg(), actor=world.water_worker, stage="after", public=True)
    assert not Photo.objects.exists()
    assert not pothole.history.filter(kind=HistoryEntry.Kind.PHOTO).exists()


# --- saved views ---------------------------------------------------------------------------------------


def test_save_view_keeps_only_the_filters_and_replaces_by_name(world):
    view = services.save_view(
        world.streets_worker, " Overdue ", "sla=overdue&after=XYZ&evil=1&q=", jurisdiction=world.jurisdiction
    )
    assert (view.name, view.query, view.department) == ("Overdue", "sla=overdue", None)
    again = services.save_view(
        world.streets_worker,
        "Overdue",
        "sla=overdue&assignee=me",
        jurisdiction=world.jurisdiction,
        department=world.streets,
    )
    assert again.pk == view.pk and again.query == "assignee=me&sla=overdue" and again.department == world.streets
    # The same name is another person's own view.
    services.save_view(world.streets_colleague, "Overdue", "", jurisdiction=world.jurisdiction)
    assert SavedView.objects.count() == 2


@pytest.mark.parametrize(("name", "field"), [("", "name"), ("x" * 81, "name"), ("a\x00b", "name")])
def test_save_view_refuses_a_bad_name(world, name, field):
    with pytest.raises(ValidationError) as error:
        services.save_view(world.streets_worker, name, "", jurisdiction=world.jurisdiction)
    assert field in error.value.message_dict
    assert not SavedView.objects.exists()


def test_a_view_is_shared_only_with_a_department_one_works(world):
    with pytest.raises(ValidationError) as error:
        services.save_view(world.streets_worker, "Leaks", "", jurisdiction=world.jurisdiction, department=world.water)
    assert "department" in error.value.message_dict
    assert (
        services.save_view(
            world.supervisor, "Leaks", "", jurisdiction=world.jurisdiction, department=world.water
        ).department
        == world.water
    )


def test_only_the_owner_deletes_a_view(world):
    view = services.save_view(
        world.streets_worker, "Mine", "", jurisdiction=world.jurisdiction, department=world.streets
    )
    with pytest.raises(PermissionDenied):
        services.delete_view(view, actor=world.streets_colleague)
    assert SavedView.objects.filter(pk=view.pk).exists()
    services.delete_view(view, actor=world.streets_worker)
    assert not SavedView.objects.exists()


# --- response templates -------------------------------------------------------------------------------


def test_render_template_fills_only_the_known_placeholders_as_plain_text(world):
    pothole = world.file(world.pothole, address="<b>1 Elm St</b>", lat=None, long=None, zipcode="19107")
    template = ResponseTemplate(
        jurisdiction=world.jurisdiction,
        title="T",
        body="#{tracking_number} {service} at {address}; {0} {__class__} {service.__init__}",
    )
    text = services.render_template(template, pothole)
    assert text == f"#{pothole.tracking_number} Pothole at <b>1 Elm St</b>; {{0}} {{__class__}} {{service.__init__}}"
    no_address = world.file(world.pothole)
    assert (
        services.render_template(ResponseTemplate(jurisdiction=world.jurisdiction, body="At {address}."), no_address)
        == "At the reported location."
    )


def test_render_template_refuses_another_departments_or_citys_or_a_retired_template(world):
    pothole = world.file(world.pothole)
    elsewhere = JurisdictionFactory(slug="pittsburgh", jurisdiction_id="pgh.gov", is_default=False)
    for template in (
        ResponseTemplate(jurisdiction=world.jurisdiction, department=world.water, body="x"),
        ResponseTemplate(jurisdiction=elsewhere, body="x"),
        ResponseTemplate(
            jurisdiction=world.jurisdiction, department=DepartmentFactory(jurisdiction=elsewhere), body="x"
        ),
        ResponseTemplate(jurisdiction=world.jurisdiction, body="x", is_active=False),
    ):
        with pytest.raises(ValidationError):
            services.render_template(template, pothole)


# --- who writes the response templates (the admin) ------------------------------------------------------------


def test_a_department_manager_writes_only_their_departments_templates_in_the_admin(client, db):
    from civic311.catalogue.models import Department
    from civic311.people.models import StaffRole
    from civic311.work.models import ResponseTemplate

    from .factories import DepartmentFactory, JurisdictionFactory, StaffFactory, with_role

    city = JurisdictionFactory()
    streets = DepartmentFactory(jurisdiction=city, slug="streets-t", name="Streets")
    water = DepartmentFactory(jurisdiction=city, slug="water-t", name="Water")
    ours = ResponseTemplate.objects.create(jurisdiction=city, department=streets, title="Crew sent", body="x")
    theirs = ResponseTemplate.objects.create(jurisdiction=city, department=water, title="Main fixed", body="y")
    citywide = ResponseTemplate.objects.create(jurisdiction=city, title="Thanks", body="z")
    manager = with_role(StaffFactory(username="manager-t"), StaffRole.DEPARTMENT_MANAGER, streets)
    client.force_login(manager)
    listing = client.get("/admin/work/responsetemplate/").content.decode()
    assert "Crew sent" in listing and "Main fixed" not in listing and "Thanks" not in listing
    assert client.get(f"/admin/work/responsetemplate/{ours.pk}/change/").status_code == 200
    assert client.get(f"/admin/work/responsetemplate/{theirs.pk}/change/").status_code == 302  # not found
    form = client.get("/admin/work/responsetemplate/add/").context["adminform"].form
    assert list(form.fields["department"].queryset) == [streets] and form.fields["department"].required
    assert Department.objects.count() >= 2 and citywide.pk
    # Department staff (not managers) get no templates admin at all.
    client.force_login(with_role(StaffFactory(username="crew-t"), StaffRole.DEPARTMENT_STAFF, streets))
    assert client.get("/admin/work/responsetemplate/").status_code == 403
