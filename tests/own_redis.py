"""A redis-server of the test's own on a free port (never the shared one), to kill and restart.

Every wait is bounded twice: by a ``time.monotonic()`` deadline and by a number of tries, so no
test can hang, even under a faked system date. The server is started without the test process's
``LD_PRELOAD``/``FAKETIME`` (Debian's ``faketime`` wrapper): libfaketime breaks redis-server at
startup, and a Redis on the real clock is what production has. Its client never retries with
backoff (redis-py's default sleeps seconds between tries, which is what used to hang)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

START_SECONDS = 10.0
FAKED_CLOCK_ENV = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "FAKETIME_NO_CACHE", "DONT_FAKE_MONOTONIC")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    def __init__(self, db: int = 0) -> None:
        if not shutil.which("redis-server"):
            pytest.skip("redis-server binary not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/{db}"
        self.proc: subprocess.Popen | None = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.url, socket_connect_timeout=0.2, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in FAKED_CLOCK_ENV}
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        client = self.client()
        deadline = time.monotonic() + START_SECONDS
        for _ in range(int(START_SECONDS / 0.05)):
            if self.proc.poll() is not None:
                raise RuntimeError(f"own redis-server exited with {self.proc.returncode}")
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"own redis-server did not answer within {START_SECONDS} s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=START_SECONDS)
            except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not wait for anyone
                pass
            self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
