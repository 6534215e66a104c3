"""``manage.py run_sla_worker``: the SLA sweeper loop (warn, breach, escalate, auto-close).

Safe to run as several copies on several machines: they share the work through row leases
(see ``sla.sweeper``). SIGTERM or SIGINT stops it cleanly: the current batch is finished (one
transaction; when a failed batch is retried one by one, the current timer), the claims not yet
acted on are given back, and the process exits. The flags are those of
every worker (``cases.workers``): ``--once``, ``--until-idle``, ``--batch``, ``--idle-sleep``,
``--worker-id``.
"""

from __future__ import annotations

from cases.workers import WorkerCommand
from notifications import events
from sla import board_counts
from sla.sweeper import BATCH, IDLE_SLEEP, Sweeper


class Command(WorkerCommand):
    help = "Run the SLA worker: claim due timers and act on them, until SIGTERM/SIGINT."
    name = "sla worker"
    default_batch = BATCH
    default_idle_sleep = IDLE_SLEEP

    def make_worker(self, *, batch: int, worker_id: str) -> Sweeper:
        events.relay_from_this_process()  # without Redis, warnings and breaches reach boards via the DB
        return Sweeper(batch=batch, worker_id=worker_id, compact_every=board_counts.COMPACT_EVERY)
