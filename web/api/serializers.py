"""Shapes of the staff and public APIs (API.md).

Input serializers only coerce types and bound sizes; the services own the rules and
their messages (a missing title, a bad phone number, an unknown department), so the
console, the API and the webhooks all say the same thing.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import uuid
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import rules, selectors
from cases.enums import ANSWER_SHOWN_STATES, OPEN_STATES, Priority, State
from cases.models import Attachment, Case, Category, Department, User
from kb import selectors as kb_selectors
from sla import selectors as sla_selectors
from sla import serializers as sla_serializers
from sla.deadlines import citizen_deadline, expected_reply
from sla.enums import CitizenDeadlineStatus
from web.attachments import download_url

# Bound on any one text field before the services look at it (they enforce the real limits).
MAX_FIELD = 20_000
# Codes (departments, categories, kinds, priorities): an unknown one is quoted back in the error.
MAX_CODE = 32
_datetime = serializers.DateTimeField()


class TextField(serializers.CharField):
    """A string that is safe to store: no NUL (DRF's default validator), no lone surrogates. A JSON
    number is no text either (API.md "Conventions"): DRF's CharField would store ``7`` as "7"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("max_length", MAX_FIELD)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> str:
        # Clients often send null for "nothing"; treat it as blank rather than an error.
        return super().run_validation("" if data is None else data)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise serializers.ValidationError("Invalid characters (unpaired surrogate).") from None
        return value


@extend_schema_field(OpenApiTypes.INT)
class WholeNumberField(serializers.IntegerField):
    """A JSON integer (an id, a version) and nothing else: DRF's IntegerField also takes the
    strings "1" and "１" and the float 1.0, so a client's type error would pass unnoticed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class VersionedInput(serializers.Serializer):
    # The case version the client last saw; a stale one gets 409 instead of a silent overwrite.
    version = WholeNumberField(required=False)


# --- registration ------------------------------------------------------------------


class ClonedFieldsSerializer(serializers.Serializer):
    """Each instance's fields are shallow copies of the class's declared ones, which stay unbound.

    DRF deep-copies the declared fields for every instance (each one built again from its
    arguments): a twelfth of a registration's CPU. A shallow copy is as good for fields that keep
    no state of their own once built, as DRF's CharField, BooleanField and a nested serializer of
    them do: every instance (every thread) binds its own copies to itself; what they share, the
    validators and error messages built once, nobody changes after ``__init__``. Not for fields
    that change themselves after binding (ListField, ModelSerializer's built fields).
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class CitizenInput(ClonedFieldsSerializer):
    name = TextField()
    phone = TextField()
    email = TextField()
    id_no = TextField()


class CaseRegisterInput(ClonedFieldsSerializer):
    channel = TextField()
    kind = TextField()
    category = TextField()
    title = TextField()
    content = TextField()
    citizen = CitizenInput(required=False)
    location = TextField()
    publish_consent = serializers.BooleanField(required=False, default=True)
    priority = TextField(default=Priority.NORMAL)
    reply_channel = TextField()
    # A report (举报) about staff of this department (its code): restricted, never routed to it.
    about_staff_of = TextField(max_length=32)


# --- transitions (bodies per API.md; names equal the service keyword arguments) ------


class AssignInput(VersionedInput):
    department = TextField(max_length=MAX_CODE)
    assisting_departments = serializers.ListField(
        child=TextField(max_length=MAX_CODE), required=False, default=list, max_length=50
    )
    instructions = TextField()


class RejectInput(VersionedInput):
    reason = TextField()
    note = TextField()


class MergeInput(VersionedInput):
    duplicate_of = TextField()


class AnswerInput(VersionedInput):
    answer = TextField()


class ResolveDirectlyInput(AnswerInput):
    # The knowledge-base article the answer came from (kb.services.case_resolve_directly).
    kb_article = WholeNumberField(required=False, allow_null=True)


class TransferInput(VersionedInput):
    number = TextField(max_length=8)
    at = TextField(max_length=64)
    note = TextField()


class ReasonInput(VersionedInput):
    reason = TextField()


class ContactInput(serializers.Serializer):
    at = TextField(max_length=64)
    method = TextField(max_length=16)


class ReplyInput(VersionedInput):
    text = TextField()
    result = TextField(max_length=MAX_CODE)
    # Contacting the citizen before replying (12345 practice); cases.answer checks it.
    contact = ContactInput(required=False)
    attachments = serializers.ListField(child=WholeNumberField(), required=False, default=list, max_length=50)


class NoteInput(VersionedInput):
    note = TextField()


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.Field):
    """JSON ``true``/``false`` (or null/absent: not answered); a string or number is a 400."""

    default_error_messages = {"invalid": "Must be true, false or null."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("default", None)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class FeedbackInput(VersionedInput):
    rating = TextField()
    comment = TextField()
    resolved = StrictBooleanField()
    # Required (by the service) when the rating is dissatisfied: a cases.enums.DissatisfiedReason.
    reason = TextField(max_length=32)


class ReopenInput(VersionedInput):
    department = TextField(max_length=MAX_CODE)
    reason = TextField()


TRANSITION_INPUTS: dict[str, type[VersionedInput]] = {
    "resolve_directly": ResolveDirectlyInput,
    "reject": RejectInput,
    "merge": MergeInput,
    "assign": AssignInput,
    "return": ReasonInput,
    "sign_for": VersionedInput,
    "reply": ReplyInput,
    "send_back": NoteInput,
    "approve": AnswerInput,
    "feedback": FeedbackInput,
    "reopen": ReopenInput,
    "hold": ReasonInput,
    "resume": VersionedInput,
    "transfer": TransferInput,
    "close": ReasonInput,
}


# Multi-tier dispatch, disputes, correction (issue 12; services in cases/forwarding.py).


class ForwardInput(VersionedInput):
    department = TextField(max_length=MAX_CODE)
    instructions = TextField()


class ArbitrateInput(VersionedInput):
    department = TextField(max_length=MAX_CODE)
    reason = TextField()


class ReclassifyInput(VersionedInput):
    category = TextField(max_length=MAX_CODE)
    kind = TextField(max_length=MAX_CODE)
    priority = TextField(max_length=MAX_CODE)
    note = TextField()


TRANSITION_INPUTS.update(
    {
        "forward": ForwardInput,
        "approve_up": NoteInput,
        "send_down": NoteInput,
        "dispute": NoteInput,
        "arbitrate": ArbitrateInput,
        "reclassify": ReclassifyInput,
    }
)


# --- list filters ----------------------------------------------------------------------


class CaseListFilter(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices, required=False)
    department = TextField(max_length=32)
    category = TextField(max_length=32)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = TextField(max_length=200)

    def validate_department(self, value: str) -> str:
        if value and not Department.objects.filter(code=value).exists():
            raise serializers.ValidationError(f"Unknown department: {value}")
        return value

    def validate_category(self, value: str) -> str:
        if value and not Category.objects.filter(code=value).exists():
            raise serializers.ValidationError(f"Unknown category: {value}")
        return value


# --- output ----------------------------------------------------------------------------


def iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _datetime.to_representation(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


class CaseListItem(serializers.Serializer):
    def to_representation(self, case: Case) -> dict[str, Any]:
        return {
            "tracking_no": case.tracking_no,
            "state": case.state,
            "state_label": str(State(case.state).label),
            "channel": case.channel,
            "kind": case.kind,
            "category": case.category.code,
            "category_name": case.category.name,
            "department": case.department.code if case.department_id else None,
            "department_name": case.department.name if case.department_id else None,
            "title": case.title,
            "priority": case.priority,
            "on_hold": case.on_hold,
            "registered_at": iso(case.registered_at),
            "version": case.version,
        }


class CaseDetail(CaseListItem):
    """The full case for staff; the citizen block is masked per the caller's role."""

    def to_representation(self, case: Case) -> dict[str, Any]:
        user: User | None = self.context.get("user")
        data = super().to_representation(case)
        # A case just registered (``case_register``'s ``registration``) is answered from memory:
        # it has no assisting departments, extensions or orders yet; its one event and its files
        # are those just written; no level below the first, no assisting opinion, no knowledge-base
        # answer (kb records one only on resolve_directly) — and no level unless it was a report
        # about staff, routed at once to its restricted handler. Its triage clock is the one the SLA
        # app's receiver just started (``fresh_timers``).
        new = getattr(case, "registration", None) if self.context.get("registered") else None
        data.update(
            {
                "assisting_departments": [] if new else [d.code for d in case.assisting_departments.all()],
                "content": case.content,
                "location": case.location,
                "citizen": selectors.contact_for(user, case),
                # Intake roles read the code to a caller who lost it; others never see it.
                "access_code": case.access_code if rules.may_see_full_contact(user) else None,
                "reply_channel": case.reply_channel,
                "publish_consent": case.publish_consent,
                "publication": case.publication,
                "instructions": case.instructions,
                "duplicate_of": case.duplicate_of.tracking_no if case.duplicate_of_id else None,
                "reject_reason": case.reject_reason.code if case.reject_reason_id else None,
                "reject_note": case.reject_note,
                "reply_draft": case.reply_draft,
                "reply_draft_status": case.reply_draft_status or None,
                "reply_draft_note": case.reply_draft_note,
                "reply_text": case.reply_text,
                "reply_result": case.reply_result or None,
                "contact": {
                    "at": iso(case.contacted_at),
                    "method": case.contact_method,
                    "by": case.contacted_by.display_name if case.contacted_by_id else None,
                }
                if case.contacted_at
                else None,
                "about_staff_of": case.about_staff_of.code if case.about_staff_of_id else None,
                "assist_opinions": [
                    {"department": o.department.code, "text": o.text, "by": o.author.display_name, "at": iso(o.at)}
                    for o in ([] if new else case.assist_opinions.select_related("department", "author"))
                ],
                "answer": case.answer,
                "rating": case.rating,
                "feedback_comment": case.feedback_comment,
                "feedback_resolved": case.feedback_resolved,
                "dissatisfied_reason": case.dissatisfied_reason,
                "hold_reason": case.hold_reason,
                "handling_department": case.handling_department.code if case.handling_department_id else None,
                "levels": [
                    {
                        "level": a.level,
                        "department": a.department.code,
                        "state": a.state,
                        "assigned_at": iso(a.assigned_at),
                        "signed_at": iso(a.signed_at),
                        "replied_at": iso(a.replied_at),
                        "ended_at": iso(a.ended_at),
                    }
                    for a in (
                        []
                        if new and not case.about_staff_of_id
                        else case.assignments.select_related("department").order_by("id")
                    )
                ],
                "return_count": case.return_count,
                "reopen_count": case.reopen_count,
                "return_due_at": iso(case.return_due_at),
                "assigned_at": iso(case.assigned_at),
                "replied_at": iso(case.replied_at),
                "answered_at": iso(case.answered_at),
                "closed_at": iso(case.closed_at),
                "timers": sla_serializers.timers_data(case, fresh=new is not None),
                # sla's own shapes (sla/serializers.py): a new column joins the API only when written there.
                "extensions": []
                if new
                else [sla_serializers.extension_data(e) for e in sla_selectors.case_extensions(case)],
                "supervision": [] if new else [sla_serializers.order_data(o) for o in sla_selectors.case_orders(case)],
                "events": [
                    {
                        "seq": ev.seq,
                        "at": iso(ev.at),
                        "actor": ev.actor_label,
                        "role": ev.role,
                        "transition": ev.transition,
                        "from": ev.from_state,
                        "to": ev.to_state,
                        "note": ev.note,
                        "public": ev.public,
                    }
                    for ev in ([new.event] if new else case.events.order_by("seq"))
                ],
                "attachments": [
                    {**attachment_data(a), "kind": a.kind, "in_reply": a.in_reply, "uploaded_at": iso(a.uploaded_at)}
                    for a in (new.attachments if new else case.attachments.all())
                ],
                # The knowledge-base article (and its version) that answered it, else null.
                "kb_article": None if new else kb_selectors.case_article(case),
                "transferred_to": case.transferred_to or None,
                "transferred_at": iso(case.transferred_at),
            }
        )
        return data


def attachment_data(attachment: Attachment) -> dict[str, Any]:
    """The upload endpoint's answer per file (API.md)."""
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": download_url(attachment),
    }


def public_case(case: Case, *, now: dt.datetime) -> dict[str, Any]:
    """What a citizen holding the access code sees: no personal data, no internal notes."""
    answered = case.state in ANSWER_SHOWN_STATES
    deadline = citizen_deadline(case, now=now)
    return {
        "tracking_no": case.tracking_no,
        "state": case.state,
        "state_label": str(State(case.state).label),
        "registered_at": iso(case.registered_at),
        "category": case.category.name,
        "department": case.department.name if case.department_id else None,
        # sla.deadlines.citizen_deadline: the date the tracking page, the IVR and the SMS give too.
        "deadline": sla_serializers.iso(deadline.due_at) if deadline else None,
        "deadline_status": deadline.status.value if deadline else None,
        "answer": case.answer if answered else "",
        "can_give_feedback": case.state == State.ANSWERED,
        "rating": case.rating,
        **citizen_followup(case, now=now),
        "timeline": [
            {
                "seq": row["seq"],
                "at": iso(row["at"]),
                "transition": row["transition"],
                "label": str(row["label"]),
                "to": row["to"],
                "note": row["note"],
            }
            for row in selectors.public_timeline(case)
        ],
    }


class PublicLookupInput(serializers.Serializer):
    tracking_no = TextField(max_length=32)
    access_code = TextField(max_length=32)


class PublicFeedbackInput(PublicLookupInput):
    rating = TextField(max_length=32)
    comment = TextField()
    resolved = StrictBooleanField()
    reason = TextField(max_length=32)


class PublicSupplementInput(PublicLookupInput):
    text = TextField()


class TokenInput(serializers.Serializer):
    username = TextField(max_length=150)
    password = TextField(max_length=4096, trim_whitespace=False)


def citizen_followup(case: Case, *, now: dt.datetime) -> dict[str, Any]:
    """The tracking API's fields of issue 13: the expected reply date (``sla.deadlines.expected_reply``),
    whether a supplement or an urge is possible now, and a merged case's surviving case."""
    expected = expected_reply(case, now=now)
    deadline = citizen_deadline(case, now=now)
    merged = selectors.merged_into(case)
    return {
        "expected_reply_at": sla_serializers.iso(expected.due_at) if expected else None,
        "expected_reply_estimated": bool(expected and expected.estimated),
        "can_supplement": case.state in OPEN_STATES,
        "can_urge": deadline is not None and deadline.status == CitizenDeadlineStatus.OVERDUE,
        "merged_into": {k: merged[k] for k in ("tracking_no", "state", "answer")} if merged else None,
        "dissatisfied_reason": case.dissatisfied_reason,
    }
