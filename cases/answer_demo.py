"""Demo data of the department's answer (issue 13): the restricted queue's department (纪检/督查)
with its clerk, a report about a department's staff waiting there, and reply templates."""

from __future__ import annotations

from . import services
from .enums import Channel, Kind
from .models import Category, Department, ReplyTemplate, User

DISCIPLINE_CODE = "JJZ"

TEMPLATES = (
    (
        "占道经营·已整治",
        "CITY-VEND",
        "CGJ",
        "{citizen_name}您好：您于{registered_at}反映的“{title}”（工单号{tracking_no}）已收悉。"
        "我局执法队员已到{location}现场核查，对占道摊贩进行劝离并督促整改，今后将加强巡查。感谢您的监督！",
    ),
    (
        "通用·已解释说明",
        None,
        None,
        "{citizen_name}您好：您于{registered_at}反映的问题（工单号{tracking_no}）已收悉。"
        "经核实，现将有关政策和办理情况说明如下：",
    ),
)


def ensure_discipline_department() -> Department:
    """The 纪检/督查 department (``handles_staff_reports``); the seed data has none. Idempotent."""
    dept, _created = Department.objects.update_or_create(
        code=DISCIPLINE_CODE,
        defaults={
            "name_zh": "区纪委监委派驻纪检监察组",
            "name_en": "Discipline Inspection Group",
            "parent": Department.objects.filter(code="GOV").first(),
            "handles_staff_reports": True,
        },
    )
    return dept


def create_answer_demo_data(users: dict[str, User]) -> dict[str, int]:
    """Two reply templates, and one report about CGJ staff registered by the agent (routed straight
    to the 纪检/督查 queue, where ``clerk_jjz`` finds it)."""
    for title, category, department, body in TEMPLATES:
        ReplyTemplate.objects.get_or_create(
            title=title,
            defaults={
                "body": body,
                "category_id": _category_id(category),
                "department": Department.objects.filter(code=department).first() if department else None,
            },
        )
    services.case_register(
        actor=users["agent"],
        channel=Channel.HOTLINE,
        kind=Kind.REPORT,
        category="CITY-VEND",
        title="举报城管执法队员收取摊贩“保护费”",
        content="学府路夜市有执法队员每月向摊贩收取现金，收了钱的摊位不被查处。",
        location="东湖街道学府路",
        citizen=services.Citizen(name="匿名", phone="13900139000"),
        publish_consent=False,
        about_staff_of="CGJ",
    )
    return {"restricted_reports": 1}


def _category_id(code: str | None) -> int | None:
    return Category.objects.filter(code=code).values_list("pk", flat=True).first() if code else None
