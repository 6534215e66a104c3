"""Joint handling (联合办理) of a hotspot: one lead case, the others linked, one answer to all.

A supervisor opens it on a hotspot, naming the lead case. Every other case of the hotspot that is
still waiting for triage (``registered``) is linked to the lead; cases already in a department's
hands keep their own course and are listed, not linked. When the lead's answer is approved (or it
is resolved directly), each linked case still waiting receives the same answer in the same
transaction — a ``resolve_directly`` event that names the lead, so the citizen is told on their
own channel and the feedback clock starts as for any answer — and stops counting as a first-contact
resolution. Opening and each link are audited on the cases involved.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from cases.enums import State, Transition
from cases.exceptions import CaseConflict, CasePermissionDenied, CaseValidationError
from cases.models import Case, User
from cases.services import case_action

from .enums import JOINT_LINKED, JOINT_OPENED, HotspotStatus
from .hotspots import LIVE_TOPICS, hotspot_payload
from .models import Hotspot, JointLink
from .rules import may_open_joint

LINKABLE_STATES = (State.REGISTERED,)


def joint_open(*, hotspot: Hotspot | int, lead: str, actor: User, now: dt.datetime) -> Hotspot:
    """Open a joint handling on ``hotspot`` with the case ``lead`` (a tracking number of the
    hotspot's cases) at its head.

    Side effects: ``JointLink`` rows for the linkable cases; an ``insight.joint.linked`` event on
    each of them and one ``insight.joint.opened`` event on the lead listing them; the hotspot's
    status becomes ``joint``; a ``hotspot.updated`` live event after commit."""
    from notifications import events

    if not may_open_joint(actor):
        raise CasePermissionDenied(_("只有督办员可以开启联合办理。"))
    if not isinstance(lead, str) or not lead.strip():
        msg = _("请选择牵头工单。")
        raise CaseValidationError(msg, fields={"lead": [msg]})
    with transaction.atomic():
        locked = Hotspot.objects.select_for_update().get(pk=hotspot.pk if isinstance(hotspot, Hotspot) else hotspot)
        if locked.status != HotspotStatus.OPEN:
            raise CaseConflict(_("该热点已开启联合办理或已忽略。"))
        members = list(locked.cases.order_by("registered_at", "pk"))
        lead_case = next((c for c in members if c.tracking_no == lead.strip()), None)
        if lead_case is None:
            msg = _("牵头工单必须是该热点中的工单。")
            raise CaseValidationError(msg, fields={"lead": [msg]})
        if not lead_case.is_open:
            raise CaseConflict(_("牵头工单已办结，不能牵头联合办理。"), state=lead_case.state)
        linked = []
        for case in members:
            if (
                case.pk == lead_case.pk
                or case.state not in LINKABLE_STATES
                or JointLink.objects.filter(case=case).exists()
            ):
                continue
            with case_action(
                case,
                actor=actor,
                action=JOINT_LINKED,
                note=_("并入联合办理，牵头工单 %(lead)s。") % {"lead": lead_case.tracking_no},
                data={"lead": lead_case.tracking_no, "hotspot": locked.pk},
                now=now,
            ):
                pass
            JointLink.objects.create(hotspot=locked, lead=lead_case, case=case)
            linked.append(case.tracking_no)
        with case_action(
            lead_case,
            actor=actor,
            action=JOINT_OPENED,
            note=_("牵头联合办理：%(cases)s。") % {"cases": "、".join(linked) or "—"},
            data={"linked": linked, "hotspot": locked.pk},
            now=now,
        ):
            pass
        locked.status = HotspotStatus.JOINT
        locked.lead_case = lead_case
        locked.joint_opened_by = actor
        locked.joint_opened_at = now
        locked.save(update_fields=["status", "lead_case", "joint_opened_by", "joint_opened_at"])
        events.publish_many(list(LIVE_TOPICS), "hotspot.updated", hotspot_payload(locked))
    return locked


def joint_answer_linked(*, lead: Case, actor: User | None, now: dt.datetime) -> list[str]:
    """Give the lead's answer to every linked case still waiting; called inside the lead's
    approve/resolve_directly transaction (``receivers``). Returns the tracking numbers answered."""
    answered = []
    links = JointLink.objects.select_related("case").filter(lead=lead, answered_at__isnull=True).order_by("pk")
    for link in links:
        if link.case.state != State.REGISTERED:
            continue
        with case_action(
            link.case,
            actor=actor,
            action=Transition.RESOLVE_DIRECTLY,
            transition=Case.resolve_directly,
            note=lead.answer,
            data={"joint_lead": lead.tracking_no},
            as_label="system",
            now=now,
        ) as act:
            act.case.resolve_directly(answer=lead.answer, now=act.now)
            # Answered through the lead's handling, not on first contact.
            act.case.first_contact_resolution = False
        link.answered_at = now
        link.save(update_fields=["answered_at"])
        answered.append(link.case.tracking_no)
    return answered
