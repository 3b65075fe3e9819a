"""The escalation ladder's content type follows its model to the catalogue (0002/0003 moved the model and
its table), so the role groups keep their permissions on it and the admin's log keeps pointing at it.

Without this, `migrate` makes a new catalogue.escalationstep content type with new permissions that no
group holds: department managers and supervisors lose the ladder until `sync_role_groups` runs. A new
database has no content types yet (they are made after `migrate`): nothing to do."""

from django.db import migrations

MODEL = "escalationstep"


def _move(apps, schema_editor, *, source: str, target: str) -> None:
    content_type_model = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    content_types = content_type_model.objects.using(schema_editor.connection.alias)
    old = content_types.filter(app_label=source, model=MODEL).first()
    if old is None:
        return
    new = content_types.filter(app_label=target, model=MODEL).first()
    if new is None:  # the usual case: the same row, so every permission and log entry comes along
        old.app_label = target
        old.save(update_fields=["app_label"])
    else:  # both exist (a `migrate` ran in between): whoever held an old permission gets the new one too
        for permission in permission_model.objects.filter(content_type=old):
            moved = permission_model.objects.filter(content_type=new, codename=permission.codename).first()
            if moved is None:
                continue
            for group in permission.group_set.all():
                group.permissions.add(moved)
            for user in permission.user_set.all():
                user.user_permissions.add(moved)
    content_type_model.objects.clear_cache()


def forwards(apps, schema_editor) -> None:
    _move(apps, schema_editor, source="requests", target="catalogue")


def backwards(apps, schema_editor) -> None:
    _move(apps, schema_editor, source="catalogue", target="requests")


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0003_escalationstep_table"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("people", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
