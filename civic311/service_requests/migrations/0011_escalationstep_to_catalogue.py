"""The escalation ladder now belongs to the catalogue (catalogue 0002): an escalation points at the
catalogue's step, and this app forgets the model. State only: no row moves."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("requests", "0010_hide_private_duplicate_numbers"),
        ("catalogue", "0002_escalationstep_from_requests"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="escalation",
                    name="step",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="escalations", to="catalogue.escalationstep", verbose_name="step"),
                ),
                migrations.DeleteModel(name="EscalationStep"),
            ],
            database_operations=[],
        ),
    ]
