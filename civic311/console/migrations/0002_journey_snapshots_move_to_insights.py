# The journey snapshots are insight figures: the model now lives in `civic311.insights` (so the operations
# dashboard may read it), keeping this table. Only Django's record of the model moves; the table stays.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0001_journey_snapshots"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="JourneySnapshot")],
            database_operations=[],
        ),
    ]
