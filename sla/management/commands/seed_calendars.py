"""Create or re-sync the CN and 24x7 calendars from the chinesecalendar package (idempotent),
or load a year's schedule from a file the way the admin's paste box does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sla.calendar_services import calendar_import_schedule, parse_schedule
from sla.models import Calendar
from sla.seed import seed_calendars_now


class Command(BaseCommand):
    help = (
        "Seed the CN calendar (holidays and make-up working days from chinesecalendar) and 24x7; "
        "with --schedule, load holidays from a file instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Make the package's years match the package exactly (replaces admin edits to those years).",
        )
        parser.add_argument(
            "--schedule",
            type=Path,
            help="A UTF-8 file of lines like '2027-02-15~2027-02-21 放假 春节' or '2027-02-07 班 春节调休'.",
        )
        parser.add_argument("--calendar", default="CN", help="Calendar code for --schedule (default CN).")
        parser.add_argument("--complete", action="store_true", help="With --schedule: mark its years complete.")

    def handle(
        self,
        *args: Any,
        overwrite: bool = False,
        schedule: Path | None = None,
        calendar: str = "CN",
        complete: bool = False,
        **options: Any,
    ) -> None:
        if schedule is None:
            result = seed_calendars_now(overwrite=overwrite)
            self.stdout.write(
                self.style.SUCCESS(
                    "CN: {years} years from chinesecalendar; {created} created, {updated} updated, {deleted} deleted.".format(
                        **result
                    )
                )
            )
            return
        target = Calendar.objects.filter(code=calendar).first()
        if target is None:
            raise CommandError(f"unknown calendar: {calendar}")
        try:
            entries = parse_schedule(schedule.read_text(encoding="utf-8"))
            count = calendar_import_schedule(calendar=target, entries=entries, complete=complete)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {schedule}: {exc}") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        years = sorted({day.year for day in entries})
        self.stdout.write(
            self.style.SUCCESS(
                f"{target.code}: {count} dates written for {', '.join(map(str, years)) or 'no year'}"
                + (" (marked complete)." if complete else ".")
            )
        )
