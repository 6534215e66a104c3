"""``manage.py insight_corpus``: regenerate the shipped training corpus (insight/data/corpus.tsv)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from insight import corpus


class Command(BaseCommand):
    help = "Write the generated training corpus (deterministic: same seed, same file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--per-category", type=int, default=200)
        parser.add_argument("--seed", type=int, default=14)

    def handle(self, *args, per_category: int, seed: int, **options):
        messages = corpus.generate(
            per_category=per_category, seed=seed, default_departments=corpus.fixture_default_departments()
        )
        corpus.write_corpus(messages)
        self.stdout.write(f"wrote {len(messages)} messages to {corpus.CORPUS_PATH}")
