"""Helpers for the public-face tests: closed cases and published ones, with pinned times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cases import publication
from cases.enums import State
from cases.models import Case
from stats.rollups import rollups_refresh
from tests.factories import make_case_in_state

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def pin(case: Case, **times: datetime | None) -> Case:
    """Move a case's timestamps (registered_at, answered_at, …) to fixed moments (and count the
    case's monthly figures anew, as ``manage.py rebuild_rollups`` would after such an edit)."""
    Case.objects.filter(pk=case.pk).update(**times)
    rollups_refresh([case.pk])
    case.refresh_from_db()
    return case


def closed_case(users: dict, **overrides) -> Case:
    return make_case_in_state(State.CLOSED, users, **overrides)


def published_case(users: dict, *, title: str, content: str, answer: str = "已处理。", **overrides) -> Case:
    case = closed_case(users, title=title, content=content, **overrides)
    return publication.publication_publish(
        case=case, actor=users["dispatcher"], title=title, content=content, answer=answer
    )


def shift_registered(case: Case, when: datetime) -> Case:
    """Keep the case's durations but move its whole life so it was registered at ``when``."""
    delta = when - case.registered_at
    fields = {"registered_at": when}
    for name in ("assigned_at", "replied_at", "answered_at", "closed_at"):
        value = getattr(case, name)
        if value is not None:
            fields[name] = value + delta
    return pin(case, **fields)


__all__ = ["SHANGHAI", "at", "closed_case", "pin", "published_case", "shift_registered"]
