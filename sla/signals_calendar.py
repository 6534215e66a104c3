"""Announce calendar changes: any save or delete of a calendar, its hours or its exceptions
sends ``sla.calendar.calendar_changed(calendar=...)`` inside the same transaction, so the
timers on it are recomputed together with the change (or not at all)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .calendar import calendar_changed
from .models import Calendar, CalendarException, WorkingHours

# When set, changed calendar ids are collected here and announced once when the batch ends.
_batch: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar("sla_calendar_batch", default=None)


def announce(calendar_id: int | None) -> None:
    if calendar_id is None:
        return
    pending = _batch.get()
    if pending is not None:
        pending.add(calendar_id)
        return
    calendar = Calendar.objects.filter(pk=calendar_id).first()
    if calendar is not None:  # gone: deleted together with its rows, nothing to recompute
        calendar_changed.send(sender=Calendar, calendar=calendar)


@contextmanager
def calendar_changes_batched() -> Iterator[None]:
    """Fold many row changes (a seed, an admin form with inlines) into one signal per calendar."""
    if _batch.get() is not None:  # nested: the outer batch announces
        yield
        return
    pending: set[int] = set()
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    for calendar_id in sorted(pending):
        announce(calendar_id)


@receiver(post_save, sender=Calendar, dispatch_uid="sla_calendar_saved")
def _calendar_saved(sender: Any, instance: Calendar, created: bool, **kwargs: Any) -> None:
    if not created and not kwargs.get("raw"):
        announce(instance.pk)


@receiver(post_save, sender=WorkingHours, dispatch_uid="sla_hours_saved")
@receiver(post_save, sender=CalendarException, dispatch_uid="sla_exception_saved")
def _row_saved(sender: Any, instance: WorkingHours | CalendarException, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        announce(instance.calendar_id)


@receiver(post_delete, sender=WorkingHours, dispatch_uid="sla_hours_deleted")
@receiver(post_delete, sender=CalendarException, dispatch_uid="sla_exception_deleted")
def _row_deleted(sender: Any, instance: WorkingHours | CalendarException, **kwargs: Any) -> None:
    announce(instance.calendar_id)
