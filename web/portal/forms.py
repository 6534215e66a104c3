"""Forms of the citizen portal. They check input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.attachments import check_uploads
from cases.enums import CITIZEN_DISSATISFIED_REASONS, Kind, Rating, ReplyChannel
from cases.exceptions import CaseValidationError
from cases.models import Category, Department
from cases.supplements import MAX_SUPPLEMENT
from cases.validation import MAX_CONTENT, MAX_TITLE, normalize_phone
from web.uploads import MultipleFileField

from . import captcha

MAX_FILES = 3


def _please_fill(label: str) -> str:
    return _("请填写%(label)s。") % {"label": label}


_please_fill_lazy = lazy(_please_fill, str)


def _required(label: str) -> dict[str, Any]:
    # Lazy twice over: the label and the sentence are translated when the error is shown.
    return {"required": _please_fill_lazy(label)}


def category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Leaf categories grouped under their parent, in the current language."""
    groups: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    leaves = Category.objects.filter(active=True, parent__isnull=False, parent__active=True).select_related("parent")
    for cat in leaves.order_by("parent__code", "code"):
        groups.setdefault(cat.parent_id, (cat.parent.name, []))[1].append((cat.code, cat.name))
    return list(groups.values())


def staff_report_choices() -> list[tuple[str, Any]]:
    """The departments a citizen may report staff of (not the restricted queue's own)."""
    depts = Department.objects.filter(active=True, is_dispatch=False, handles_staff_reports=False).order_by("code")
    return [("", _("否")), *[(d.code, d.name) for d in depts]]


class SubmissionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=100, error_messages=_required(gettext_lazy("姓名")))
    phone = forms.CharField(
        label=gettext_lazy("手机或电话"),
        max_length=32,
        error_messages=_required(gettext_lazy("联系电话")),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("电子邮箱（选填）"),
        required=False,
        error_messages={"invalid": gettext_lazy("电子邮箱格式不正确。")},
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("诉求类型"),
        choices=[("", gettext_lazy("请选择诉求类型")), *Kind.choices],
        error_messages={
            "required": gettext_lazy("请选择诉求类型。"),
            "invalid_choice": gettext_lazy("请从列表中选择诉求类型。"),
        },
    )
    category = forms.ChoiceField(
        label=gettext_lazy("业务分类"),
        choices=(),
        error_messages={
            "required": gettext_lazy("请选择业务分类。"),
            "invalid_choice": gettext_lazy("请从列表中选择业务分类。"),
        },
    )
    title = forms.CharField(
        label=gettext_lazy("标题"),
        max_length=MAX_TITLE,
        error_messages={
            **_required(gettext_lazy("标题")),
            "max_length": gettext_lazy("标题不能超过%(limit_value)d个字符（现有%(show_value)d个）。"),
        },
    )
    content = forms.CharField(
        label=gettext_lazy("诉求内容"),
        max_length=MAX_CONTENT,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            **_required(gettext_lazy("诉求内容")),
            "max_length": gettext_lazy("诉求内容不能超过%(limit_value)d个字符（现有%(show_value)d个）。"),
        },
    )
    location = forms.CharField(label=gettext_lazy("地点（选填）"), max_length=300, required=False)
    # A report about a department's own staff goes to the restricted queue (纪检/督查), never to it.
    about_staff_of = forms.ChoiceField(
        label=gettext_lazy("举报某单位工作人员？请选择该单位（选填，仅纪检/督查部门可见，不公开）"),
        required=False,
        choices=(),
        error_messages={"invalid_choice": gettext_lazy("请从列表中选择单位。")},
    )
    attachments = MultipleFileField(
        label=gettext_lazy("附件（选填，最多3个，每个不超过5MB，限PDF、JPEG、PNG、OFD、DOCX、XLSX）"),
        required=False,
        error_messages={"empty": gettext_lazy("上传的文件是空的。")},
    )
    private = forms.BooleanField(label=gettext_lazy("不公开：我的留言和答复不在网上公开"), required=False)
    reply_channel = forms.ChoiceField(
        label=gettext_lazy("答复方式"),
        initial=ReplyChannel.SMS,
        widget=forms.RadioSelect,
        choices=[(ReplyChannel.SMS, gettext_lazy("短信")), (ReplyChannel.EMAIL, gettext_lazy("电子邮件"))],
        error_messages={
            "required": gettext_lazy("请选择答复方式。"),
            "invalid_choice": gettext_lazy("请选择短信或电子邮件答复。"),
        },
    )
    # Rendered by hand in the template with a fresh challenge each time (see views).
    captcha_token = forms.CharField(required=False, widget=forms.HiddenInput)
    captcha_answer = forms.CharField(label=gettext_lazy("验证码"), max_length=16, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("请选择业务分类")), *category_choices()]
        self.fields["about_staff_of"].choices = staff_report_choices()

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"], required=True)
        except CaseValidationError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_attachments(self) -> list[UploadedFile]:
        # The rules are cases.attachments' (type by content and extension, size); asked here so the
        # errors stand next to the field before the captcha is spent.
        files = self.cleaned_data.get("attachments") or []
        try:
            check_uploads(files, field="attachments", max_files=MAX_FILES)
        except CaseValidationError as exc:
            raise forms.ValidationError(exc.fields.get("attachments") or [exc.message]) from None
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reply_channel") == ReplyChannel.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("选择邮件答复时请填写电子邮箱。"))
        if not (data.get("captcha_answer") or "").strip():
            self.add_error("captcha_answer", _("请输入图片中的验证码。"))
        else:
            try:
                captcha.verify(data.get("captcha_token", ""), data["captcha_answer"])
            except captcha.CaptchaError as exc:
                self.add_error("captcha_answer", str(exc))
        return data


