"""补充材料: the citizen adds text and files to their own open case (issue 13).

The tracking page, the public API and an SMS from the citizen's number all call ``case_supplement``.
It is an orthogonal action on the audit chain (``supplement``, public with its note: the citizen sees
their own words on the tracking page; staff see them on the case's timeline); the notifications app
tells the department (``notifications.notices``). A case that is no longer open takes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from . import attachments as attachment_files
from .enums import OPEN_STATES, State, Transition
from .exceptions import CaseConflict, CaseValidationError
from .models import AttachmentKind, Case, User
from .services import case_action
from .validation import clean_text

# As long as a message on the portal: enough for a detailed addition, not a book.
MAX_SUPPLEMENT = 2000
# Where a supplement came from (the event's data["via"]).
VIA = frozenset({"portal", "api", "sms"})


def may_supplement(case: Case, user: User | None) -> bool:
    """Only the citizen (no account, proved by the access code or their phone number)."""
    return user is None


def case_supplement(
    *,
    case: Case | int,
    text: str,
    files: Iterable[Any] = (),
    via: str,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """The citizen adds ``text`` (and ``files``) to an open case.

    Checks first, writes nothing on error: text or a file is required; text at most
    ``MAX_SUPPLEMENT`` characters, no NUL (400); the files as on registration (400/413); a case that
    is not open — answered, closed, rejected, merged — is a 409. Side effects: the files are stored
    as the citizen's; one public ``supplement`` event (the note is the text, ``data`` lists the files
    and the channel); the department (or, before assignment, the dispatch desk) is told. A case on
    hold (waiting for the citizen's information) comes off hold and its paused clocks resume. No
    state change; the version moves only when the hold ends (a clerk's open form stays valid
    otherwise)."""
    if via not in VIA:
        raise ValueError(f"unknown supplement channel {via!r}")
    text = clean_text(text, field="text", label=_("补充内容"), max_length=MAX_SUPPLEMENT, required=False)
    checked = attachment_files.check_uploads(files, field="attachments")
    if not text and not checked:
        msg = _("请填写补充内容或选择附件。")
        raise CaseValidationError(msg, fields={"text": [msg]})
    with case_action(
        case,
        actor=None,
        action=Transition.SUPPLEMENT,
        may=may_supplement,
        note=text,
        client_ip=client_ip,
        now=now,
    ) as act:
        if act.case.state not in OPEN_STATES:
            raise CaseConflict(
                _("工单当前状态为“%(state)s”，不能再补充材料。如有新的诉求，请重新反映。")
                % {"state": State(act.case.state).label},
                state=act.case.state,
            )
        stored = attachment_files.store(
            case=act.case, checked=checked, kind=AttachmentKind.CITIZEN, actor=None, now=act.now
        )
        act.data = {"via": via, "department": act.case.department.code if act.case.department_id else ""}
        if act.case.on_hold:
            # The information the hold waited for has arrived: the hold ends and the paused clocks
            # run again (the sla app resumes them on this event, as on ``resume``).
            act.case.on_hold, act.case.hold_reason = False, ""
            act.data["resumed"] = True
        if stored:
            act.data["attachments"] = attachment_files.describe(stored)
    return act.case
