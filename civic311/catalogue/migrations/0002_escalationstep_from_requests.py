"""The escalation ladder is a department's configuration, so it moves from the requests app to the catalogue
(issue 15: a lower layer may not import a higher one). State only: the rows stay where they are; 0003
renames the table."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
        ("requests", "0010_hide_private_duplicate_numbers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="EscalationStep",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("order", models.PositiveIntegerField(default=0, verbose_name="order")),
                        ("label", models.CharField(help_text="e.g. point person, supervisor, director", max_length=100, verbose_name="label")),
                        ("offset_business_days", models.IntegerField(default=0, help_text="Negative: before the due date; 0: at the due date; positive: after it.", verbose_name="business days from the due date")),
                        ("notify_email", models.EmailField(blank=True, max_length=254, verbose_name="tell (e-mail)")),
                        ("department", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="escalation_steps", to="catalogue.department", verbose_name="department")),
                        ("notify_user", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="tell (staff)")),
                    ],
                    options={
                        "verbose_name": "escalation step",
                        "verbose_name_plural": "escalation ladder",
                        "ordering": ["department", "order", "pk"],
                        "db_table": "requests_escalationstep",
                        "constraints": [models.UniqueConstraint(fields=("department", "order"), name="unique_escalation_step_order")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
