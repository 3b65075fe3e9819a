"""The escalation ladder's table takes the catalogue's name (the rows, their keys and constraints stay)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0002_escalationstep_from_requests"),
        ("requests", "0011_escalationstep_to_catalogue"),
    ]

    operations = [migrations.AlterModelTable(name="escalationstep", table=None)]
