"""The admin's history of a record keeps its name as it was then (`LogEntry.object_repr`): anonymising the
record rewrites it to the record's number ("Customer 12"), for every kind of record privacy anonymises."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Model, Value
from django.db.models.functions import Concat


def forget_names(model: type[Model], ids: Iterable[int]) -> None:
    """The admin's history of these records of `model` names them by number from now on."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=[str(pk) for pk in ids]
    ).update(object_repr=Concat(Value(f"{model.__name__} "), F("object_id")))


__all__ = ["forget_names"]
