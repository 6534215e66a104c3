"""Create or re-sync the CN and 24x7 calendars from the chinesecalendar package (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sla.seed import seed_calendars_now


class Command(BaseCommand):
    help = "Seed the CN calendar (holidays and make-up working days from chinesecalendar) and 24x7."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--overwrite", action="store_true",
            help="Make the package's years match the package exactly (replaces admin edits to those years).",
        )

    def handle(self, *args: Any, overwrite: bool = False, **options: Any) -> None:
        result = seed_calendars_now(overwrite=overwrite)
        self.stdout.write(self.style.SUCCESS(
            "CN: {years} years from chinesecalendar; {created} created, {updated} updated, {deleted} deleted.".format(
                **result)
        ))
