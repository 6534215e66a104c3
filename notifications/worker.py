"""The delivery worker: claim a small batch of due outbox rows, send each, record the result.

Safe with any number of copies: on PostgreSQL the claim is ``SELECT … FOR UPDATE SKIP LOCKED``
plus a lease (``claimed_by`` / ``claim_expires_at``), so two workers never take the same row and
a crashed worker's rows come back when its lease lapses. On SQLite the write lock serialises
claims. Each send runs in its own transaction holding the row lock.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import transports
from .enums import OutboxStatus
from .models import Outbox
from .outbox import outbox_mark_sent, outbox_record_failure

log = logging.getLogger(__name__)

BATCH_SIZE = 20
LEASE = timedelta(minutes=5)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]


def claim_batch(worker_id: str, *, limit: int = BATCH_SIZE) -> list[int]:
    """Take up to ``limit`` due rows (pending and due, or sending with a lapsed lease)."""
    now = timezone.now()
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, claim_expires_at__lt=now
    )
    with transaction.atomic():
        ids = list(
            Outbox.objects.select_for_update(skip_locked=True)
            .filter(due).order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit]
        )
        if ids:
            # Re-check the condition in the UPDATE: harmless on PG, and on SQLite it is what
            # guarantees a row is claimed once.
            Outbox.objects.filter(due, id__in=ids).update(
                status=OutboxStatus.SENDING, claimed_by=worker_id, claim_expires_at=now + LEASE
            )
    return list(Outbox.objects.filter(id__in=ids, claimed_by=worker_id, status=OutboxStatus.SENDING)
                .order_by("next_attempt_at", "id").values_list("id", flat=True))


def deliver(row_id: int, worker_id: str) -> bool:
    """Send one claimed row; returns True if it went out."""
    try:
        with transaction.atomic():
            row = (Outbox.objects.select_for_update()
                   .filter(pk=row_id, status=OutboxStatus.SENDING, claimed_by=worker_id).first())
            if row is None:  # our lease lapsed and someone else took it
                return False
            provider_id = transports.get_transport(row.channel).send(row)
            outbox_mark_sent(row, provider_id=provider_id or "")
        return True
    except transports.PermanentDeliveryError as exc:
        outbox_record_failure(row_id, worker_id=worker_id, error=str(exc), permanent=True)
    except Exception as exc:  # noqa: BLE001 - any other failure is worth another try
        outbox_record_failure(row_id, worker_id=worker_id, error=f"{type(exc).__name__}: {exc}", permanent=False)
    return False


def step(worker_id: str, *, limit: int = BATCH_SIZE) -> bool:
    """One claim-and-send round. Returns whether there was work."""
    ids = claim_batch(worker_id, limit=limit)
    for row_id in ids:
        deliver(row_id, worker_id)
    return bool(ids)


class Worker:
    """The loop: work while there is work, sleep when idle, stop cleanly on SIGTERM/SIGINT."""

    def __init__(self, *, idle_sleep: float = 1.0, limit: int = BATCH_SIZE, worker_id: str | None = None) -> None:
        self.idle_sleep = idle_sleep
        self.limit = limit
        self.worker_id = worker_id or new_worker_id()
        self.stopping = threading.Event()

    def stop(self, *_args: Any) -> None:
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self, *, max_steps: int | None = None) -> int:
        """Loop until stopped (or ``max_steps`` rounds). A failing round is logged, not fatal."""
        rounds = 0
        while not self.stopping.is_set() and (max_steps is None or rounds < max_steps):
            rounds += 1
            try:
                worked = step(self.worker_id, limit=self.limit)
            except Exception:  # noqa: BLE001 - database blip: wait and try again
                log.exception("delivery round failed")
                worked = False
            if not worked:
                self.stopping.wait(self.idle_sleep)
        return rounds
