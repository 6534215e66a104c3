"""``manage.py board_counts``: show, fold or recount the overdue board's counters (sla.board_counts).

    manage.py board_counts             # the counts now, from the counters, beside a direct count
    manage.py board_counts --compact   # fold the delta rows (the SLA workers do it every 30 s)
    manage.py board_counts --rebuild   # recount from the timers (after loading timers with triggers off)

PostgreSQL only: elsewhere the board counts the timers directly and there is nothing to keep.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sla import board, board_counts


class Command(BaseCommand):
    help = "Show, compact or rebuild the overdue board's counters (PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--compact", action="store_true", help="fold the delta rows into one per key")
        group.add_argument("--rebuild", action="store_true", help="recount the counters from the timers")

    def handle(self, *, compact: bool, rebuild: bool, **options) -> None:
        if not board_counts.kept():
            raise CommandError("the board's counters are kept on PostgreSQL only; this database counts directly")
        if compact:
            self.stdout.write(f"folded {board_counts.compact()} delta rows")
        elif rebuild:
            board_counts.rebuild()
            self.stdout.write("recounted from the timers")
        now = timezone.now()
        kept = board_counts.counts(now)[1]
        direct = board.counted_directly(now)[1]
        self.stdout.write(f"totals from the counters: {kept}")
        self.stdout.write(f"totals counted directly:  {direct}")
        if kept != direct:
            raise CommandError("the counters disagree with the timers: run --rebuild")
