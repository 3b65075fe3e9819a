"""Each jurisdiction's tracking numbers from a PostgreSQL sequence of its own (civic311/jurisdictions/
tracking_numbers.py), starting where the jurisdiction's counter column had got to. Nothing on SQLite."""

from django.db import migrations


def make_sequences(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    Jurisdiction = apps.get_model("jurisdictions", "Jurisdiction")
    with connection.cursor() as cursor:
        for pk, next_number in Jurisdiction.objects.using(connection.alias).values_list("pk", "next_tracking_number"):
            name = connection.ops.quote_name(f"civic311_tracking_{int(pk)}")
            cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")
            cursor.execute(f"CREATE SEQUENCE {name} START WITH {int(next_number)} MINVALUE 1")


def drop_sequences(apps, schema_editor):
    """Back to the column: it takes the sequence's next number first."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    Jurisdiction = apps.get_model("jurisdictions", "Jurisdiction")
    with connection.cursor() as cursor:
        for pk in Jurisdiction.objects.using(connection.alias).values_list("pk", flat=True):
            name = connection.ops.quote_name(f"civic311_tracking_{int(pk)}")
            cursor.execute(f"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {name}")
            (next_number,) = cursor.fetchone()
            Jurisdiction.objects.using(connection.alias).filter(pk=pk).update(next_tracking_number=next_number)
            cursor.execute(f"DROP SEQUENCE {name}")


class Migration(migrations.Migration):
    dependencies = [("jurisdictions", "0006_address_points")]

    operations = [migrations.RunPython(make_sequences, drop_sequences)]
