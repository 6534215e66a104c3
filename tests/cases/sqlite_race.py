"""Run by tests/cases/test_sqlite_concurrency.py in a process of its own, on the embedded default:
a fresh file-based SQLite database (SQLITE_PATH) with the project's settings, migrated and seeded,
then two dispatchers assign the same case through the API at once while a third person keeps
reading it. Prints one JSON line with what each of them got.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casecenter.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from cases import services  # noqa: E402
from cases.enums import Role, State  # noqa: E402
from cases.seed import load_district  # noqa: E402
from tests.factories import UserFactory, make_case_in_state  # noqa: E402


def outcome(fn) -> Any:
    try:
        response = fn()
    except BaseException as exc:  # noqa: BLE001 - reported to the test, which fails on it
        return f"{type(exc).__name__}: {exc}"
    body = response.json()
    return [response.status_code, body.get("error", {}).get("code") if isinstance(body, dict) else None]


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def main() -> None:
    call_command("migrate", verbosity=0)
    load_district()
    users = {
        "agent": UserFactory(username="agent", role=Role.AGENT, department_code="XFJ"),
        "dispatcher": UserFactory(username="dispatcher", role=Role.DISPATCHER, department_code="XFJ"),
        "dispatcher2": UserFactory(username="dispatcher2", role=Role.DISPATCHER, department_code="XFJ"),
        "clerk_cgj": UserFactory(username="clerk_cgj", role=Role.CLERK, department_code="CGJ"),
    }
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
    results: dict[str, Any] = {"journal_mode": journal_mode, "reads": [], "read_errors": []}

    def assign(who: str, department: str, no: str):
        return client(users[who]).post(
            f"/api/v1/cases/{no}/transitions/assign/", {"department": department}, format="json"
        )

    def run(key: str, fn, start: threading.Event | None = None) -> threading.Thread:
        def target() -> None:
            if start is not None:
                start.wait()
            results[key] = outcome(fn)
            connection.close()

        thread = threading.Thread(target=target)
        thread.start()
        return thread

    # 1. Both at once, released together.
    case = make_case_in_state(State.REGISTERED, users)
    go = threading.Event()
    threads = [
        run("at_once_a", lambda: assign("dispatcher", "CGJ", case.tracking_no), go),
        run("at_once_b", lambda: assign("dispatcher2", "HBJ", case.tracking_no), go),
    ]
    go.set()
    for t in threads:
        t.join(60)

    # 2. One holds the write lock (mid-transaction) while the other asks and someone keeps reading.
    case = make_case_in_state(State.REGISTERED, users)
    holding, release, stop = threading.Event(), threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            services.case_assign(case=case, actor=users["dispatcher"], department="CGJ")
            holding.set()
            release.wait(30)

        class Done:
            status_code = 200

            def json(self) -> dict:
                return {}

        return Done()

    def reader() -> None:
        c = client(users["dispatcher"])
        while not stop.is_set():
            try:
                results["reads"].append(c.get(f"/api/v1/cases/{case.tracking_no}/").status_code)
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                results["read_errors"].append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.01)
        connection.close()

    t1 = run("holder", first)
    holding.wait(30)
    t2 = run("waiter", lambda: assign("dispatcher2", "HBJ", case.tracking_no))
    t3 = threading.Thread(target=reader)
    t3.start()
    time.sleep(1.0)  # the waiter is blocked on the write lock, the reader reads meanwhile
    results["reads_while_held"] = len(results["reads"])
    release.set()
    for t in (t1, t2):
        t.join(60)
    stop.set()
    t3.join(10)
    case.refresh_from_db()
    results["held_case_department"] = case.department.code if case.department else None
    print(json.dumps(results))


if __name__ == "__main__":
    main()
