"""Services of the department's answer (issue 13) beside ``services.case_reply`` and
``services.case_save_reply_draft``: the head returns a clerk's draft; an assisting department
gives its opinion. Each goes through ``services.case_action``."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from . import rules
from .answer import ASSIST_OPINION, DRAFT_RETURNED
from .enums import DraftStatus
from .models import AssistOpinion, Case, User
from .services import case_action
from .validation import MAX_CONTENT, clean_text


def case_return_reply_draft(
    *,
    case: Case | int,
    actor: User,
    note: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """The head sends a clerk's draft back with a note (the draft text stays for the clerk to
    rework). Side effects: the clerk who wrote it is told, with the note (notifications)."""
    note = clean_text(note, field="note", label=_("退回意见"), max_length=2000)
    with case_action(
        case,
        actor=actor,
        action=DRAFT_RETURNED,
        may=rules.may_review_draft,
        denied=_("只有本单位负责人可以审批待审答复草稿。"),
        expected_version=expected_version,
        note=note,
        client_ip=client_ip,
        now=now,
    ) as act:
        act.case.reply_draft_status = DraftStatus.RETURNED
        act.case.reply_draft_note = note
        act.data = {"drafted_by": act.case.reply_draft_by_id}
    return act.case


def case_give_assist_opinion(
    *,
    case: Case | int,
    actor: User,
    text: str,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> AssistOpinion:
    """An assisting department's opinion (协办意见) for the lead department. Side effects: that
    department's assist clock is met (sla); the lead department is told (notifications); an
    internal timeline entry."""
    text = clean_text(text, field="text", label=_("协办意见"), max_length=MAX_CONTENT)
    with case_action(
        case,
        actor=actor,
        action=ASSIST_OPINION,
        may=rules.may_give_assist_opinion,
        denied=_("只有协办单位可以在办理期间提交协办意见。"),
        note=text,
        client_ip=client_ip,
        now=now,
    ) as act:
        opinion = AssistOpinion.objects.create(
            case=act.case, department_id=actor.department_id, text=text, author=actor, at=act.now
        )
        act.data = {
            "department": actor.department.code,
            "department_name": actor.department.name_zh,
            "opinion": opinion.pk,
        }
    return opinion
