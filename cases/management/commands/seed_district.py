from django.core.management.base import BaseCommand

from cases.seed import load_district


class Command(BaseCommand):
    help = "Load departments, categories and reject reasons from the district seed file (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", default=None, help="Path to a district JSON file (default: settings.SEED_DATA_PATH)."
        )

    def handle(self, *args, **opts):
        counts = load_district(opts["file"])
        self.stdout.write(self.style.SUCCESS(", ".join(f"{k}: {v}" for k, v in counts.items())))
