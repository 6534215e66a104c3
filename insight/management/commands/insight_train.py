"""``manage.py insight_train``: train a new version of the dispatch classifier now and print its figures."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from insight.services import dispatch_model_train


class Command(BaseCommand):
    help = "Train a new dispatch-classifier version on the closed cases and the shipped corpus."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-corpus", action="store_true", help="closed cases only (no generated corpus)")
        parser.add_argument("--no-measure", action="store_true", help="skip the tuning and held-out figures")

    def handle(self, *args, no_corpus: bool, no_measure: bool, **options):
        model = dispatch_model_train(now=timezone.now(), use_corpus=not no_corpus, measure=not no_measure)
        self.stdout.write(
            f"model v{model.version}: {model.closed_cases} closed cases + {model.corpus_messages} corpus messages, "
            f"{model.sizes.get('features')} features, {model.blob_bytes} bytes"
        )
        for name, fig in model.figures.items():
            self.stdout.write(f"  {name}: top-1 {fig['top1']:.1%}, top-3 {fig['top3']:.1%} (n={fig['n']})")
