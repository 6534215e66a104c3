"""The worker runner (cases.workers): steps until stopped, sleeps only when idle, finishes the
current step on SIGTERM/SIGINT, and both worker commands share its flags."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from cases import workers
from cases.workers import Runner, new_worker_id

COMMANDS = [("sla", "run_sla_worker"), ("notifications", "run_delivery_worker")]
WORKER_FLAGS = {"--once", "--until-idle", "--batch", "--idle-sleep", "--worker-id"}


class RecordingEvent(threading.Event):
    """A stop flag whose waits are written down instead of slept."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def wait(self, timeout: float | None = None) -> bool:
        if not self.is_set():
            self.log.append(f"sleep {timeout}")
        return self.is_set()


@dataclass
class FakeWorker:
    """Steps that report the given results in turn; when they run out, it asks to stop."""

    results: list[Any]
    log: list[str] = field(default_factory=list)
    worker_id: str = "fake:1:0"
    acted: dict[str, int] = field(default_factory=dict)
    released: int = 0
    stopping: RecordingEvent = field(init=False)

    def __post_init__(self) -> None:
        self.stopping = RecordingEvent(self.log)

    def step(self) -> bool:
        if not self.results:
            self.stopping.set()
            self.log.append("step (out of work, asks to stop)")
            return True
        result = self.results.pop(0)
        if callable(result):
            result = result()
        if isinstance(result, Exception):
            self.log.append("step raises")
            raise result
        self.log.append(f"step {result}")
        return result

    def release(self) -> int:
        self.released += 1
        self.log.append("release")
        return 0


def test_the_loop_sleeps_only_after_a_step_that_found_no_work():
    worker = FakeWorker([True, True, False, True, False])
    assert Runner(worker, idle_sleep=7.5).run() == 6
    assert worker.log == [
        "step True",
        "step True",
        "step False",
        "sleep 7.5",
        "step True",
        "step False",
        "sleep 7.5",
        "step (out of work, asks to stop)",
        "release",
    ]


def test_once_runs_exactly_one_step_even_when_there_is_more_work():
    worker = FakeWorker([True, True])
    assert Runner(worker, idle_sleep=1).run(once=True) == 1
    assert worker.log == ["step True", "release"]


def test_until_idle_leaves_at_the_first_step_without_work_without_sleeping():
    worker = FakeWorker([True, True, False, True])
    assert Runner(worker, idle_sleep=1).run(until_idle=True) == 3
    assert worker.log == ["step True", "step True", "step False", "release"]


def test_a_loop_asked_to_stop_before_it_starts_takes_no_step_but_still_releases():
    worker = FakeWorker([True])
    runner = Runner(worker, idle_sleep=1)
    runner.stop()
    assert runner.run() == 0
    assert worker.log == ["release"]


def test_a_failing_step_is_logged_and_counts_as_idle(caplog):
    worker = FakeWorker([True, RuntimeError("database went away"), True])
    with caplog.at_level(logging.ERROR, logger="cases.workers"):
        assert Runner(worker, idle_sleep=2).run() == 4
    assert worker.log == [
        "step True",
        "step raises",
        "sleep 2",
        "step True",
        "step (out of work, asks to stop)",
        "release",
    ]
    assert "fake:1:0: step failed" in caplog.text and "database went away" in caplog.text


def test_a_release_that_fails_is_logged_and_the_loop_still_ends(caplog, monkeypatch):
    def release_without_a_database() -> int:
        raise ConnectionError("no database")

    worker = FakeWorker([False])
    monkeypatch.setattr(worker, "release", release_without_a_database)
    with caplog.at_level(logging.ERROR, logger="cases.workers"):
        assert Runner(worker, idle_sleep=0).run(until_idle=True) == 1
    assert "could not give back its claims" in caplog.text


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_during_a_step_lets_the_step_finish_then_the_loop_ends_and_releases(signum):
    def signalled_mid_step() -> bool:
        os.kill(os.getpid(), signum)  # as `kill <pid>` or Ctrl-C would; the handler only sets a flag
        worker.log.append("rest of the step after the signal")
        return True

    worker = FakeWorker([signalled_mid_step, True, True])
    runner = Runner(worker, idle_sleep=1)
    before = signal.getsignal(signum)
    with runner.stopping_on_signals():
        assert runner.run() == 1
    assert worker.log == ["rest of the step after the signal", "step True", "release"]
    assert worker.results == [True, True]  # no further step was taken
    assert signal.getsignal(signum) == before  # the previous handler is back


