"""``manage.py run_delivery_worker``: send due outbox rows until SIGTERM."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.worker import BATCH_SIZE, Worker


class Command(BaseCommand):
    help = "Deliver queued e-mail, SMS and in-app notifications (safe to run several copies)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=BATCH_SIZE, help="rows claimed per round")
        parser.add_argument("--idle-sleep", type=float, default=1.0, help="seconds to wait when idle")
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(idle_sleep=options["idle_sleep"], limit=options["batch"])
        worker.install_signal_handlers()
        self.stdout.write(f"delivery worker {worker.worker_id} started")
        rounds = worker.run(max_steps=1 if options["once"] else None)
        self.stdout.write(f"delivery worker {worker.worker_id} stopped after {rounds} rounds")
