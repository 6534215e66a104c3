"""WebSocket fan-out latency: commit → received by 1,000 connected clients spread over 2 web
processes, against a raw Redis PUBLISH → as many subscribers, measured the same way in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_ws_bench .venv/bin/python bench/ws_latency.py
    … bench/ws_latency.py --clients 1000 --web-processes 2 --events 60 [--layer core] [--server daphne]

Starts its own redis-server on a free port (never touches the shared one), ``--web-processes`` web
processes (the real ``casecenter.asgi`` app under ``--server``: uvicorn, as README's production
layout runs it, when it is installed, else daphne; with the project's channel layer:
channels-redis' pub/sub layer, one PUBLISH per event and topic; ``--layer core`` for the
list-per-consumer layer) and ``--client-processes`` client processes (this script with
``--worker``), so that no client shares a process with a server or with the publisher.

Both measurements use the same client processes, the same number of connections spread over them
in the same way, the same lean asyncio-streams clients and the same JSON body per message:
- raw: each connection SUBSCRIBEs to one Redis channel; this process PUBLISHes the body; latency
  is from just before the PUBLISH to each subscriber's receipt;
- WebSocket: each connection signs in with a supervisor's session cookie and subscribes to
  ``board`` (round-robin over the web processes); this process commits a small transaction whose
  ``on_commit`` publishes through ``notifications.events`` (number + replay buffer + PUBLISH, one
  script); latency is from just after COMMIT to each client's receipt.
All times are ``time.monotonic()`` (CLOCK_MONOTONIC: one clock for every process on the machine).
Besides the latencies it prints what does not depend on the machine's load: the CPU time the web
and client processes spent per event (from /proc), and the load average before and after.
Without DATABASE_URL it uses a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import json
import os
import shutil
import socket
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
RAW_CHANNEL = "bench.raw"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, seconds: float = 30) -> None:
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
        f"{name:<40} n={len(ms):>6}  p50={pct(ms, 50):7.2f} ms  p99={pct(ms, 99):7.2f} ms  "
        f"max={max(ms):7.2f} ms  mean={sum(ms) / len(ms):7.2f} ms"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def load() -> str:
    return "load average " + ", ".join(Path("/proc/loadavg").read_text().split()[:3])


def body(n: int) -> str:
    """The message both measurements carry: shaped and sized like an event on the socket."""
    return json.dumps({"topic": "board", "type": "bench.ping", "data": {"n": n}, "seq": n + 1})


# --- the clients (run in the --worker processes) -----------------------------------------------
# Lean clients on asyncio streams, one kind per measurement, as alike as the protocols allow: read
# a frame, decode the JSON, note the time. (autobahn is bound to Twisted, and a bench is no reason
# to add a client library; redis-py's parser would cost the anchor more than ours costs the socket.)


class WSClient:
    """A minimal RFC 6455 client."""

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
            opcode = head[0] & 0x0F
            if opcode == 0x1:
                return json.loads(payload)
            if opcode == 0x8:
                raise ConnectionError("closed by server")
            if opcode == 0x9:  # servers ping idle clients and drop those that stay silent
                self._send(0xA, payload)

    def close(self) -> None:
        self.writer.close()


class RawSubscriber:
    """A minimal RESP client subscribed to one channel."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int, channel: str) -> RawSubscriber:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"*2\r\n$9\r\nSUBSCRIBE\r\n${len(channel)}\r\n{channel}\r\n".encode())
        self = cls(reader, writer)
        await self._push()  # ["subscribe", channel, 1]
        return self

    async def _push(self) -> list[bytes]:
        head = await self.reader.readuntil(b"\r\n")  # *3
        items = []
        for _ in range(int(head[1:-2])):
            line = await self.reader.readuntil(b"\r\n")
            if line[:1] == b"$":
                items.append((await self.reader.readexactly(int(line[1:-2]) + 2))[:-2])
            else:
                items.append(line[1:-2])
        return items

    async def receive_json(self) -> dict:
        while True:
            kind, _, data = await self._push()
            if kind == b"message":
                return json.loads(data)

    def close(self) -> None:
        self.writer.close()


