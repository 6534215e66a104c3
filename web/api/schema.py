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
    """sla.deadlines.timer_row: exactly API.md's ``timers`` fields."""

    stage = serializers.CharField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    warn_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=TimerStatus.values)
    calendar_incomplete = serializers.BooleanField()


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
    version = serializers.IntegerField(help_text="Send back as \"version\" to get 409 if the case changed meanwhile.")


class CasePageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseSummaryOut(many=True)


class CaseDetailOut(CaseSummaryOut):
    assisting_departments = serializers.ListField(child=serializers.CharField())
    content = serializers.CharField()
    location = serializers.CharField()
    citizen = CitizenOut()
    access_code = serializers.CharField(allow_null=True, help_text="Only for intake roles and the registrant.")
    publication = serializers.ChoiceField(choices=["private", "pending", "published", "withdrawn"])
    answer = serializers.CharField()
    timers = TimerOut(many=True)
    extensions = serializers.ListField(child=serializers.DictField())
    supervision = serializers.ListField(child=serializers.DictField())
    events = EventOut(many=True)


class TimelineOut(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    transition = serializers.CharField()
    label = serializers.CharField()
    to = serializers.CharField()
    note = serializers.CharField()


class PublicCaseOut(serializers.Serializer):
    tracking_no = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    registered_at = serializers.DateTimeField()
    category = serializers.CharField()
    department = serializers.CharField(allow_null=True)
    deadline = serializers.DateTimeField(
        allow_null=True, help_text="The deadline the citizen is told (sla.deadlines.citizen_deadline); null while "
                                   "paused or when none applies.")
    deadline_status = serializers.ChoiceField(
        choices=CitizenDeadlineStatus.values, allow_null=True,
        help_text="running; paused (on hold, waiting for the citizen); overdue (past the deadline, no reply yet); "
                  "met / late (replied, under review: in time / after the deadline); null: no deadline.")
    answer = serializers.CharField()
    can_give_feedback = serializers.BooleanField()
    rating = serializers.CharField()
    timeline = TimelineOut(many=True)


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
PUBLIC_ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut}
