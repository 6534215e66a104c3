"""Intake throughput: ``POST /api/v1/cases/`` under gunicorn against its two anchors, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_scale_intake_bench REDIS_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python bench/intake.py [--duration 15] [--connections 8]

In this order, on the same PostgreSQL and loopback, each with the same load generator (wrk, Debian's
package: ``scripts/setup --dev`` installs it) and the same JSON body:

1. ``pgbench``: single-row INSERT transactions per second (8 clients, a table of its own);
2. the bare Django + DRF peer of ``../shared/bench/peer_django`` (token auth, ModelSerializer, one
   INSERT) under ``gunicorn -w 2``, on its own database ``<bench db>_peer``;
3. casecenter's intake under ``gunicorn -w 2`` (sync workers, DEBUG off, the project's settings
   with this DATABASE_URL and REDIS_URL): case row, audit event, triage timer, receipt outbox row,
   real-time event to the desk and queue.

Both servers run side by side (idle while the other is loaded): each is warmed for 3 s, then they
are loaded in turn, ``--rounds`` times each, ``--duration`` seconds a time, with ``wrk -t2 -c8``;
the median round of each is compared (a shared machine's load drifts). The web workers' resident
memory is sampled every 0.2 s during the load. Queries per registration (BEGIN and COMMIT counted)
and CPU milliseconds per registration (``time.process_time``, which the machine's load hardly
moves) are measured in this process on the same database, caches warm, the peer's CPU likewise. Prints one
``FIGURE`` line per figure (bench/figures_line.py). The database name must contain "bench": its
case tables are emptied.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Python puts this script's directory first on the path, where bench/statistics.py (the /stats/
# bench) would shadow the standard library's module of that name.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
import statistics  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casecenter.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from figures_line import figure  # noqa: E402

BODY = {
    "channel": "hotline",
    "kind": "complaint",
    "category": "CITY-VEND",
    "title": "幸福路夜市占道",
    "content": "幸福路12号门口每晚摊贩占满人行道，行人只能走机动车道。",
    "priority": "normal",
    "citizen": {"name": "李四", "phone": "13800135678"},
    "location": "东湖街道幸福路12号",
}
GOAL_RATIO = 0.5
GOAL_P99_MS = 50.0
GOAL_RSS_MB = 200.0
GOAL_QUERIES = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing listening on port {port}")


def pg_args(url_db: dict[str, str]) -> list[str]:
    return ["-h", url_db["HOST"] or "127.0.0.1", "-p", str(url_db["PORT"] or 5432), "-U", url_db["USER"] or "postgres"]


# --- preparing -------------------------------------------------------------------------------


def prepare() -> tuple[str, dict[str, str]]:
    """Migrate and seed the bench database, empty its cases; an agent's API token."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from cases import tracking_sequences
    from cases.enums import Role
    from cases.models import Department, User
    from cases.seed import load_district
    from sla.seed import seed_calendars_now

    if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
        sys.exit("needs DATABASE_URL=postgres://…/<name with 'bench'> (its case tables are emptied)")
    call_command("migrate", verbosity=0)
    load_district()
    seed_calendars_now()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE cases_case, cases_dailysequence, telephony_call CASCADE")
    tracking_sequences.drop_before(dt.date(9999, 1, 1))  # every day starts again at 1
    agent, _ = User.objects.update_or_create(
        username="bench_agent",
        defaults={"role": Role.AGENT, "department": Department.objects.get(code="XFJ"), "is_active": True},
    )
    token, _ = Token.objects.get_or_create(user=agent)
    settings_dict = dict(connection.settings_dict)
    connection.close()
    return token.key, settings_dict


def queries_and_in_process_ms(token: str, n: int = 200) -> tuple[int, float, float]:
    """Queries of one registration through the whole Django stack (token auth to 201, caches warm,
    BEGIN and COMMIT counted), and the mean wall and CPU (``time.process_time``) milliseconds per
    registration over ``n`` more. CPU time hardly depends on the machine's load."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    body = json.dumps(BODY)

    def post() -> None:
        response = client.post("/api/v1/cases/", body, content_type="application/json")
        if response.status_code != 201:
            sys.exit(f"registration failed: {response.status_code} {response.content[:300]!r}")

    for _ in range(10):  # warm: code paths, per-process copies, the pool
        post()
    with CaptureQueriesContext(connection) as seen:
        post()
    queries = len(seen.captured_queries)  # now: the next request empties the connection's log
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        post()
    per_request = (time.perf_counter() - t0) / n * 1000
    cpu = (time.process_time() - c0) / n * 1000
    connection.close()
    return queries, per_request, cpu


# The peer's CPU per request in the same way (its own process: it configures Django itself).
PEER_CPU = """
import json, sys, time
import peer  # noqa: F401
from django.test import Client
token, n, body = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = Client(HTTP_AUTHORIZATION=f"Token {token}")
for _ in range(10):
    assert client.post("/api/v1/cases/", body, content_type="application/json").status_code == 201
