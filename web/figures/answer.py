"""Figures of the department's answer (issue 13) for the monthly report.

contact-before-reply rate 先联系后答复率 = replies that recorded contacting the citizen at or before
the reply ÷ replies, over the ``reply`` events of the month's cohort (cases registered in the
month, as every figure of ``metrics``), each round counted (a reply sent back and given again is
two replies). The definition is ``stats.figures`` (``round_counts``, ``contacted_by``); the
counts are kept in the monthly rollups with the other figures, so the report reads them with the
month's rows instead of scanning the month's reply events.
"""

from __future__ import annotations

from dataclasses import dataclass

from .metrics import Figures


@dataclass(frozen=True)
class ContactFigures:
    replied: int
    contacted_first: int
    rate: float | None


def contact_figures(figures: Figures) -> ContactFigures:
    """The contact-before-reply figures of a department's (or the month's total) ``Figures``."""
    return ContactFigures(
        replied=figures.reply_rounds, contacted_first=figures.contacted_first, rate=figures.contact_before_reply_rate
    )
