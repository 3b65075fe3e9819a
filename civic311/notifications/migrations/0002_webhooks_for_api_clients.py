# DepartmentWebhook becomes Webhook, owned by a department or an Open311 API client. Renamed in place, so
# the existing department webhooks (and the outbox rows that point at them) are kept as they are.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0001_initial'),
        ('notifications', '0001_initial'),
        ('open311', '0002_received_update_status'),
    ]

    operations = [
        migrations.RenameModel(
            old_name='DepartmentWebhook',
            new_name='Webhook',
        ),
        migrations.AlterField(
            model_name='webhook',
            name='department',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='webhooks', to='catalogue.department', verbose_name='department'),
        ),
        migrations.AddField(
            model_name='webhook',
            name='api_key',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='webhooks', to='open311.apikey', verbose_name='API client'),
        ),
        migrations.AddConstraint(
            model_name='webhook',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('api_key__isnull', True), ('department__isnull', False)), models.Q(('api_key__isnull', False), ('department__isnull', True)), _connector='OR'), name='webhook_department_or_api_key', violation_error_message='A webhook belongs to either a department or an API client.'),
        ),
    ]