c0 = time.process_time()
for _ in range(n):
    client.post("/api/v1/cases/", body, content_type="application/json")
print((time.process_time() - c0) / n * 1000)
"""


def peer_cpu_ms(peer_db: str, token: str, n: int = 200) -> float:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", PEER_CPU, token, str(n), json.dumps(BODY)],
        cwd=PEER_DIR, env={**env, "PEER_DB": peer_db}, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return float(out.strip().splitlines()[-1])


# --- the anchors --------------------------------------------------------------------------------


def pgbench_tps(db: dict[str, str], duration: int, clients: int) -> float:
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    psql = ["psql", *pg_args(db), "-d", db["NAME"], "-qAt", "-v", "ON_ERROR_STOP=1", "-c"]
    subprocess.run(
        [*psql, "DROP TABLE IF EXISTS bench_pgbench_insert; CREATE TABLE bench_pgbench_insert "
         "(id bigserial PRIMARY KEY, title text NOT NULL, content text NOT NULL, at timestamptz DEFAULT now())"],
        check=True, env=env,
    )  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(
            f"INSERT INTO bench_pgbench_insert (title, content) VALUES ('{BODY['title']}', '{BODY['content']}');\n"
        )
    try:
        out = subprocess.run(
            ["pgbench", *pg_args(db), "-n", "-c", str(clients), "-j", "2", "-T", str(duration), "-f", script.name, db["NAME"]],
            check=True, env=env, capture_output=True, text=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
        subprocess.run([*psql, "DROP TABLE IF EXISTS bench_pgbench_insert"], check=False, env=env)
    match = re.search(r"tps = ([\d.]+)", out)
    if not match:
        sys.exit(f"pgbench said: {out}")
    return float(match.group(1))


def peer_dir() -> Path:
    """``../shared/bench/peer_django`` beside the repository (or a worktree one level deeper), or
    the ``PEER_DIR`` environment variable."""
    if os.environ.get("PEER_DIR"):
        return Path(os.environ["PEER_DIR"])
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared/bench/peer_django/peer.py").exists():
            return base / "shared/bench/peer_django"
    sys.exit("the peer is missing: ../shared/bench/peer_django (or set PEER_DIR)")


PEER_DIR = peer_dir()


def prepare_peer(db: dict[str, str]) -> tuple[str, str]:
    name = f"{db['NAME']}_peer"
    subprocess.run(["dropdb", *pg_args(db), "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", *pg_args(db), name], check=True)
    env = {**os.environ, "PEER_DB": name}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(
        [sys.executable, "setup_db.py"], cwd=PEER_DIR, env=env, check=True, capture_output=True, text=True
    )
    return name, out.stdout.strip().splitlines()[-1]


# --- load ----------------------------------------------------------------------------------------


class Server:
    """``gunicorn -w 2`` on a free loopback port; its workers' RSS sampled while ``sampling``."""

    def __init__(self, app: str, cwd: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        cmd = [gunicorn, app, "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env)
        wait_port(self.port)
        self.max_rss_kb = 0
        self._sampling = False
        self._thread: threading.Thread | None = None

    def workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def _sample(self) -> None:
        while self._sampling:
            for pid in self.workers():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
                self.max_rss_kb = max(self.max_rss_kb, rss)
            time.sleep(0.2)

    def start_sampling(self) -> None:
        self._sampling = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop_sampling(self) -> None:
        self._sampling = False
        if self._thread:
            self._thread.join()

    def stop(self) -> None:
        self.stop_sampling()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wrk(port: int, token: str, duration: int, connections: int) -> dict[str, float]:
    lua = (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps(BODY, ensure_ascii=False), ensure_ascii=False)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Token {token}"\n'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as script:
        script.write(lua)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script.name,
             f"http://127.0.0.1:{port}/api/v1/cases/"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    if os.environ.get("BENCH_DEBUG"):
        print(out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(bad.group(1)) if bad else 0
    failed += sum(int(x) for x in errors.groups()) if errors else 0
    return {"rps": rps, "p99": float(p99.group(1)) * scale, "failed": failed}


def warm_up(server: Server, token: str, seconds: float = 180) -> None:
    """Registrations one at a time until both workers answer: a worker loads its code on its
    first request (seconds on a loaded machine), which wrk would count against the round."""
    import urllib.request

    body = json.dumps(BODY).encode()
    deadline, answered = time.monotonic() + seconds, 0
    while answered < 6 and time.monotonic() < deadline:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/api/v1/cases/",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answered += response.status == 201
        except OSError as exc:
            print(f"  warm-up: {exc}")
            time.sleep(0.5)
    if answered < 6:
        sys.exit(f"server on :{server.port} did not answer within {seconds:.0f} s")


def alternate(servers: dict[str, tuple[Server, str]], rounds: int, duration: int, connections: int) -> dict:
    """Warm each server, then load them in turn, ``rounds`` times each, ``duration`` s a time: on a
    shared machine whose load drifts, each one's median round sits beside the other's."""
    for server, token in servers.values():
        warm_up(server, token)
        wrk(server.port, token, 3, connections)  # warm: connections pooled, code and caches loaded
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, (server, token) in servers.items():
            server.start_sampling()
            runs[name].append(wrk(server.port, token, duration, connections))
            server.stop_sampling()
    result = {}
    for name, (server, _token) in servers.items():
        server.stop()
        rounds_ = runs[name]
        result[name] = {
            "rps": statistics.median(r["rps"] for r in rounds_),
            "p99": statistics.median(r["p99"] for r in rounds_),
            "failed": sum(r["failed"] for r in rounds_),
            "rss_mb": server.max_rss_kb / 1024,
            "rounds": ", ".join(f"{r['rps']:.0f}" for r in rounds_),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per round (default %(default)s)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server (default %(default)s)")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk (scripts/setup --dev does)")

    token, db = prepare()
    queries, in_process_ms, cpu_ms = queries_and_in_process_ms(token)
    print(
        f"intake: PostgreSQL {db['NAME']}; {queries} queries per registration, {in_process_ms:.1f} ms in-process "
        f"({cpu_ms:.1f} ms CPU), load average {os.getloadavg()[0]:.1f}"
    )

    tps = pgbench_tps(db, args.duration, args.connections)
    print(f"  pgbench single-row INSERT: {tps:,.0f} tps")

    peer_db, peer_token = prepare_peer(db)
    peer_cpu = peer_cpu_ms(peer_db, peer_token)
    print(f"  peer in-process: {peer_cpu:.1f} ms CPU per request")
    peer_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    ours_env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "casecenter.settings"}
    servers = {
        "peer": (Server("peer:application", PEER_DIR, {**peer_env, "PEER_DB": peer_db}), peer_token),
        "ours": (Server("casecenter.wsgi:application", ROOT, ours_env), token),
    }
    measured = alternate(servers, args.rounds, args.duration, args.connections)
    peer, ours = measured["peer"], measured["ours"]
    for label, m in (("peer (bare Django + DRF)", peer), ("casecenter intake", ours)):
        print(f"  {label}: {m['rps']:,.0f} req/s (median of rounds {m['rounds']}), p99 {m['p99']:.1f} ms, "
              f"RSS {m['rss_mb']:.0f} MB, failed {m['failed']:.0f}")  # fmt: skip
    subprocess.run(["dropdb", *pg_args(db), "--if-exists", "--force", peer_db], check=False)

    ratio = ours["rps"] / peer["rps"]
    clean = ours["failed"] == 0 and ours["rps"] > 0
    figure("intake req/s ÷ bare Django+DRF peer", f"{ratio:.2f} ({ours['rps']:,.0f} req/s)",
           f"≥ {GOAL_RATIO}", f"peer {peer['rps']:,.0f} req/s", clean and ratio >= GOAL_RATIO)  # fmt: skip
    figure("intake p99 latency (wrk 8 conn, gunicorn -w 2)", f"{ours['p99']:.1f} ms", f"< {GOAL_P99_MS:.0f} ms",
           f"peer p99 {peer['p99']:.1f} ms", clean and ours["p99"] < GOAL_P99_MS)  # fmt: skip
    figure("intake req/s ÷ pgbench single-row INSERT", f"{ours['rps'] / tps:.3f}", "(anchor only)",
           f"pgbench {tps:,.0f} tps", True)  # fmt: skip
    figure("queries per registration (API, token to 201, BEGIN/COMMIT counted)", queries, f"≤ {GOAL_QUERIES}",
           "peer: 2 (auth, INSERT)", queries <= GOAL_QUERIES)  # fmt: skip
    figure("intake CPU per registration in-process ÷ peer's", f"{cpu_ms / peer_cpu:.1f}× ({cpu_ms:.1f} ms)",
           "(anchor only; ≤ 2× would allow 0.5)", f"peer {peer_cpu:.1f} ms", True)  # fmt: skip
    figure("web process RSS under intake load", f"{ours['rss_mb']:.0f} MB", f"< {GOAL_RSS_MB:.0f} MB",
           f"peer {peer['rss_mb']:.0f} MB", ours["rss_mb"] < GOAL_RSS_MB)  # fmt: skip
    if not clean:
        print(f"  WARNING: {ours['failed']:.0f} failed requests under load")
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
