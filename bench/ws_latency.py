"""WebSocket fan-out latency: commit → received by 1,000 connected clients spread over 2 web
processes, against a raw Redis pub/sub round trip to as many subscribers, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_notify_bench .venv/bin/python bench/ws_latency.py
    … bench/ws_latency.py --clients 1000 --web-processes 2 --events 60 [--layer core]

Starts its own redis-server on a free port (never touches the shared one) and ``--web-processes``
daphne web processes (subprocesses, the real ``casecenter.asgi`` app with the project's channel
layer: channels-redis' pub/sub layer, one PUBLISH per event and topic; ``--layer core`` for the
list-per-consumer layer). The clients, spread round-robin over the processes, sign in with a
supervisor's session cookie and subscribe to ``board``. The publisher commits a small
transaction whose ``on_commit`` publishes through ``notifications.events`` (sequence number +
replay buffer + group_send); latency is from just after COMMIT to each client's receipt, all on
this process's monotonic clock. The baseline: 200 redis-py asyncio subscribers and one PUBLISH.
Without DATABASE_URL it uses a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from figures_line import figure  # noqa: E402

GOAL_RATIO = 3.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listening on port {port}")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(name: str, ms: list[float]) -> str:
    return (
        f"{name:<34} n={len(ms):>6}  p50={pct(ms, 50):7.2f} ms  p99={pct(ms, 99):7.2f} ms  "
        f"max={max(ms):7.2f} ms  mean={statistics.fmean(ms):7.2f} ms"
    )


# --- the WebSocket clients ----------------------------------------------------------------
# A minimal RFC 6455 client on asyncio streams: autobahn (daphne's) is bound to Twisted once
# Django has loaded daphne, and a bench is no reason to add a dependency.


class WSClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int, cookie: str) -> WSClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://127.0.0.1:{port}\r\nCookie: sessionid={cookie}\r\n\r\n"
            ).encode()
        )
        status = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"handshake refused: {status[:80]!r}")
        return cls(reader, writer)

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        assert len(payload) < 126
        self.writer.write(
            bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        )

    def send_json(self, data: dict) -> None:
        self._send(0x1, json.dumps(data).encode())

    async def receive_json(self) -> dict:
        while True:
            head = await self.reader.readexactly(2)
            length = head[1] & 0x7F
            if length == 126:
                length = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            payload = await self.reader.readexactly(length)
            if head[0] & 0x0F == 0x1:  # text frame (the server sends nothing else we need)
                return json.loads(payload)
            if head[0] & 0x0F == 0x8:
                raise ConnectionError("closed by server")
            if head[0] & 0x0F == 0x9:  # daphne pings every 20 s and drops clients that stay silent
                self._send(0xA, payload)

    def close(self) -> None:
        self.writer.close()


async def connect_clients(n: int, ports: list[int], session: str, at_once: int = 25) -> list[WSClient]:
    """``n`` subscribed clients, round-robin over ``ports``, ``at_once`` handshakes in flight."""
    gate = asyncio.Semaphore(at_once)

    async def one(i: int) -> WSClient:
        async with gate:
            client = await WSClient.connect(ports[i % len(ports)], session)
            client.send_json({"subscribe": "board"})
            while (await client.receive_json()).get("type") != "subscribed":
                pass
            return client

    t0 = time.monotonic()
    clients = await asyncio.gather(*(one(i) for i in range(n)))
    print(f"  {n} clients connected and subscribed in {time.monotonic() - t0:.1f} s")
    return list(clients)


# --- the two measurements -----------------------------------------------------------------


def measure_commit_to_client(args: argparse.Namespace, ports: list[int], session: str, user_pk: int) -> list[float]:
    from django.db import connection, transaction

    from notifications import events
    from notifications.models import NotificationPreference

    received: dict[int, list[float]] = {}
    committed: dict[int, float] = {}

    def publisher() -> None:
        events._send_now_rollback_unsafe("board", "bench.warmup", {})  # open connections first
        time.sleep(args.gap)
        for n in range(args.events):
            with transaction.atomic():
                NotificationPreference.objects.filter(user_id=user_pk).update(language="zh-hans")
                # Registered before publish's own callback, so it runs first, right after COMMIT.
                transaction.on_commit(lambda n=n: committed.__setitem__(n, time.perf_counter()))
                events.publish("board", "bench.ping", {"n": n})
            time.sleep(args.gap)
        connection.close()

    async def listen(client: WSClient) -> None:
        while True:
            msg = await client.receive_json()
            now = time.perf_counter()
            if msg.get("type") == "bench.ping":
                received.setdefault(msg["data"]["n"], []).append(now)

    async def main() -> None:
        clients = await connect_clients(args.clients, ports, session)
        listeners = [asyncio.create_task(listen(c)) for c in clients]
        thread = threading.Thread(target=publisher)
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.05)
        deadline = time.monotonic() + 5  # stragglers
        while time.monotonic() < deadline and sum(map(len, received.values())) < args.events * args.clients:
            await asyncio.sleep(0.05)
        for task, client in zip(listeners, clients, strict=True):
            if task.done() and task.exception():
                print(f"  client failed: {task.exception()!r}")
            task.cancel()
            client.close()

    asyncio.run(main())
    lost = args.events * args.clients - sum(len(v) for v in received.values())
    if lost:
        print(f"  note: {lost} deliveries missing (at-most-once; clients would refetch)")
        if os.environ.get("BENCH_DEBUG"):
            print("  per event:", [len(received.get(n, [])) for n in range(args.events)])
    firsts = [(min(times) - committed[n]) * 1000 for n, times in received.items()]
    lasts = [(max(times) - committed[n]) * 1000 for n, times in received.items()]
    print(summary(f"  commit → first client of {args.clients}", firsts))
    print(summary(f"  commit → last client of {args.clients}", lasts))
    return [(t - committed[n]) * 1000 for n, times in received.items() for t in times]


def measure_raw_redis(args: argparse.Namespace, url: str) -> list[float]:
    import redis
    import redis.asyncio as aredis

    sent: dict[int, float] = {}
    latencies: list[float] = []

    async def subscriber(ready: asyncio.Queue) -> None:
        client = aredis.Redis.from_url(url)
        pubsub = client.pubsub()
        await pubsub.subscribe("bench")
        while await pubsub.get_message(timeout=5) is None:  # the subscription's confirmation
            pass
        ready.put_nowait(1)
        got = 0
        deadline = time.monotonic() + 10 + args.events * args.gap
        while got < args.events and time.monotonic() < deadline:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if msg is None:
                continue
            now = time.perf_counter()
            latencies.append((now - sent[int(msg["data"])]) * 1000)
            got += 1
        await pubsub.aclose()
        await client.aclose()

    def publisher() -> None:
        client = redis.Redis.from_url(url)
        for n in range(args.events):
            sent[n] = time.perf_counter()
            client.publish("bench", str(n))
            time.sleep(args.gap)

    async def main() -> None:
        ready: asyncio.Queue = asyncio.Queue()
        tasks = [asyncio.create_task(subscriber(ready)) for _ in range(args.clients)]
        for _ in range(args.clients):
            await ready.get()
        thread = threading.Thread(target=publisher)
        thread.start()
        await asyncio.gather(*tasks)
        thread.join()

    asyncio.run(main())
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--web-processes", type=int, default=2, help="daphne processes (default %(default)s)")
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument(
        "--layer",
        choices=["project", "core", "pubsub"],
        default="project",
        help="channels_redis layer: the project's (pub/sub, published by the event script), core, or "
        "pubsub through the layer's own group_send (default %(default)s)",
    )
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between events (default %(default)s)")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        sys.exit("needs redis-server")

    tmp = tempfile.mkdtemp(prefix="ws-bench-")
    redis_port, web_ports = free_port(), [free_port() for _ in range(args.web_processes)]
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "BENCH_LAYER": args.layer,
        "DJANGO_SETTINGS_MODULE": "ws_bench_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")]),
    }
    if not env.get("DATABASE_URL"):
        env["SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
    os.environ.update(env)
    procs: list[subprocess.Popen] = []
    try:
        procs.append(
            subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
            )
        )
        wait_port(redis_port)

        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        from cases.enums import Role
        from cases.models import User
        from notifications.models import NotificationPreference

        call_command("migrate", verbosity=0)
        user, _ = User.objects.get_or_create(username="bench_supervisor", defaults={"role": Role.SUPERVISOR})
        NotificationPreference.objects.get_or_create(user=user)
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value

        for web_port in web_ports:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "daphne",
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(web_port),
                        "casecenter.asgi:application",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for web_port in web_ports:
            wait_port(web_port)

        print(
            f"{args.clients} clients over {args.web_processes} web processes, {args.events} events, "
            f"{args.gap * 1000:.0f} ms apart, layer {args.layer}; "
            f"database {'PostgreSQL' if env.get('DATABASE_URL') else 'SQLite'}; own redis-server :{redis_port}"
        )
        raw = measure_raw_redis(args, redis_url)
        ws = measure_commit_to_client(args, web_ports, session, user.pk)
        print(summary("raw Redis PUBLISH → subscriber", raw))
        print(summary("commit → WebSocket client", ws))
        ratio = pct(ws, 99) / pct(raw, 99)
        figure(
            f"WebSocket commit→client p99 ÷ raw PUBLISH p99 ({args.clients} clients, {args.web_processes} processes)",
            f"{ratio:.2f} ({pct(ws, 99):.1f} ms)",
            f"≤ {GOAL_RATIO:g}",
            f"raw Redis p99 {pct(raw, 99):.1f} ms",
            ratio <= GOAL_RATIO,
        )
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
