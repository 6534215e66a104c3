"""Figures of the department's answer (issue 13) for the monthly report.

contact-before-reply rate 先联系后答复率 = replies that recorded contacting the citizen at or before
the reply ÷ replies, over the ``reply`` events of the month's cohort (cases registered in the
month, as every figure of ``metrics``), each round counted (a reply sent back and given again is
two replies). A reply records its contact on its audit event (``data["contact"]["at"]``, written
by ``cases.services.case_reply``); replies from before that rule have none and count as without.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cases.enums import Transition
from cases.models import CaseEvent
from stats.figures import _rate

from .metrics import month_bounds


@dataclass(frozen=True)
class ContactFigures:
    replied: int
    contacted_first: int
    rate: float | None


def contact_before_reply(month: date) -> ContactFigures:
    start, end = month_bounds(month)
    events = CaseEvent.objects.filter(
        transition=Transition.REPLY, case__registered_at__gte=start, case__registered_at__lt=end
    ).values_list("at", "data")
    replied = contacted = 0
    for at, data in events.iterator():
        replied += 1
        contacted += _contacted_by(data, at)
    return ContactFigures(replied=replied, contacted_first=contacted, rate=_rate(contacted, replied))


def _contacted_by(data: object, at: datetime) -> bool:
    contact = data.get("contact") if isinstance(data, dict) else None
    moment = contact.get("at") if isinstance(contact, dict) else None
    if not isinstance(moment, str):
        return False
    try:
        return datetime.fromisoformat(moment) <= at
    except ValueError:
        return False
