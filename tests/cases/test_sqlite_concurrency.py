"""The embedded default under concurrency: on the SQLite demo database two people acting on one
case at once end like on PostgreSQL — one wins, the other gets the 409 conflict — and nobody gets
"database is locked" (an OperationalError 500), not even someone reading meanwhile.

It runs tests/cases/sqlite_race.py in a process of its own on a fresh file-based database (the
test database is in memory, where SQLite's locking is not the demo's), with the project's settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_two_dispatchers_at_once_on_the_sqlite_demo_one_wins_one_gets_409(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(SQLITE_PATH=str(tmp_path / "demo.sqlite3"), MEDIA_ROOT=str(tmp_path / "media"), PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, "-m", "tests.cases.sqlite_race"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["journal_mode"] == "wal"
    # Released together: exactly one assignment, the other is told the case moved on.
    assert sorted([result["at_once_a"], result["at_once_b"]]) == [[200, None], [409, "conflict"]], result
    # One mid-transaction: the other waits for it (no "database is locked"), then gets the conflict.
    assert result["holder"] == [200, None], result
    assert result["waiter"] == [409, "conflict"], result
    assert result["held_case_department"] == "CGJ"
    # Someone reading the case all the while is never refused (WAL: readers do not wait for writers).
    assert result["read_errors"] == []
    assert result["reads_while_held"] > 0
    assert set(result["reads"]) == {200}
