"""Factories that go through the real services, so every case has a valid history."""

from __future__ import annotations

import factory
from django.utils import timezone

from cases import services
from cases.enums import Channel, ContactMethod, Kind, Rating, ReplyResult, State
from cases.models import Department, User

PASSWORD = "demo12345"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    class Params:
        department_code = None

    username = factory.Sequence(lambda n: f"user{n}")
    role = "agent"
    department = factory.LazyAttribute(
        lambda o: Department.objects.get(code=o.department_code) if o.department_code else None
    )
    # Hashed when the user is built, so creating one is one INSERT (a set_password after it would
    # save the row a second time).
    password = factory.django.Password(PASSWORD)


def reply_kwargs(*, at=None, **overrides) -> dict:
    """What ``case_reply`` needs beside the text: a result and this round's contact with the
    citizen (12345 practice: contact before reply), made ``at`` (default now: the clock the test
    pinned; tests that pass ``now=`` to the services pass the same moment here)."""
    return {
        "result": ReplyResult.SOLVED,
        "contact": {"at": at or timezone.now(), "method": ContactMethod.PHONE},
        **overrides,
    }


def reply_body(**overrides) -> dict:
    """The same as ``reply_kwargs`` for the API's JSON body."""
    return {"result": "solved", "contact": {"at": timezone.now().isoformat(), "method": "phone"}, **overrides}


def reply_form(**overrides) -> dict:
    """The same for the console's reply form (local time, as a datetime-local input sends it)."""
    at = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M")
    return {"result": "solved", "contact_at": at, "contact_method": "phone", **overrides}


class CaseFactory:
    """``CaseFactory(actor=..., **overrides)`` registers a case through ``case_register``."""

    counter = 0

    def __new__(cls, *, actor=None, **overrides):
        cls.counter += 1
        citizen = overrides.pop("citizen", None) or services.Citizen(
            name="张三", phone=f"1380013{cls.counter % 10000:04d}", email="zhangsan@example.com"
        )
        fields = {
            "channel": Channel.WEB,
            "kind": Kind.COMPLAINT,
            "category": "CITY-VEND",
            "title": f"人行道占道经营 {cls.counter}",
            "content": "每天晚上七点后，小区门口人行道被摊贩占满，行人只能走机动车道。",
            "location": "东湖街道幸福路12号",
            "publish_consent": True,
        }
        fields.update(overrides)
        return services.case_register(actor=actor, citizen=citizen, **fields)


def make_case_in_state(state: str, users: dict, *, department: str = "CGJ", **overrides):
    """Walk a new case along the happy path until it reaches ``state``."""
    case = CaseFactory(actor=users["agent"], **overrides)
    if state == State.REGISTERED:
        return case
    if state == State.REJECTED:
        return services.case_reject(case=case, actor=users["dispatcher"], reason="out_of_remit", note="")
    if state == State.MERGED:
        other = CaseFactory(actor=users["agent"])
        return services.case_merge(case=case, actor=users["dispatcher"], duplicate_of=other.tracking_no)
    if state == State.TRANSFERRED:
        return services.case_transfer_emergency(case=case, actor=users["agent"], number="110")
    clerk = users["clerk_cgj"] if department == "CGJ" else users["clerk_hbj"]
    case = services.case_assign(case=case, actor=users["dispatcher"], department=department, instructions="请核实处理")
    if state == State.ASSIGNED:
        return case
    case = services.case_sign_for(case=case, actor=clerk)
    if state == State.IN_PROGRESS:
        return case
    case = services.case_reply(
        **reply_kwargs(), case=case, actor=clerk, text="已安排执法队员现场劝离，并加强夜间巡查。"
    )
    if state == State.REPLIED:
        return case
    case = services.case_approve(case=case, actor=users["dispatcher"], answer="")
    if state == State.ANSWERED:
        return case
    if state == State.PENDING_DECISION:
        return services.case_feedback(
            case=case, actor=None, rating=Rating.DISSATISFIED, reason="not_solved", comment="问题依旧"
        )
    case = services.case_feedback(case=case, actor=None, rating=Rating.SATISFIED, comment="处理及时")
    assert case.state == State.CLOSED
    return case