async def worker_main(spec: dict) -> dict:
    """One client process: connect ``spec["n"]`` clients, say READY, note every ``bench.ping``'s
    arrival until all ``spec["events"]`` have reached every client, STOP, or the deadline; then
    answer with the times."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(25)  # handshakes in flight
    received: list[list[float]] = []  # [n, time] pairs
    expected = spec["n"] * spec["events"]
    finished = loop.create_future()

    def finish() -> None:
        if not finished.done():
            finished.set_result(None)

    async def connect(i: int):
        async with gate:
            if spec["mode"] == "raw":
                return await RawSubscriber.connect(spec["redis_port"], RAW_CHANNEL)
            client = await WSClient.connect(spec["ports"][i % len(spec["ports"])], spec["cookie"])
            client.send_json({"subscribe": "board"})
            while (await client.receive_json()).get("type") != "subscribed":
                pass
            return client

    async def listen(client) -> None:
        while True:
            msg = await client.receive_json()
            if msg.get("type") == "bench.ping" and msg["data"]["n"] >= 0:
                received.append([msg["data"]["n"], time.monotonic()])
                if len(received) >= expected:
                    finish()

    def wait_for_stop() -> None:
        sys.stdin.readline()
        loop.call_soon_threadsafe(finish)

    clients = await asyncio.gather(*(connect(spec["first"] + i) for i in range(spec["n"])))
    tasks = [asyncio.create_task(listen(c)) for c in clients]
    threading.Thread(target=wait_for_stop, daemon=True).start()
    print("READY", flush=True)
    try:
        await asyncio.wait_for(finished, timeout=spec["deadline"])
    except TimeoutError:
        pass
    failed = [repr(t.exception()) for t in tasks if t.done() and not t.cancelled() and t.exception()]
    for task, client in zip(tasks, clients, strict=True):
        task.cancel()
        client.close()
    return {"received": received, "failed": failed[:3], "failures": len(failed)}


# --- the measurement (the main process) --------------------------------------------------------


class Workers:
    """``count`` client processes sharing ``clients`` connections of one ``mode``."""

    def __init__(self, count: int, clients: int, spec: dict, env: dict) -> None:
        self.procs = []
        first = 0
        for i in range(count):
            n = clients // count + (1 if i < clients % count else 0)
            proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({**spec, "n": n, "first": first}) + "\n")
            proc.stdin.flush()
            first += n
            self.procs.append(proc)

    def wait_ready(self, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # bounded: the worker exits at its own deadline
            if line.strip() != "READY" or time.monotonic() > deadline:
                self.kill()
                sys.exit(f"a client process did not get ready: {line!r}")
        # Their answers can exceed a pipe's buffer: read them as they come.
        self.outputs: list[list[str]] = [[] for _ in self.procs]
        self.readers = [
            threading.Thread(target=lambda p=proc, out=out: out.append(p.stdout.read()), daemon=True)
            for proc, out in zip(self.procs, self.outputs, strict=True)
        ]
        for reader in self.readers:
            reader.start()

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)

    def results(self, grace: float) -> tuple[dict[int, list[float]], int]:
        """Each event's arrival times, and the clients that failed. A client process answers once
        every event reached all its clients; after ``grace`` seconds it is told to stop."""
        deadline = time.monotonic() + grace
        for proc, reader in zip(self.procs, self.readers, strict=True):
            reader.join(timeout=max(0.0, deadline - time.monotonic()))
            if reader.is_alive():
                assert proc.stdin is not None
                proc.stdin.write("STOP\n")
                proc.stdin.flush()
        received: dict[int, list[float]] = {}
        failures = 0
        for proc, reader, out in zip(self.procs, self.readers, self.outputs, strict=True):
            reader.join(timeout=60)
            proc.wait(timeout=60)
            result = json.loads(out[0].strip().splitlines()[-1])
            for n, t in result["received"]:
                received.setdefault(n, []).append(t)
            failures += result["failures"]
            for message in result["failed"]:
                print(f"  client failed: {message}")
        return received, failures

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()


def latencies(name: str, sent: dict[int, float], received: dict[int, list[float]], args) -> list[float]:
    lost = args.events * args.clients - sum(len(received.get(n, [])) for n in sent)
    if lost:
        print(f"  {name}: {lost} deliveries missing (at-most-once; clients would refetch)")
    firsts = [(min(received[n]) - sent[n]) * 1000 for n in sent if received.get(n)]
    lasts = [(max(received[n]) - sent[n]) * 1000 for n in sent if received.get(n)]
    print(summary(f"  {name}: first client of {args.clients}", firsts))
    print(summary(f"  {name}: last client of {args.clients}", lasts))
    return [(t - sent[n]) * 1000 for n in sent for t in received.get(n, [])]


def measure_raw(args, env: dict, redis_port: int) -> tuple[list[float], float]:
    import redis

    workers = Workers(args.client_processes, args.clients, {"mode": "raw", "redis_port": redis_port,
                                                            "events": args.events, "deadline": args.deadline}, env)  # fmt: skip
    try:
        workers.wait_ready()
        client = redis.Redis(port=redis_port)
        client.publish(RAW_CHANNEL, body(-1))  # warm-up, not counted
        time.sleep(args.gap)
        sent: dict[int, float] = {}
        cpu0 = workers.cpu()
        for n in range(args.events):
            text = body(n)
            sent[n] = time.monotonic()
            client.publish(RAW_CHANNEL, text)
            time.sleep(args.gap)
        clients_cpu = workers.cpu() - cpu0
        received, _ = workers.results(grace=10)
    finally:
        workers.kill()
    return latencies("raw PUBLISH", sent, received, args), clients_cpu


def measure_ws(args, env: dict, web_ports: list[int], web_pids: list[int], session: str, user_pk: int):
    from django.db import connection, transaction

    from notifications import events
    from notifications.models import NotificationPreference

    workers = Workers(args.client_processes, args.clients, {"mode": "ws", "ports": web_ports, "cookie": session,
                                                            "events": args.events, "deadline": args.deadline}, env)  # fmt: skip
    try:
        workers.wait_ready()
        events._send_now_rollback_unsafe("board", "bench.warmup", {})  # open connections first
        time.sleep(args.gap)
        committed: dict[int, float] = {}
        cpu0, web0 = workers.cpu(), [cpu_seconds(pid) for pid in web_pids]
        for n in range(args.events):
            with transaction.atomic():
                NotificationPreference.objects.filter(user_id=user_pk).update(language="zh-hans")
                # Registered before publish's own callback, so it runs first, right after COMMIT.
                transaction.on_commit(lambda n=n: committed.__setitem__(n, time.monotonic()))
                events.publish("board", "bench.ping", {"n": n})
            time.sleep(args.gap)
        clients_cpu = workers.cpu() - cpu0
        web_cpu = [cpu_seconds(pid) - c for pid, c in zip(web_pids, web0, strict=True)]
        received, failures = workers.results(grace=10)
        connection.close()
    finally:
        workers.kill()
    if failures:
        print(f"  {failures} WebSocket clients failed")
    return latencies("WebSocket", committed, received, args), clients_cpu, web_cpu


def server_command(server: str, port: int) -> list[str]:
    app = "casecenter.asgi:application"
    if server == "daphne":
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app]
    # As README's production layout runs it (uvloop, httptools and websockets' sans-I/O protocol).
    return [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            "--lifespan", "off", "--no-proxy-headers", app]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--web-processes", type=int, default=2, help="web processes (default %(default)s)")
    parser.add_argument("--client-processes", type=int, default=2, help="client processes (default %(default)s)")
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument(
        "--server",
        choices=["uvicorn", "daphne"],
        default="uvicorn" if importlib.util.find_spec("uvicorn") else "daphne",
        help="ASGI server of the web processes: uvicorn (production, README) when installed (default %(default)s)",
    )
    parser.add_argument(
        "--layer",
        choices=["project", "core", "pubsub"],
        default="project",
        help="channels_redis layer: the project's (pub/sub, published by the event script), core, or "
        "pubsub through the layer's own group_send (default %(default)s)",
    )
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between events (default %(default)s)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        spec = json.loads(sys.stdin.readline())
        print(json.dumps(asyncio.run(worker_main(spec))), flush=True)
        return
    if not shutil.which("redis-server"):
        sys.exit("needs redis-server")
    args.deadline = 120 + args.events * args.gap  # a client process never outlives this

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

        web = [
            subprocess.Popen(
                server_command(args.server, port),
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for port in web_ports
        ]
        procs.extend(web)
        for web_port in web_ports:
            wait_port(web_port)

        print(
            f"{args.clients} clients in {args.client_processes} client processes over {args.web_processes} "
            f"{args.server} processes, {args.events} events {args.gap * 1000:.0f} ms apart, layer {args.layer}; "
            f"database {'PostgreSQL' if env.get('DATABASE_URL') else 'SQLite'}; own redis-server :{redis_port}; "
            f"{load()}"
        )
        raw, raw_clients_cpu = measure_raw(args, env, redis_port)
        ws, ws_clients_cpu, web_cpu = measure_ws(args, env, web_ports, [p.pid for p in web], session, user.pk)
        print(summary("raw Redis PUBLISH → subscriber", raw))
        print(summary("commit → WebSocket client", ws))
        per_event = 1000 / args.events
        print(
            f"CPU per event: web processes {' + '.join(f'{c * per_event:.1f}' for c in web_cpu)} ms "
            f"({sum(web_cpu) * per_event * 1000 / args.clients:.0f} µs per socket); client processes "
            f"{ws_clients_cpu * per_event:.1f} ms (WebSocket) vs {raw_clients_cpu * per_event:.1f} ms (raw)"
        )
        print(f"after: {load()}")
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
