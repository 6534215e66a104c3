"""Reactions to cases.domain.case_changed."""
from . import signals_calendar  # noqa: E402,F401  (announces sla.calendar.calendar_changed)
