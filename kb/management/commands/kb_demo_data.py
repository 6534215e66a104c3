from django.core.management.base import BaseCommand, CommandError

from kb.demo import create_kb_demo_data


class Command(BaseCommand):
    help = "Create the demo knowledge-base articles (after demo_data). Idempotent; refused in production."

    def handle(self, *args, **opts):
        try:
            counts = create_kb_demo_data()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        if counts.get("skipped"):
            self.stdout.write("Knowledge-base articles already exist; nothing created.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Created {counts['articles']} knowledge-base articles."))
