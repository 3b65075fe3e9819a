"""A duplicate of a private request said "Duplicate of request N." in public, which published the private
request's number (on the track page, in Open311 and in open data). Today's rule writes "Duplicate of another
request."; this rewrites what older code wrote, in whatever language it was written."""

from django.db import migrations

HIDDEN = "Duplicate of another request."


def hide_private_numbers(apps, schema_editor):
    ServiceRequest = apps.get_model("requests", "ServiceRequest")
    HistoryEntry = apps.get_model("requests", "HistoryEntry")
    duplicates = (ServiceRequest.objects.filter(duplicate_of__is_private=True)
                  .values_list("pk", "duplicate_of__tracking_number"))
    for pk, number in duplicates.iterator(chunk_size=2000):
        HistoryEntry.objects.filter(service_request_id=pk, to_status="duplicate", text__contains=number).update(
            text=HIDDEN)
        ServiceRequest.objects.filter(pk=pk, status_notes__contains=number).update(status_notes=HIDDEN)


class Migration(migrations.Migration):
    dependencies = [("requests", "0009_imported_requests_and_hung_up_calls")]

    operations = [migrations.RunPython(hide_private_numbers, migrations.RunPython.noop, elidable=True)]
