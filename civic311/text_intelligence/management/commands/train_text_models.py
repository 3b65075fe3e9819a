"""`manage.py train_text_models [--jurisdiction ID] [--no-activate]`: train a new version of each city's
service suggester (or one city's), print how it did on held-out history, and (unless --no-activate) use it."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from civic311.jurisdictions.models import Jurisdiction
from civic311.text_intelligence import training
from civic311.text_intelligence.models import ServiceModel


class Command(BaseCommand):
    help = "Train the service suggester of every city (or one) and print its evaluation on held-out history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jurisdiction", help="The city's jurisdiction_id or slug (default: every city).")
        parser.add_argument(
            "--no-activate",
            action="store_true",
            help="Keep the version in use; the new one can be chosen later in the admin.",
        )

    def handle(self, *args: Any, jurisdiction: str | None = None, no_activate: bool = False, **options: Any) -> None:
        cities = Jurisdiction.objects.order_by("pk")
        if jurisdiction:
            cities = cities.filter(Q(jurisdiction_id=jurisdiction) | Q(slug=jurisdiction))
            if not cities.exists():
                raise CommandError(f"No jurisdiction {jurisdiction!r}.")
        else:
            cities = cities.filter(services__is_active=True).distinct()
        for city in cities:
            try:
                model = training.train(city, trigger=ServiceModel.Trigger.COMMAND, activate=not no_activate)
            except ValueError as error:
                raise CommandError(f"{city.jurisdiction_id}: {error}") from error
            self.stdout.write(self._summary(city, model))

    @staticmethod
    def _summary(city: Jurisdiction, model: ServiceModel) -> str:
        evaluation = dict(model.evaluation or {})
        calibration = evaluation.pop("calibration", None)
        lines = [
            f"{city.jurisdiction_id}: version {model.version}{' (in use)' if model.active else ''}",
            f"  trained on: {json.dumps(model.trained_on, sort_keys=True)}",
        ]
        if not evaluation:
            lines.append("  evaluation: too little history to hold out (a model from the catalogue and articles)")
            return "\n".join(lines)
        for key in ("held_out", "top1", "top3", "macro_f1", "unsure_share", "sure_accuracy", "floor", "temperature"):
            if key in evaluation:
                lines.append(f"  {key}: {evaluation.pop(key)}")
        for key, value in sorted(evaluation.items()):
            lines.append(f"  {key}: {json.dumps(value, sort_keys=True)}")
        if calibration:
            lines.append(f"  calibration (ECE {calibration['ece']}):")
            lines.append("    confidence band   texts  mean confidence  right")
            for band in calibration["bins"]:
                lines.append(
                    f"    {band['from']:.1f}-{band['to']:.1f}        {band['n']:>7}  {band['confidence']:>15.3f}  "
                    f"{band['accuracy']:.3f}"
                )
        return "\n".join(lines)
