"""Console forms: they only parse what the browser sent. Every rule lives in cases.services,
whose CaseValidationError fields are mapped back onto these forms (``add_service_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.enums import (
    Channel,
    ContactMethod,
    DissatisfiedReason,
    EmergencyService,
    Kind,
    Priority,
    Rating,
    ReplyChannel,
    ReplyResult,
    State,
)
from cases.exceptions import CaseValidationError
from cases.models import Category, Department, RejectReason
from sla.board import BOARD_STAGES
from web.uploads import MultipleFileField

# Channels a person at the desk registers: calls, and what arrives on paper or by mail.
DESK_CHANNELS = [Channel.HOTLINE, Channel.LETTER, Channel.MAILBOX, Channel.EMAIL, Channel.SMS]

# Service field names → form field names where they differ.
SERVICE_FIELD_MAP = {
    "citizen.name": "citizen_name",
    "citizen.phone": "citizen_phone",
    "citizen.email": "citizen_email",
    "citizen.id_no": "citizen_id_no",
    "contact": "contact_at",
    "contact.at": "contact_at",
    "contact.method": "contact_method",
}


def add_service_errors(form: forms.Form, exc: CaseValidationError) -> None:
    """Put a service's field errors next to the matching inputs (or on top of the form)."""
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    for key, messages in exc.fields.items():
        name = SERVICE_FIELD_MAP.get(key, key)
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


def category_choices() -> list[tuple[str, Any]]:
    """Leaves grouped under their parent, each showing the department it goes to by default."""
    cats = list(Category.objects.filter(active=True).select_related("parent", "default_department"))
    children: dict[int | None, list[Category]] = {}
    for cat in cats:
        children.setdefault(cat.parent_id, []).append(cat)
    groups: list[tuple[str, Any]] = [("", "——")]
    for root in children.get(None, []):
        leaves = children.get(root.pk, [])
        if not leaves:
            continue
        options = []
        for leaf in leaves:
            dept = leaf.default_department.name if leaf.default_department_id else _("待分拨")
            options.append((leaf.code, f"{leaf.name}（{dept}）"))
        groups.append((root.name, options))
    return groups


def department_choices(*, blank: bool = True) -> list[tuple[str, str]]:
    rows = [(d.code, d.name) for d in Department.objects.filter(active=True, is_dispatch=False).order_by("code")]
    return ([("", "——")] if blank else []) + rows


def reject_reason_choices() -> list[tuple[str, str]]:
    return [("", "——")] + [(r.code, r.name) for r in RejectReason.objects.order_by("code")]


def _text(label: Any, *, rows: int = 3, required: bool = False, max_length: int | None = None) -> forms.CharField:
    # required=False on purpose: the service decides and says exactly what is missing.
    attrs: dict[str, Any] = {"rows": rows}
    if required:
        attrs["required"] = True
    return forms.CharField(
        label=label, required=False, max_length=max_length, widget=forms.Textarea(attrs=attrs), strip=True
    )