class TrackForm(forms.Form):
    tracking_no = forms.CharField(
        label=gettext_lazy("流水号"),
        max_length=20,
        error_messages=_required(gettext_lazy("流水号")),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    access_code = forms.CharField(
        label=gettext_lazy("查询码"),
        max_length=12,
        error_messages=_required(gettext_lazy("查询码")),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class FeedbackForm(forms.Form):
    rating = forms.ChoiceField(
        label=gettext_lazy("您对答复的评价"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("请选择满意、基本满意或不满意。"),
            "invalid_choice": gettext_lazy("请选择满意、基本满意或不满意。"),
        },
    )
    comment = forms.CharField(
        label=gettext_lazy("意见（选填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    resolved = forms.TypedChoiceField(
        label=gettext_lazy("您反映的问题是否已解决？"),
        choices=[("yes", gettext_lazy("已解决")), ("no", gettext_lazy("未解决"))],
        coerce=lambda v: v == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    # Asked when the rating is 不满意 (the service requires it then; the page says so next to it).
    reason = forms.ChoiceField(
        label=gettext_lazy("不满意的原因（选择“不满意”时必填）"),
        choices=[("", gettext_lazy("请选择原因")), *[(r.value, r.label) for r in CITIZEN_DISSATISFIED_REASONS]],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("请从列表中选择不满意的原因。")},
    )


class SupplementForm(forms.Form):
    """补充材料 on the tracking page: text and/or files (the service requires one of them)."""

    text = forms.CharField(
        label=gettext_lazy("补充内容"),
        required=False,
        max_length=MAX_SUPPLEMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": gettext_lazy("补充内容不能超过%(limit_value)d个字符（现有%(show_value)d个）。")},
    )
    attachments = MultipleFileField(
        label=gettext_lazy("附件（选填，最多3个，每个不超过5MB，限PDF、JPEG、PNG、OFD、DOCX、XLSX）"),
        required=False,
        error_messages={"empty": gettext_lazy("上传的文件是空的。")},
    )

    def clean_attachments(self) -> list[UploadedFile]:
        files = self.cleaned_data.get("attachments") or []
        try:
            check_uploads(files, field="attachments", max_files=MAX_FILES)
        except CaseValidationError as exc:
            raise forms.ValidationError(exc.fields.get("attachments") or [exc.message]) from None
        return files
