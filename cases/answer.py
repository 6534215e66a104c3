"""The department's answer (issue 13): the checks of a reply's result, contact record and files,
and the reply templates' placeholders. Pure reads and checks; the writes are in ``answer_services``
and ``services.case_reply``.

12345 practice: the department contacts the citizen before it replies (先联系、后答复) and says
what became of the matter (办理结果). A reply without a contact of this round, with a contact time
in the future or before the case was registered, or with a result not in the list is refused (400)
and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .enums import ContactMethod, ReplyResult
from .exceptions import CaseValidationError
from .models import Attachment, AttachmentKind, Case, ReplyTemplate
from .validation import is_ascii_number, parse_moment

# Audit actions of this module's services (registered by CasesConfig.ready()).
DRAFT_RETURNED = "cases.reply_draft.returned"
ASSIST_OPINION = "cases.assist.opinion"
ANSWER_ACTIONS = {
    DRAFT_RETURNED: gettext_lazy("负责人退回答复草稿"),
    ASSIST_OPINION: gettext_lazy("协办意见"),
}

MAX_REPLY_ATTACHMENTS = 20


def _invalid(field: str, msg: str) -> CaseValidationError:
    return CaseValidationError(msg, fields={field: [msg]})


def check_result(value: object, *, field: str = "result") -> str:
    if not value:
        raise _invalid(field, _("请选择办理结果。"))
    if not isinstance(value, str) or value not in ReplyResult.values:
        raise _invalid(
            field,
            _("办理结果须为：%(choices)s。") % {"choices": "、".join(str(label) for label in ReplyResult.labels)},
        )
    return value


def _moment(value: object, *, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        moment = parse_moment(value.strip())  # naive: what a person typed, local time
        if moment is None:
            raise _invalid(field, _("联系时间格式不正确，例如 2026-11-21T09:30:00+08:00。"))
    else:
        raise _invalid(field, _("请填写联系群众的时间。"))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def check_contact(contact: object, *, case: Case, now: dt.datetime) -> tuple[dt.datetime, str]:
    """``{"at", "method"}`` → (at, method). ``at`` may not lie in the future nor before the case was
    registered; ``method`` is one of ``ContactMethod``."""
    if not isinstance(contact, Mapping):
        raise _invalid("contact", _("答复前须先联系群众：请填写联系时间和联系方式。"))
    at = _moment(contact.get("at"), field="contact.at")
    if at > now:
        raise _invalid("contact.at", _("联系时间不能晚于现在。"))
    # A person types minutes: a contact in the minute of registration is not "before" it.
    if at < case.registered_at.replace(second=0, microsecond=0):
        raise _invalid("contact.at", _("联系时间不能早于工单登记时间。"))
    method = contact.get("method")
    if not isinstance(method, str) or method not in ContactMethod.values:
        raise _invalid(
            "contact.method",
            _("联系方式须为：%(choices)s。") % {"choices": "、".join(str(label) for label in ContactMethod.labels)},
        )
    return at, method


def contacted_this_round(case: Case) -> bool:
    """The contact recorded on the case (by a draft) belongs to the current handling round."""
    if case.contacted_at is None:
        return False
    # Typed to the minute, like the check of ``check_contact``: a contact in the minute of the
    # (re)assignment belongs to this round.
    return case.assigned_at is None or case.contacted_at >= case.assigned_at.replace(second=0, microsecond=0)


def check_reply_attachments(ids: object, *, case: Case, field: str = "attachments") -> list[Attachment]:
    """The department's files of this case named by ``ids`` (from the attachments endpoint). An id
    of another case, of a citizen's file or a letter's scan, or no file at all → 400."""
    if ids is None or ids == []:
        return []
    if not isinstance(ids, list | tuple) or len(ids) > MAX_REPLY_ATTACHMENTS:
        raise _invalid(field, _("附件须为附件编号列表（最多 %(n)d 个）。") % {"n": MAX_REPLY_ATTACHMENTS})
    wanted: list[int] = []
    for raw in ids:
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not is_ascii_number(str(raw)):
            raise _invalid(field, _("附件编号须为整数：%(v)s") % {"v": str(raw)[:20]})
        wanted.append(int(raw))
    wanted = list(dict.fromkeys(wanted))
    found = {a.pk: a for a in Attachment.objects.filter(case=case, pk__in=wanted)}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise _invalid(field, _("附件不属于本工单：%(ids)s") % {"ids": "、".join(missing)})
    not_reply = [str(a.pk) for a in found.values() if a.kind != AttachmentKind.REPLY]
    if not_reply:
        raise _invalid(field, _("只能随答复发送承办单位上传的附件：%(ids)s") % {"ids": "、".join(not_reply)})
    return [found[i] for i in wanted]


# --- reply templates (常用答复) ---------------------------------------------------------------

# Placeholder → label, shown to whoever edits a template; values from ``template_values``.
TEMPLATE_FIELDS = {
    "tracking_no": gettext_lazy("流水号"),
    "citizen_name": gettext_lazy("群众姓名"),
    "registered_at": gettext_lazy("登记时间"),
    "location": gettext_lazy("地点"),
    "title": gettext_lazy("标题"),
    "category": gettext_lazy("业务分类"),
    "department": gettext_lazy("承办单位"),
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown placeholder stays as typed, for the clerk to see


def template_values(case: Case) -> dict[str, str]:
    """The case's values for the placeholders: the citizen's name as written (family name first,
    as the case stores it), the registration time in local time (Asia/Shanghai)."""
    return {
        "tracking_no": case.tracking_no,
        "citizen_name": case.citizen_name or _("群众"),
        "registered_at": timezone.localtime(case.registered_at).strftime("%Y-%m-%d %H:%M"),
        "location": case.location,
        "title": case.title,
        "category": case.category.name_zh,
        "department": case.department.name_zh if case.department_id else "",
    }


def render_template(body: str, case: Case) -> str:
    """``body`` with the case's values for its placeholders; any other ``{…}`` is left as typed."""
    try:
        return body.format_map(_Blank(template_values(case)))
    except (ValueError, IndexError, AttributeError, KeyError):
        # A stray brace or a "{0}" / "{a.b}": not a placeholder, show the text unchanged.
        return body


def templates_for(case: Case) -> QuerySet[ReplyTemplate]:
    """Active templates of the case's department (or of every department) and of its category,
    the category's parent, or every category."""
    cats: Iterable[int] = [c for c in (case.category_id, case.category.parent_id) if c]
    return (
        ReplyTemplate.objects.filter(active=True)
        .filter(Q(department__isnull=True) | Q(department_id=case.department_id))
        .filter(Q(category__isnull=True) | Q(category_id__in=list(cats)))
        .order_by("title", "pk")
    )


def rendered_templates(case: Case) -> list[dict[str, Any]]:
    return [{"id": t.pk, "title": t.title, "text": render_template(t.body, case)} for t in templates_for(case)]
