"""Per-process copies of reference data: categories, departments (here), SLA policies and calendar
schedules (``sla.policies``, ``sla.calendar``).

Every registration needs them and they change a few times a year, so each process loads them once
and keeps them until they change. A change anywhere bumps one version stamp in the shared cache
(Redis in production); every thread reads the stamp at most once every ``STAMP_RECHECK_SECONDS``
(1 s), so other processes rebuild within a second of a change, and the process that made it at
once; each copy is also rebuilt after ``MAX_AGE_SECONDS`` whatever the stamp says (a process that
missed a bump while Redis was down).

What counts as a change: any ``post_save`` / ``post_delete`` of a model registered with
``RefData(models=...)`` (the admin, the seeds' ``update_or_create``), and ``changed()`` called by
code that writes such rows without signals (``bulk_create``, ``QuerySet.update``). Inside the
transaction that made the change this process reads the database directly (its own uncommitted
rows, never cached); the stamp is bumped again on commit, so no process keeps a copy it read
between the change and the commit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from cases.shared_stamp import SharedStamp

T = TypeVar("T")

STAMP_KEY = "casecenter:refdata:stamp"
MAX_AGE_SECONDS = 60.0
_registry: list[RefData[Any]] = []
_lock = threading.Lock()
# Set while this thread's open transaction has changed reference data (cleared on commit; a
# rollback is noticed at the next read outside any transaction).
_dirty = threading.local()


# The stamp as read by this thread, read again once it is STAMP_RECHECK_SECONDS old: a web worker
# at 100 registrations a second pays one cache round trip a second for it, not one a request (it
# used to be read again at the start of every request).
STAMP_RECHECK_SECONDS = 1.0
_shared = SharedStamp(STAMP_KEY, clock=lambda: time.monotonic(), recheck=STAMP_RECHECK_SECONDS)


def clear() -> None:
    """Drop every copy in this process (tests call it between tests)."""
    for ref in _registry:
        ref.drop()
    _dirty.active = False
    _shared.forget()


def _committed() -> None:
    _dirty.active = False
    clear()
    _shared.bump()


def changed() -> None:
    """Reference data was written: drop this process's copies now and tell the others (now and
    again when the transaction commits)."""
    clear()
    _shared.bump()
    if connection.in_atomic_block:
        _dirty.active = True
        transaction.on_commit(_committed)


def _in_dirty_transaction() -> bool:
    if not getattr(_dirty, "active", False):
        return False
    if connection.in_atomic_block:
        return True
    # The transaction that changed something ended without commit: whatever was read is stale.
    clear()
    return False


class RefData(Generic[T]):
    """One per-process copy: ``build()`` loads it from the database; ``get()`` returns it."""

    def __init__(self, name: str, build: Callable[[], T], *, models: Iterable[str] = ()) -> None:
        self.name = name
        self.build = build
        self._value: T | None = None
        self._stamp = ""
        self._loaded_at = 0.0
        for label in models:  # "app.Model": model signals resolve the label once the app is loaded
            post_save.connect(_on_change, sender=label, dispatch_uid=f"refcache.save.{label}", weak=False)
            post_delete.connect(_on_change, sender=label, dispatch_uid=f"refcache.delete.{label}", weak=False)
        with _lock:
            _registry.append(self)

    def drop(self) -> None:
        self._value = None

    def get(self) -> T:
        if _in_dirty_transaction():
            return self.build()
        stamp = _shared.get()
        value = self._value
        if value is None or stamp != self._stamp or time.monotonic() - self._loaded_at > MAX_AGE_SECONDS:
            value = self.build()
            self._value, self._stamp, self._loaded_at = value, stamp, time.monotonic()
        return value


def _on_change(sender: Any, **kwargs: Any) -> None:
    changed()


# --- the cases app's own reference data --------------------------------------------------


def _categories() -> dict[str, Any]:
    from .models import Category

    rows = {c.pk: c for c in Category.objects.all()}
    for cat in rows.values():  # parents from the same load: walking up costs no query
        if cat.parent_id is not None and cat.parent_id in rows:
            cat.parent = rows[cat.parent_id]
    return {"by_code": {c.code: c for c in rows.values()}, "by_id": rows}


def _departments() -> dict[str, Any]:
    from .models import Department

    rows = list(Department.objects.order_by("code", "pk"))
    dispatch = next((d for d in rows if d.is_dispatch and d.active), None)
    return {"by_code": {d.code: d for d in rows}, "by_id": {d.pk: d for d in rows}, "dispatch": dispatch}


categories = RefData("categories", _categories, models=["cases.Category"])
departments = RefData("departments", _departments, models=["cases.Department"])


def active_category(code: str) -> Any:
    """The active category with this code (its parents loaded), or None."""
    cat = categories.get()["by_code"].get(code or "")
    return cat if cat is not None and cat.active else None


def category_by_id(pk: int | None) -> Any:
    return categories.get()["by_id"].get(pk)


def department_by_code(code: str) -> Any:
    """The department with this code, active or not, or None (the process's copy: do not change it)."""
    return departments.get()["by_code"].get(code or "")


def department_by_id(pk: int | None) -> Any:
    return departments.get()["by_id"].get(pk)


def active_department(code: str) -> Any:
    dept = departments.get()["by_code"].get(code or "")
    return dept if dept is not None and dept.active else None


def dispatch_department() -> Any:
    """The active dispatch desk, the first by code (``cases.selectors.dispatch_department``)."""
    return departments.get()["dispatch"]