def test_worker_ids_name_the_host_and_process_and_differ_per_worker():
    first, second = new_worker_id(), new_worker_id()
    assert first.startswith(f"{socket.gethostname()[:30]}:{os.getpid()}:")
    assert first != second
    assert len(first) <= workers.WORKER_ID_MAX_LENGTH


# --- the two commands ---------------------------------------------------------------------


def worker_options(app: str, name: str) -> dict[str, tuple[str, ...]]:
    parser = load_command_class(app, name).create_parser("manage.py", name)
    return {
        action.option_strings[0]: (action.help % {"default": "N"}, type(action).__name__)
        for action in parser._actions
        if action.option_strings and action.option_strings[0] in WORKER_FLAGS
    }


def test_both_worker_commands_take_the_same_flags_with_the_same_meanings():
    sla, delivery = (worker_options(app, name) for app, name in COMMANDS)
    assert set(sla) == WORKER_FLAGS
    assert sla == delivery


@pytest.mark.parametrize(("app", "name"), COMMANDS)
@pytest.mark.parametrize(
    ("flags", "mode"),
    [
        ([], {"once": False, "until_idle": False}),
        (["--once"], {"once": True, "until_idle": False}),
        (["--until-idle"], {"once": False, "until_idle": True}),
    ],
)
def test_each_command_hands_its_flags_to_the_worker_and_the_runner(app, name, flags, mode, monkeypatch):
    seen: dict[str, Any] = {}

    def fake_run(self: Runner, *, once: bool = False, until_idle: bool = False) -> int:
        seen.update(
            worker_id=self.worker.worker_id,
            batch=self.worker.batch,
            idle_sleep=self.idle_sleep,
            once=once,
            until_idle=until_idle,
            handler=signal.getsignal(signal.SIGTERM),
        )
        return 1

    monkeypatch.setattr(Runner, "run", fake_run)
    out = StringIO()
    call_command(name, *flags, "--batch", "3", "--idle-sleep", "0.25", "--worker-id", "host-a:42", stdout=out)
    assert seen.pop("handler") != signal.getsignal(signal.SIGTERM)  # SIGTERM stops the loop while it runs
    assert seen == {"worker_id": "host-a:42", "batch": 3, "idle_sleep": 0.25, **mode}
    assert out.getvalue().splitlines()[-1].endswith("host-a:42 stopped after 1 steps: {}")


@pytest.mark.parametrize(("app", "name"), COMMANDS)
def test_without_a_worker_id_each_command_names_itself_after_host_and_process(app, name, monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(Runner, "run", lambda self, **kw: seen.append(self.worker.worker_id) or 0)
    call_command(name, "--once", stdout=StringIO())
    assert seen[0].startswith(f"{socket.gethostname()[:30]}:{os.getpid()}:")


@pytest.mark.parametrize(("app", "name"), COMMANDS)
@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--batch", "0"], "--batch must be at least 1"),
        (["--idle-sleep", "-1"], "--idle-sleep must not be negative"),
        (["--worker-id", "x" * 65], "--worker-id must be at most 64 characters"),
        (["--once", "--until-idle"], "not allowed with argument"),
    ],
)
def test_each_command_refuses_bad_flags_before_claiming_anything(app, name, flags, message, monkeypatch):
    monkeypatch.setattr(Runner, "run", lambda self, **kw: pytest.fail("the loop must not start"))
    with pytest.raises(CommandError, match=message):
        call_command(name, *flags, stdout=StringIO())