class IntakeForm(forms.Form):
    """The agent's quick intake: one screen, top to bottom in the order a call goes."""

    channel = forms.ChoiceField(
        label=_("渠道"), choices=[(c.value, c.label) for c in DESK_CHANNELS], initial=Channel.HOTLINE
    )
    citizen_phone = forms.CharField(
        label=_("来电号码"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "data-caller-history": "1"}),
    )
    citizen_name = forms.CharField(label=_("姓名"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("诉求类型"), choices=Kind.choices, initial=Kind.COMPLAINT)
    category = forms.ChoiceField(label=_("业务分类"), choices=())
    title = forms.CharField(
        label=_("标题"), required=False, max_length=200, widget=forms.TextInput(attrs={"required": True})
    )
    content = _text(_("诉求内容"), rows=5, required=True)
    location = forms.CharField(label=_("地点"), required=False, max_length=300)
    priority = forms.ChoiceField(label=_("紧急程度"), choices=Priority.choices, initial=Priority.NORMAL)
    reply_channel = forms.ChoiceField(
        label=_("答复方式"), required=False, choices=[("", _("自动（有电话则短信）"))] + list(ReplyChannel.choices)
    )
    citizen_email = forms.CharField(
        label=_("电子邮箱（可选）"), required=False, max_length=254, widget=forms.TextInput(attrs={"type": "email"})
    )
    citizen_id_no = forms.CharField(label=_("身份证号（可选）"), required=False, max_length=18)
    publish_consent = forms.BooleanField(label=_("同意在网上公开（隐去个人信息）"), required=False, initial=True)
    # A report (举报) about a department's own staff: restricted, routed to 纪检/督查, never published.
    about_staff_of = forms.ChoiceField(label=_("举报对象为某单位工作人员（选填）"), required=False, choices=())
    # A paper letter's scan (or any file the caller sent); checked by cases.attachments.
    attachments = MultipleFileField(label=_("来信扫描件（可选，PDF、JPEG、PNG、OFD、DOCX、XLSX，每个不超过5MB）"))
    # Set by the telephony screen-pop when the form is opened for a ringing call; passed through.
    call_sid = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["about_staff_of"].choices = [("", _("否"))] + department_choices()[1:]


class ActionForm(forms.Form):
    """Every action form carries the version the user saw, so a stale form is refused."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": _("表单缺少版本信息，请刷新页面后重试。"),
            "invalid": _("表单缺少版本信息，请刷新页面后重试。"),
            "min_value": _("表单缺少版本信息，请刷新页面后重试。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_%s")
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class ResolveDirectlyForm(ActionForm):
    answer = _text(_("答复内容"), rows=4, required=True)
    # Set by the desk's knowledge-base panel when an article's answer is inserted (kb.services).
    kb_article = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class RejectForm(ActionForm):
    # Not required here: the service answers a blank choice with its own specific message.
    reason = forms.ChoiceField(label=_("不予受理理由"), choices=(), required=False)
    note = _text(_("说明"), rows=2)

    def __init__(self, *args: Any, reason_choices: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices if reason_choices is not None else reject_reason_choices()


class MergeForm(ActionForm):
    duplicate_of = forms.CharField(
        label=_("合并到工单（流水号）"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"required": True, "inputmode": "numeric"}),
    )


class AssignForm(ActionForm):
    department = forms.ChoiceField(label=_("承办单位"), choices=())
    assisting_departments = forms.MultipleChoiceField(
        label=_("协办单位"), choices=(), required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    instructions = _text(_("转办意见"), rows=2)

    def __init__(self, *args: Any, dept_choices: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = dept_choices if dept_choices is not None else department_choices()
        self.fields["department"].choices = choices
        self.fields["assisting_departments"].choices = [c for c in choices if c[0]]


class ReturnForm(ActionForm):
    reason = _text(_("退单理由"), rows=2, required=True)


class SignForForm(ActionForm):
    pass


class ReplyForm(ActionForm):
    """The department's answer: text (a reply template may fill it, static/js/console.js), the
    result, the contact with the citizen before replying, and the files that go with it — new
    uploads and files of the case already uploaded by the department (``linked``)."""

    text_label = _("答复内容")
    template = forms.ChoiceField(
        label=_("常用答复（选择后填入答复内容）"),
        required=False,
        choices=(),
        widget=forms.Select(attrs={"data-reply-template": "1"}),
    )
    text = _text(_("答复内容"), rows=5, required=True)
    result = forms.ChoiceField(label=_("办理结果"), required=False, choices=[("", "——"), *ReplyResult.choices])
    contact_at = forms.CharField(
        label=_("联系群众时间"),
        required=False,
        max_length=32,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    contact_method = forms.ChoiceField(
        label=_("联系方式"), required=False, choices=[("", "——"), *ContactMethod.choices]
    )
    linked = forms.MultipleChoiceField(
        label=_("随答复发送已上传的附件"), required=False, choices=(), widget=forms.CheckboxSelectMultiple
    )
    # Stored by cases.attachments.attachment_add before the reply, in one transaction (views).
    attachments = MultipleFileField(label=_("答复附件（可选，PDF、JPEG、PNG、OFD、DOCX、XLSX，每个不超过5MB）"))

    def __init__(
        self,
        *args: Any,
        linked_choices: list | None = None,
        template_choices: list | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = self.text_label
        self.fields["linked"].choices = linked_choices or []
        if not linked_choices:
            del self.fields["linked"]
        if template_choices:
            self.fields["template"].choices = [("", "——"), *template_choices]
        else:
            del self.fields["template"]
        self.uploaded_ids: list[int] = []

    def service_kwargs(self) -> dict[str, Any]:
        data = super().service_kwargs()
        at, method = data.pop("contact_at", ""), data.pop("contact_method", "")
        linked = [int(i) for i in data.pop("linked", [])]
        data.pop("template", None)
        data.pop("attachments", None)
        data["contact"] = {"at": at, "method": method} if (at or method) else None
        data["attachments"] = [*linked, *self.uploaded_ids]
        return data


class DraftReplyForm(ReplyForm):
    text_label = _("答复草稿")


class ReturnDraftForm(ActionForm):
    note = _text(_("退回意见"), rows=2, required=True)


class AssistOpinionForm(ActionForm):
    text = _text(_("协办意见"), rows=4, required=True)


class SendBackForm(ActionForm):
    note = _text(_("退回意见"), rows=2, required=True)


class ApproveForm(ActionForm):
    answer = _text(_("答复群众内容"), rows=5)


class FeedbackForm(ActionForm):
    rating = forms.ChoiceField(label=_("评价"), choices=[("", "——")] + list(Rating.choices), required=False)
    comment = _text(_("评价意见"), rows=2)
    resolved = forms.TypedChoiceField(
        label=_("问题是否解决"),
        choices=[("", "——"), ("yes", _("已解决")), ("no", _("未解决"))],
        coerce=lambda v: v == "yes",
        empty_value=None,
        required=False,
    )
    reason = forms.ChoiceField(
        label=_("不满意原因（不满意时必填）"), choices=[("", "——")] + list(DissatisfiedReason.choices), required=False
    )


class CloseDecisionForm(ActionForm):
    """A supervisor upholds the answer of a dissatisfied case; the explanation goes to the citizen."""

    reason = _text(_("办结说明（将告知群众）"), rows=3, required=True)


class ReopenForm(ActionForm):
    department = forms.ChoiceField(label=_("承办单位（留空为原单位）"), choices=(), required=False)
    reason = _text(_("重办理由"), rows=2, required=True)

    def __init__(self, *args: Any, dept_choices: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = dept_choices if dept_choices is not None else department_choices()


class HoldForm(ActionForm):
    reason = _text(_("挂起原因"), rows=2, required=True)


class ResumeForm(ActionForm):
    pass


class TransferForm(ActionForm):
    """Emergency handover: the number, when it was handed over (blank: now), and a note."""

    number = forms.ChoiceField(label=_("移交至"), choices=[("", "——"), *EmergencyService.choices], required=False)
    at = forms.DateTimeField(
        label=_("移交时间（留空为当前时间）"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    note = _text(_("说明"), rows=2)


class NoteForm(ActionForm):
    note = _text(_("内部备注"), rows=2, required=True)


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("流水号、电话或关键词")}),
    )
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(State.choices))
    department = forms.ChoiceField(label=_("承办单位"), required=False, choices=())
    category = forms.ChoiceField(label=_("业务分类"), required=False, choices=())
    # The overdue board's filters (sla.board.counted_timers): with either, "department" means the
    # department a live clock of that stage/colour runs for, as on the board.
    stage = forms.ChoiceField(
        label=_("环节"), required=False, choices=[("", _("全部"))] + [(s.value, s.label) for s in BOARD_STAGES]
    )
    colour = forms.ChoiceField(
        label=_("计时"),
        required=False,
        choices=[
            ("", _("全部")),
            ("running", _("正常")),
            ("warning", _("预警")),
            ("breached", _("超期")),
            ("paused", _("暂停")),
            ("escalated", _("已督办")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every active department, the dispatch office too: the board's triage clocks run for it.
        self.fields["department"].choices = [("", _("全部"))] + [
            (d.code, d.name) for d in Department.objects.filter(active=True).order_by("is_dispatch", "code")
        ]
        self.fields["category"].choices = [("", _("全部"))] + category_choices()[1:]


# --- multi-tier dispatch, disputes, correction (issue 12; services in cases/forwarding.py) ---


class ForwardForm(ActionForm):
    department = forms.ChoiceField(label=_("下派至下级单位"), choices=())
    instructions = _text(_("下派意见"), rows=2, required=True)

    def __init__(self, *args: Any, dept_choices: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = dept_choices or [("", "——")]


class ApproveUpForm(ActionForm):
    note = _text(_("审核意见（可选）"), rows=2)


class SendDownForm(ActionForm):
    note = _text(_("退回意见"), rows=2, required=True)


class DisputeForm(ActionForm):
    note = _text(_("争议说明（为何不同意退单）"), rows=2, required=True)


class ArbitrateForm(ActionForm):
    department = forms.ChoiceField(label=_("裁决承办单位"), choices=())
    reason = _text(_("裁决理由"), rows=2, required=True)

    def __init__(self, *args: Any, dept_choices: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = dept_choices if dept_choices is not None else department_choices()


class ReclassifyForm(ActionForm):
    category = forms.ChoiceField(label=_("业务分类"), choices=(), required=False)
    kind = forms.ChoiceField(label=_("诉求类型"), choices=[("", _("不变"))] + list(Kind.choices), required=False)
    priority = forms.ChoiceField(
        label=_("紧急程度"), choices=[("", _("不变"))] + list(Priority.choices), required=False
    )
    note = _text(_("更正说明"), rows=2, required=True)

    def __init__(self, *args: Any, category_list: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = category_list if category_list is not None else category_choices()
        self.fields["category"].choices = [("", _("不变"))] + groups[1:]
