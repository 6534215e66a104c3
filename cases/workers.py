"""The loop every worker process runs, and the command-line flags they all share (STYLE.md 5).

A worker (the SLA sweeper, the delivery worker) is an object with a ``step()`` that claims one
small batch, acts on it (each item in its own short transaction, or — the SLA sweeper — the
whole batch set-wise in one), and returns whether there was work; the ``Runner`` calls it over and over, sleeps only after a step that found nothing,
and stops cleanly when asked (SIGTERM or SIGINT): the current step finishes, the worker gives
back whatever it still holds (``release()``), and the process leaves. Tests call ``step()``
directly.

``WorkerCommand`` is the base of ``manage.py run_sla_worker`` and ``manage.py
run_delivery_worker``, so both take the same flags with the same meanings:

``--once``            one step, then exit
``--until-idle``      steps until one finds no work, then exit (a drain, e.g. for benchmarks)
``--batch N``         items claimed per step
``--idle-sleep S``    seconds to wait after a step that found no work
``--worker-id ID``    the name written on claims and leases (default: ``new_worker_id()``)

This module lives in ``cases`` because every worker app may import ``cases`` and ``cases``
imports none of them.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import get_resolver

log = logging.getLogger(__name__)

WORKER_ID_MAX_LENGTH = 64  # the claimed_by columns
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def new_worker_id() -> str:
    """``host:pid:random``: who holds a claim, readable in the admin and the logs, and distinct
    for two workers in one process (threads in tests) or a restarted process with a reused pid."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker(Protocol):
    """What the runner needs of a worker."""

    worker_id: str
    stopping: threading.Event  # set when the worker should stop; a step may check it between items
    acted: dict[str, int]  # what its steps did, by outcome (for the logs and the command's last line)

    def step(self) -> bool:
        """Claim one batch and act on it; True if there was work."""
        ...

    def release(self) -> int:
        """Give back every claim still held (the loop is ending); returns how many."""
        ...


class Runner:
    """Runs a worker's steps until it is asked to stop."""

    def __init__(self, worker: Worker, *, idle_sleep: float) -> None:
        self.worker = worker
        self.idle_sleep = idle_sleep

    def stop(self, *_signal: object) -> None:
        """Ask the loop to stop after the current step (usable as a signal handler)."""
        self.worker.stopping.set()

    def run(self, *, once: bool = False, until_idle: bool = False) -> int:
        """Step until stopped (``once``: one step; ``until_idle``: until a step finds no work).
        A step that raises is logged and counts as idle: the next one is tried after the sleep.
        Returns the number of steps taken."""
        stopping, steps = self.worker.stopping, 0
        log.info("worker %s started", self.worker.worker_id)
        try:
            while not stopping.is_set():
                steps += 1
                try:
                    worked = self.worker.step()
                except Exception:  # a database blip must not end the process; the leases expire
                    log.exception("worker %s: step failed", self.worker.worker_id)
                    worked = False
                if once or (until_idle and not worked):
                    break
                if not worked:
                    stopping.wait(self.idle_sleep)
        finally:
            try:
                released = self.worker.release()
            except Exception:  # the database is gone: the leases lapse on their own
                log.exception("worker %s: could not give back its claims", self.worker.worker_id)
                released = 0
            log.info(
                "worker %s stopped after %s steps (released %s claims): %s",
                self.worker.worker_id,
                steps,
                released,
                self.worker.acted,
            )
        return steps

    @contextmanager
    def stopping_on_signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT stop the loop while inside; the previous handlers come back after."""
        previous = {sig: signal.signal(sig, self.stop) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class WorkerCommand(BaseCommand):
    """Base of the worker commands: the shared flags, the loop, and the clean stop on signals.
    A subclass sets ``name``, ``default_batch`` and ``default_idle_sleep`` and builds its worker."""

    name = "worker"
    default_batch = 100
    default_idle_sleep = 1.0

    def make_worker(self, *, batch: int, worker_id: str) -> Worker:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="run one step, then exit")
        mode.add_argument("--until-idle", action="store_true", help="run steps until one finds no work, then exit")
        parser.add_argument(
            "--batch", type=int, default=self.default_batch, help="items claimed per step (default %(default)s)"
        )
        parser.add_argument(
            "--idle-sleep",
            type=float,
            default=self.default_idle_sleep,
            help="seconds to wait after a step that found no work (default %(default)s)",
        )
        parser.add_argument(
            "--worker-id", default="", help="name written on claims (default host:pid:random, unique per start)"
        )

    def handle(
        self, *args: Any, once: bool, until_idle: bool, batch: int, idle_sleep: float, worker_id: str, **options: Any
    ) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        if idle_sleep < 0:
            raise CommandError("--idle-sleep must not be negative")
        if len(worker_id) > WORKER_ID_MAX_LENGTH:
            raise CommandError(f"--worker-id must be at most {WORKER_ID_MAX_LENGTH} characters")
        worker = self.make_worker(batch=batch, worker_id=worker_id.strip() or new_worker_id())
        # The URLconf now, not in the first batch (messages carry links): it imports every view.
        # Then what is alive (modules, the app registry, the URLconf) lives as long as the process:
        # out of the collector's sight it is not scanned again at every collection that a batch's
        # thousands of fresh rows trigger (a sixth of the SLA sweeper's CPU before).
        get_resolver().reverse_dict  # noqa: B018 - populates the resolver
        gc.freeze()
        runner = Runner(worker, idle_sleep=idle_sleep)
        self.stdout.write(f"{self.name} {worker.worker_id} started")
        try:
            with runner.stopping_on_signals():
                steps = runner.run(once=once, until_idle=until_idle)
        finally:  # back to normal collection when the command is called in a longer-lived process
            gc.unfreeze()
        self.stdout.write(f"{self.name} {worker.worker_id} stopped after {steps} steps: {worker.acted}")
