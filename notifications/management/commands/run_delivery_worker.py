"""``manage.py run_delivery_worker``: send due outbox rows until SIGTERM or SIGINT.

Safe to run as several copies (row leases, see ``notifications.worker``). The flags are those
of every worker (``cases.workers``): ``--once``, ``--until-idle``, ``--batch``, ``--idle-sleep``,
``--worker-id``.
"""

from __future__ import annotations

from cases.workers import WorkerCommand
from notifications import events
from notifications.worker import BATCH_SIZE, IDLE_SLEEP, Delivery


class Command(WorkerCommand):
    help = "Deliver queued e-mail, SMS and in-app notifications (safe to run several copies)."
    name = "delivery worker"
    default_batch = BATCH_SIZE
    default_idle_sleep = IDLE_SLEEP

    def make_worker(self, *, batch: int, worker_id: str) -> Delivery:
        events.relay_from_this_process()  # without Redis, in-app notices reach pages via the DB
        return Delivery(batch=batch, worker_id=worker_id)
