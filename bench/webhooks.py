"""Webhook response time: p50/p99 of voice/incoming and sms/incoming.

    .venv/bin/python bench/webhooks.py                  # in-process (Django test client, fresh test DB)
    .venv/bin/python bench/webhooks.py -n 500
    .venv/bin/python bench/webhooks.py --server http://127.0.0.1:8000   # a running server over HTTP

Each request is a new, correctly signed webhook (new CallSid / MessageSid), so every one does
the full work: signature check, idempotency receipt, Call row + screen-pop payload (caller
with past cases), or a registered case for the SMS. A replay of one Sid is measured too.
Set DATABASE_URL to measure on PostgreSQL. Twilio waits 15 s for a webhook; we aim at < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casecenter.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from telephony import simulate  # noqa: E402


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(label: str, fn, n: int) -> None:
    for _ in range(min(10, n)):  # warm-up: imports, template and query caches
        fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        reply = fn()
        times.append((time.perf_counter() - start) * 1000)
        if reply.status != 200:
            raise SystemExit(f"{label}: HTTP {reply.status}: {reply.body[:200]}")
    print(
        f"{label:<28} n={n:<5} p50={percentile(times, 0.50):7.2f} ms  p99={percentile(times, 0.99):7.2f} ms"
        f"  mean={statistics.fmean(times):7.2f} ms  max={max(times):7.2f} ms"
    )


def run(tw: simulate.Twilio, n: int) -> None:
    counter = iter(range(10**9))

    def caller() -> str:
        return f"+86138{next(counter) % 200:08d}"  # 200 distinct callers: histories build up

    measure(
        "voice/incoming (new call)",
        lambda: tw.post(
            "voice/incoming/", simulate.call_params(simulate.new_sid("CA"), caller(), CallStatus="ringing")
        ),
        n,
    )
    measure("sms/incoming (new case)", lambda: simulate.sms(tw, caller(), "幸福路12号路灯不亮，请尽快修复。"), n)
    sid = simulate.new_sid("CA")
    measure(
        "voice/incoming (replay)",
        lambda: tw.post("voice/incoming/", simulate.call_params(sid, "+8613800138000", CallStatus="ringing")),
        n,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="requests per measurement")
    parser.add_argument("--server", default="", help="measure over HTTP against this running server")
    args = parser.parse_args()
    settings.TELEPHONY_OPEN_HOURS = ("00:00", "00:00")  # always open: measure the queue path
    if args.server:
        tw = simulate.Twilio(
            send=simulate.urllib_sender(args.server),
            public_base_url=settings.PUBLIC_BASE_URL,
            auth_token=settings.TWILIO_AUTH_TOKEN,
        )
        run(tw, args.n)
        return
    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        from cases.seed import load_district

        load_district()
        tw = simulate.Twilio(
            send=simulate.client_sender(Client()),
            public_base_url=settings.PUBLIC_BASE_URL,
            auth_token=settings.TWILIO_AUTH_TOKEN,
        )
        print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, in-process test client")
        run(tw, args.n)
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
