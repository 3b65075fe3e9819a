"""`manage.py fit_mood_models [--cross-validate]`: fit the mood reader's two models on the corpus
(`civic311/text_intelligence/corpus/`) and write `civic311/text_intelligence/mood_models.npz`. Run it after
changing the corpus or the rule reader, and commit the file: `test_mood_model` fails while it is stale."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civic311.text_intelligence import mood, mood_model


class Command(BaseCommand):
    help = "Fit the mood reader's kind and sentiment models on the corpus and write their file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cross-validate",
            action="store_true",
            help="Also print 5-fold cross-validated accuracy on the corpus, against the rules alone.",
        )

    def handle(self, *args: Any, cross_validate: bool = False, **options: Any) -> None:
        texts = mood_model.corpus()
        started = time.perf_counter()
        models = mood_model.fit_corpus(mood.featurise)
        models.save()
        self.stdout.write(
            f"fitted on {len(texts):,} texts (corpus {models.digest}) in {time.perf_counter() - started:.1f} s: "
            f"{len(models.word_index):,} word and {len(models.character_index):,} character features; "
            f"wrote {mood_model.MODELS_FILE.name} ({mood_model.MODELS_FILE.stat().st_size / 1024:,.0f} KB)"
        )
        if cross_validate:
            kind, sentiment = mood_model.cross_validate(mood.featurise, texts)
            rules = [mood.read_by_rules(one.text, language=one.language) for one in texts]
            kind_rules = sum(found.kind == one.kind for found, one in zip(rules, texts, strict=True)) / len(texts)
            sentiment_rules = sum(
                found.sentiment == one.sentiment for found, one in zip(rules, texts, strict=True)
            ) / len(texts)
            self.stdout.write(
                f"5-fold cross-validation: kind {kind:.1%} (rules alone {kind_rules:.1%}), "
                f"sentiment {sentiment:.1%} (rules alone {sentiment_rules:.1%})"
            )
