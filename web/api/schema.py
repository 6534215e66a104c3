"""Documentation-only serializers: the response shapes of API.md, for the OpenAPI schema.

The views build their answers in ``serializers.py``; these classes only describe them.
"""

from __future__ import annotations

from rest_framework import serializers

from sla.enums import CitizenDeadlineStatus, TimerStatus


class ErrorBody(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    state = serializers.CharField(required=False, help_text="On 409: the case's current state.")


class ErrorOut(serializers.Serializer):
    error = ErrorBody()


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class CitizenOut(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField(help_text="Masked (138****5678) for roles that do not need it.")
    email = serializers.CharField()
    id_no = serializers.CharField()
    masked = serializers.BooleanField()


class TimerOut(serializers.Serializer):
    """sla.serializers.timer_data: API.md's ``timers`` fields and the timer's id."""

    id = serializers.IntegerField()
    stage = serializers.CharField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    warn_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=TimerStatus.values)
    calendar_incomplete = serializers.BooleanField()


class ExtensionOut(serializers.Serializer):
    """``sla.serializers.extension_data``; tests hold the two to the same field list."""

    id = serializers.IntegerField()
    tracking_no = serializers.CharField()
    timer = serializers.IntegerField(help_text="The reply timer the request is about.")
    department = serializers.CharField(help_text="Department code")
    status = serializers.ChoiceField(choices=["pending", "granted", "refused"])
    requested_by = serializers.CharField(help_text="Username")
    requested_by_name = serializers.CharField()
    requested_at = serializers.DateTimeField()
    previous_due_at = serializers.DateTimeField()
    until = serializers.DateTimeField()
    reason = serializers.CharField()
    decided_by = serializers.CharField(allow_null=True, help_text="Username")
    decided_by_name = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()


class SupervisionOrderOut(serializers.Serializer):
    """``sla.serializers.order_data``; tests hold the two to the same field list."""

    id = serializers.IntegerField()
    tracking_no = serializers.CharField()
    timer = serializers.IntegerField(
        allow_null=True, help_text="The escalated timer; null when a supervisor issued it."
    )
    level = serializers.ChoiceField(choices=[1, 2, 3])
    level_label = serializers.CharField()
    department = serializers.CharField(allow_null=True, help_text="Department code")
    escalation = serializers.BooleanField(help_text="Issued by the sweeper at a breach.")
    issued_by = serializers.CharField(allow_null=True, help_text="Username; null for an escalation.")
    issued_by_name = serializers.CharField(allow_null=True)
    issued_at = serializers.DateTimeField()
    note = serializers.CharField()
    answered_by = serializers.CharField(allow_null=True, help_text="Username")
    answered_by_name = serializers.CharField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    answer = serializers.CharField()
    answer_by = serializers.DateTimeField(allow_null=True, help_text="When the answer is due; null if no date set.")


class EventOut(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    role = serializers.CharField()
    transition = serializers.CharField()
    # "from" is a Python keyword: declared below
    to = serializers.CharField()
    note = serializers.CharField()
    public = serializers.BooleanField()


EventOut._declared_fields["from"] = serializers.CharField()


class CaseSummaryOut(serializers.Serializer):
    tracking_no = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    channel = serializers.CharField()
    kind = serializers.CharField()
    category = serializers.CharField(help_text="Category code")
    category_name = serializers.CharField()
    department = serializers.CharField(allow_null=True, help_text="Department code")
    department_name = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    priority = serializers.CharField()
    on_hold = serializers.BooleanField()
    registered_at = serializers.DateTimeField()
    version = serializers.IntegerField(help_text='Send back as "version" to get 409 if the case changed meanwhile.')


class CasePageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseSummaryOut(many=True)


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The sender's file name, sanitised; metadata only.")
    size = serializers.IntegerField()
    content_type = serializers.CharField(help_text="Decided by the server from content and extension.")
    url = serializers.CharField(help_text="The download view (GET: the file to whoever may see the case).")


class AttachmentDetailOut(AttachmentOut):
    kind = serializers.ChoiceField(choices=["citizen", "scan", "reply"])
    uploaded_at = serializers.DateTimeField()


class AttachmentUploadIn(serializers.Serializer):
    file = serializers.ListField(child=serializers.FileField(), help_text="One or more files (multipart).")


class KbArticleRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()


class CaseDetailOut(CaseSummaryOut):
    assisting_departments = serializers.ListField(child=serializers.CharField())
    content = serializers.CharField()
    location = serializers.CharField()
    citizen = CitizenOut()
    access_code = serializers.CharField(allow_null=True, help_text="Only for intake roles and the registrant.")
    publication = serializers.ChoiceField(choices=["private", "pending", "published", "withdrawn"])
    answer = serializers.CharField()
    timers = TimerOut(many=True)
    extensions = ExtensionOut(many=True)
    supervision = SupervisionOrderOut(many=True)
    events = EventOut(many=True)
    attachments = AttachmentDetailOut(many=True)
    kb_article = KbArticleRefOut(allow_null=True, help_text="The knowledge-base article that answered it.")
    transferred_to = serializers.CharField(allow_null=True, help_text="110/119/120/122 after an emergency handover.")
    transferred_at = serializers.DateTimeField(allow_null=True)


class TimelineOut(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    transition = serializers.CharField()
    label = serializers.CharField()
    to = serializers.CharField()
    note = serializers.CharField()


class MergedIntoOut(serializers.Serializer):
    tracking_no = serializers.CharField()
    state = serializers.CharField()
    answer = serializers.CharField(help_text="The surviving case's answer, once it is answered.")


class PublicCaseOut(serializers.Serializer):
    tracking_no = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    registered_at = serializers.DateTimeField()
    category = serializers.CharField()
    department = serializers.CharField(allow_null=True)
    deadline = serializers.DateTimeField(
        allow_null=True,
        help_text="The deadline the citizen is told (sla.deadlines.citizen_deadline); null while "
        "paused or when none applies.",
    )
    deadline_status = serializers.ChoiceField(
        choices=CitizenDeadlineStatus.values,
        allow_null=True,
        help_text="running; paused (on hold, waiting for the citizen); overdue (past the deadline, no reply yet); "
        "met / late (replied, under review: in time / after the deadline); null: no deadline.",
    )
    answer = serializers.CharField()
    can_give_feedback = serializers.BooleanField()
    rating = serializers.CharField()
    timeline = TimelineOut(many=True)
    # issue 13: the citizen's follow-up
    expected_reply_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the reply is expected (sla.deadlines.expected_reply): before assignment an estimate "
        "from the reply term, then the reply clock's due time; null on hold or once answered.",
    )
    expected_reply_estimated = serializers.BooleanField()
    can_supplement = serializers.BooleanField(help_text="An open case takes public/supplement/.")
    can_urge = serializers.BooleanField(help_text="The deadline is overdue: public/urge/ (once a day).")
    merged_into = MergedIntoOut(allow_null=True)
    dissatisfied_reason = serializers.CharField(help_text="The reason given with a dissatisfied rating.")


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
PUBLIC_ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut}
