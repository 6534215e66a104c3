"""``manage.py run_sla_worker``: the SLA sweeper loop (warn, breach, escalate, auto-close).

Safe to run as several copies on several machines: they share the work through row leases
(see ``sla.sweeper``). SIGTERM or SIGINT stops it cleanly: the current timer is finished,
the claims not yet acted on are given back, and the process exits.
"""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sla.sweeper import BATCH, IDLE_SLEEP, Sweeper


class Command(BaseCommand):
    help = "Run the SLA worker: claim due timers and act on them, until SIGTERM/SIGINT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=BATCH, help="timers claimed per step (default %(default)s)")
        parser.add_argument("--sleep", type=float, default=IDLE_SLEEP, help="seconds to wait when idle")
        parser.add_argument("--once", action="store_true", help="run steps until no work is left, then exit")

    def handle(self, *args: Any, batch: int, sleep: float, once: bool, **options: Any) -> None:
        if batch < 1 or sleep < 0:
            raise CommandError("--batch must be at least 1 and --sleep not negative")
        sweeper = Sweeper(batch=batch, idle_sleep=sleep)
        previous = {sig: signal.signal(sig, sweeper.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            sweeper.run(until_idle=once)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"sla worker {sweeper.worker_id} stopped: {sweeper.acted}")
