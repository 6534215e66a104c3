"""The delivery worker: claim a small batch of due outbox rows, send each, record the result.

Safe with any number of copies: on PostgreSQL the claim is ``SELECT … FOR UPDATE SKIP LOCKED``
plus a lease (``claimed_by`` / ``claim_expires_at``), so two workers never take the same row and
a crashed worker's rows come back when its lease lapses. On SQLite the write lock serialises
claims. Sends run outside any transaction (claim, send, record: each database step short); the
lease is renewed before each send. The loop, its flags and the clean stop on SIGTERM/SIGINT are
every worker's (``cases.workers``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.workers import new_worker_id

from . import transports
from .enums import OutboxStatus
from .models import Outbox
from .outbox import outbox_record_failure, outbox_record_sent

log = logging.getLogger(__name__)

BATCH_SIZE = 20
IDLE_SLEEP = 1.0  # seconds; the command's default --idle-sleep
LEASE = timedelta(minutes=5)


def claim_batch(worker_id: str, *, limit: int = BATCH_SIZE) -> list[int]:
    """Take up to ``limit`` due rows (pending and due, or sending with a lapsed lease)."""
    now = timezone.now()
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, claim_expires_at__lt=now
    )
    with transaction.atomic():
        ids = list(
            Outbox.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            # Re-check the condition in the UPDATE: harmless on PG, and on SQLite it is what
            # guarantees a row is claimed once.
            Outbox.objects.filter(due, id__in=ids).update(
                status=OutboxStatus.SENDING, claimed_by=worker_id, claim_expires_at=now + LEASE
            )
    return list(
        Outbox.objects.filter(id__in=ids, claimed_by=worker_id, status=OutboxStatus.SENDING)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
    )


def renew_claim(row_id: int, worker_id: str) -> bool:
    """Extend our lease on one claimed row just before sending it, so the lease needs to outlast
    one send (every transport has a timeout), not a whole batch. False if the row is no longer
    ours (our lease lapsed and another worker took it, or it was given back)."""
    return bool(
        Outbox.objects.filter(pk=row_id, status=OutboxStatus.SENDING, claimed_by=worker_id).update(
            claim_expires_at=timezone.now() + LEASE
        )
    )


def deliver(row_id: int, worker_id: str) -> bool:
    """Send one claimed row; returns True if it went out.

    No transaction is open while the transport talks to the network (an SMTP server or Twilio
    may take up to its timeout): the claim is renewed in one short statement, the send runs in
    autocommit, and the outcome is recorded in another short transaction, only if the row is
    still ours. A worker that dies here leaves the row claimed; the lease lapses and another
    worker sends it (at least once: a death after the send and before the record sends twice)."""
    if not renew_claim(row_id, worker_id):
        return False
    row = Outbox.objects.get(pk=row_id)
    try:
        provider_id = transports.get_transport(row.channel).send(row)
    except transports.PermanentDeliveryError as exc:
        outbox_record_failure(row_id, worker_id=worker_id, error=str(exc), permanent=True)
        return False
    except Exception as exc:  # noqa: BLE001 - any other failure is worth another try
        outbox_record_failure(row_id, worker_id=worker_id, error=f"{type(exc).__name__}: {exc}", permanent=False)
        return False
    if not outbox_record_sent(row_id, worker_id=worker_id, provider_id=provider_id or ""):
        log.warning("outbox %s went out, but worker %s no longer held it (lease lapsed)", row_id, worker_id)
    return True


@dataclass
class Delivery:
    """One delivery worker (``cases.workers.Worker``): ``step()`` claims a batch and sends it;
    the runner of ``cases.workers`` loops it (``manage.py run_delivery_worker``)."""

    worker_id: str = field(default_factory=new_worker_id)
    batch: int = BATCH_SIZE
    stopping: threading.Event = field(default_factory=threading.Event)
    acted: dict[str, int] = field(default_factory=dict)

    def step(self) -> bool:
        """One claim-and-send round; True if there was work. Stops between rows when asked: the
        rows not tried stay claimed until ``release()``."""
        ids = claim_batch(self.worker_id, limit=self.batch)
        for row_id in ids:
            if self.stopping.is_set():
                break
            done = "sent" if deliver(row_id, self.worker_id) else "not_sent"
            self.acted[done] = self.acted.get(done, 0) + 1
        return bool(ids)

    def release(self) -> int:
        """Give back the rows this worker claimed and did not try (the loop is ending)."""
        return Outbox.objects.filter(status=OutboxStatus.SENDING, claimed_by=self.worker_id).update(
            status=OutboxStatus.PENDING, claimed_by="", claim_expires_at=None
        )


def step(worker_id: str, *, limit: int = BATCH_SIZE) -> bool:
    """One claim-and-send round as ``worker_id``. Returns whether there was work."""
    return Delivery(worker_id=worker_id, batch=limit).step()
