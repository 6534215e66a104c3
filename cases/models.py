"""Organisation, the case with its state machine, and the hash-chained audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, RETURN_VALUE, FSMField, FSMModelMixin, transition

from . import chain, rules
from .audit import MAX_ACTION_LENGTH, action_label
from .enums import (
    OPEN_STATES,
    Channel,
    ContactMethod,
    DissatisfiedReason,
    DraftStatus,
    Kind,
    Priority,
    Publication,
    Rating,
    ReplyChannel,
    ReplyResult,
    Role,
    State,
)

# Han characters: a name written in them is written family name first, without a space.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class BilingualName(models.Model):
    code = models.CharField(_("代码"), max_length=32, unique=True)
    name_zh = models.CharField(_("中文名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    @property
    def name(self) -> str:
        if (get_language() or "zh-hans").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh

    def __str__(self) -> str:
        return self.name


class Department(BilingualName):
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_dispatch = models.BooleanField(_("分拨中心"), default=False)
    reply_needs_head_approval = models.BooleanField(
        _("答复须负责人审批"),
        default=False,
        help_text=_("若勾选，只有本单位负责人可以提交答复；承办员保存草稿。"),
    )
    active = models.BooleanField(_("启用"), default=True)
    # 纪检/督查: reports (举报) about a department's own staff go to such a department, never to the
    # accused one, and only its staff (and administrators) can read them.
    handles_staff_reports = models.BooleanField(
        _("受理针对工作人员的举报（纪检/督查）"),
        default=False,
        help_text=_("举报某单位工作人员的工单只转给此类单位办理，被举报单位和普通分拨员均不可见。"),
    )

    class Meta(BilingualName.Meta):
        verbose_name = _("承办单位")
        verbose_name_plural = _("承办单位")


class Category(BilingualName):
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    default_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="default_for"
    )
    kinds = models.JSONField(_("适用诉求类型"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta(BilingualName.Meta):
        verbose_name = _("业务分类")
        verbose_name_plural = _("业务分类")

    @property
    def path(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class RejectReason(BilingualName):
    class Meta(BilingualName.Meta):
        verbose_name = _("不予受理理由")
        verbose_name_plural = _("不予受理理由")


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.AGENT)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("所属单位"),
    )

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def get_full_name(self) -> str:
        """Family name first, as Chinese names are written: 王 + 建国 → "王建国" (Django's own
        gives "建国 王"). A name in Latin letters keeps its own order with a space: "Anna Li"."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if not (first and last):
            return first or last
        if _HAN.search(first + last):
            return f"{last}{first}"
        return f"{first} {last}"

    def get_short_name(self) -> str:
        # The admin greets with this one: the whole name, not the given name alone.
        return self.get_full_name()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class DailySequence(models.Model):
    """One row per day; incremented under a row lock so tracking numbers never collide."""

    day = models.DateField(primary_key=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} #{self.value}"


ACCESS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone


def new_access_code() -> str:
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(6))


class Case(FSMModelMixin, models.Model):
    tracking_no = models.CharField(_("流水号"), max_length=16, unique=True)
    access_code = models.CharField(_("查询码"), max_length=6, default=new_access_code)
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    kind = models.CharField(_("诉求类型"), max_length=16, choices=Kind.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("业务分类"))
    priority = models.CharField(_("紧急程度"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    title = models.CharField(_("标题"), max_length=200)
    content = models.TextField(_("诉求内容"))
    location = models.CharField(_("地点"), max_length=300, blank=True)

    citizen_name = models.CharField(_("姓名"), max_length=100, blank=True)
    citizen_phone = models.CharField(_("电话"), max_length=32, blank=True, db_index=True)
    citizen_email = models.EmailField(_("电子邮箱"), blank=True)
    citizen_id_no = models.CharField(_("身份证号"), max_length=18, blank=True)
    reply_channel = models.CharField(
        _("答复方式"), max_length=8, choices=ReplyChannel.choices, default=ReplyChannel.SMS
    )
    publish_consent = models.BooleanField(_("同意公开"), default=True)
    publication = models.CharField(
        _("公开状态"), max_length=12, choices=Publication.choices, default=Publication.PRIVATE
    )
    # The public copy: redacted, edited by the dispatcher; the original text is never altered.
    public_title = models.CharField(_("公开标题"), max_length=200, blank=True)
    public_content = models.TextField(_("公开诉求内容"), blank=True)
    public_answer = models.TextField(_("公开答复内容"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)

    # No index of its own: Meta's (state, registered_at) serves every lookup by state (and nothing
    # matches it with LIKE), and each index is one more write per registration.
    state = FSMField(_("状态"), max_length=16, choices=State.choices, default=State.REGISTERED, protected=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every action; stale forms get a conflict.")

    # Indexed by Meta's (department, state), which serves every lookup by department alone.
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("承办单位"),
        db_index=False,
    )
    assisting_departments = models.ManyToManyField(
        Department, blank=True, related_name="assisting_cases", verbose_name=_("协办单位")
    )
    instructions = models.TextField(_("转办意见"), blank=True)
    # Multi-tier dispatch (二次派单): the sub-unit of ``department`` holding the case now (None =
    # the lead department itself); every level passed is a CaseAssignment row (models_dispatch).
    handling_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("当前办理单位")
    )
    # The department that last returned the case (cleared when it is assigned again): a dispute
    # (派单争议) is about this department's return.
    returned_from = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("退单单位")
    )
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates")
    reject_reason = models.ForeignKey(RejectReason, null=True, blank=True, on_delete=models.PROTECT)
    reject_note = models.TextField(blank=True)
    reply_draft = models.TextField(_("答复草稿"), blank=True)
    reply_text = models.TextField(_("承办答复"), blank=True)
    answer = models.TextField(_("答复群众"), blank=True)
    # The department's reply: what became of the matter, and the contact with the citizen that
    # 12345 practice requires before a reply (when, how, by whom).
    reply_result = models.CharField(_("办理结果"), max_length=16, choices=ReplyResult.choices, blank=True)
    contacted_at = models.DateTimeField(_("联系群众时间"), null=True, blank=True)
    contact_method = models.CharField(_("联系方式"), max_length=8, choices=ContactMethod.choices, blank=True)
    contacted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("联系人")
    )
    rating = models.CharField(_("评价"), max_length=20, choices=Rating.choices, blank=True)
    feedback_comment = models.TextField(_("评价意见"), blank=True)
    # The citizen's own word on whether the matter is solved (解决率), asked beside the rating;
    # null when not asked or not answered.
    feedback_resolved = models.BooleanField(_("问题是否解决"), null=True, blank=True)
    # Why a citizen is not satisfied (issue 13): the case then waits for a supervisor's decision.
    dissatisfied_reason = models.CharField(
        _("不满意原因"), max_length=16, choices=DissatisfiedReason.choices, blank=True
    )
    first_contact_resolution = models.BooleanField(default=False)
    return_count = models.PositiveIntegerField(default=0)
    reopen_count = models.PositiveIntegerField(default=0)
    on_hold = models.BooleanField(_("挂起"), default=False)
    hold_reason = models.TextField(blank=True)
    # Set by the SLA app when the case is assigned: until then the department may return it.
    return_due_at = models.DateTimeField(null=True, blank=True)
    # Emergency handover (应急移交): the number it went to (cases.enums.EmergencyService) and when.
    transferred_to = models.CharField(_("移交号码"), max_length=8, blank=True)
    transferred_at = models.DateTimeField(_("移交时间"), null=True, blank=True)
    # A report (举报) about staff of this department: restricted (cases.rules.is_restricted).
    about_staff_of = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("被举报工作人员所在单位"),
    )
    # Head approval (Department.reply_needs_head_approval): the clerk's draft waits for the head,
    # who submits it as the reply or returns it with a note.
    reply_draft_status = models.CharField(_("草稿审批状态"), max_length=8, choices=DraftStatus.choices, blank=True)
    reply_draft_note = models.TextField(_("负责人退回意见"), blank=True)
    reply_draft_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("草稿拟稿人")
    )

    registered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The Open311 client that registered the case: it (and only it, besides the public board) may
    # read the request back through /open311/v2/ before publication.
    open311_key = models.ForeignKey(
        "cases.Open311ApiKey", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The chain head (cases.chain): the last event's seq and hash, written with the event.
    audit_head_seq = models.PositiveIntegerField(default=0, editable=False)
    audit_head_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-registered_at"]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        indexes = [models.Index(fields=["department", "state"]), models.Index(fields=["state", "registered_at"])]

    def __str__(self) -> str:
        return f"{self.tracking_no} {self.title}"

    # --- the state machine: declares targets and sets fields; services do the rest ---
    # Each permission is a named function in cases.rules that the service checks too (403 before
    # 409); ``now`` is the one moment of the action, taken by the service.

    @transition(field=state, source=State.REGISTERED, target=State.ANSWERED, permission=rules.may_resolve_directly)
    def resolve_directly(self, *, answer: str, now: dt.datetime) -> None:
        self.answer = answer
        self.first_contact_resolution = True
        self.answered_at = now

    @transition(field=state, source=State.REGISTERED, target=State.REJECTED, permission=rules.may_triage)
    def reject(self, *, reason: RejectReason, note: str, now: dt.datetime) -> None:
        self.reject_reason = reason
        self.reject_note = note
        self.closed_at = now

    @transition(field=state, source=State.REGISTERED, target=State.MERGED, permission=rules.may_triage)
    def merge(self, *, duplicate_of: Case, now: dt.datetime) -> None:
        self.duplicate_of = duplicate_of
        self.closed_at = now

    @transition(field=state, source=State.REGISTERED, target=State.ASSIGNED, permission=rules.may_triage)
    def assign(self, *, department: Department, instructions: str, now: dt.datetime) -> None:
        self.department = department
        self.instructions = instructions
        self.assigned_at = now
        self.returned_from = None

    @transition(
        field=state,
        source=State.ASSIGNED,
        target=State.REGISTERED,
        permission=rules.may_return,
        conditions=[rules.is_not_forwarded],
    )
    def return_(self, *, now: dt.datetime) -> None:
        self.returned_from = self.department
        self.department = None
        self.return_count += 1
        self.return_due_at = None

    @transition(field=state, source=State.ASSIGNED, target=State.IN_PROGRESS, permission=rules.may_handle)
    def sign_for(self, *, now: dt.datetime) -> None:
        pass

    @transition(
        field=state,
        source=State.IN_PROGRESS,
        # A sub-unit's reply goes to the department above it first (二次派单), not to the dispatcher.
        target=GET_STATE(
            lambda self, **kw: State.SUB_REPLIED if self.handling_department_id else State.REPLIED,
            states=[State.REPLIED, State.SUB_REPLIED],
        ),
        permission=rules.may_reply,
    )
    def reply(self, *, text: str, now: dt.datetime, result: str = "") -> None:
        self.reply_text = text
        self.reply_result = result
        self.reply_draft = ""
        self.reply_draft_status = ""
        self.reply_draft_note = ""
        self.replied_at = now

    @transition(field=state, source=State.REPLIED, target=State.IN_PROGRESS, permission=rules.may_triage)
    def send_back(self, *, now: dt.datetime) -> None:
        pass

    @transition(field=state, source=State.REPLIED, target=State.ANSWERED, permission=rules.may_triage)
    def approve(self, *, answer: str, now: dt.datetime) -> None:
        self.answer = answer
        self.answered_at = now

    @transition(
        field=state,
        source=State.ANSWERED,
        target=RETURN_VALUE(State.CLOSED, State.PENDING_DECISION),
        permission=rules.may_feedback,
    )
    def feedback(
        self, *, rating: str, comment: str, now: dt.datetime, resolved: bool | None = None, reason: str = ""
    ) -> str:
        # A dissatisfied citizen's case is not closed: it waits for a supervisor's decision.
        self.rating = rating
        self.feedback_comment = comment
        self.feedback_resolved = resolved
        if rating == Rating.DISSATISFIED:
            self.dissatisfied_reason = reason
            return State.PENDING_DECISION
        self.closed_at = now
        return State.CLOSED

    @transition(field=state, source=State.ANSWERED, target=State.CLOSED, permission=rules.may_auto_close)
    def auto_close(self, *, now: dt.datetime) -> None:
        self.closed_at = now

    @transition(
        field=state,
        source=[State.ANSWERED, State.CLOSED, State.PENDING_DECISION],
        target=State.ASSIGNED,
        permission=rules.may_reopen,
    )
    def reopen(self, *, department: Department, now: dt.datetime) -> None:
        self.department = department
        self.handling_department = None
        self.reopen_count += 1
        self.assigned_at = now
        self.closed_at = None
        self.rating = ""
        self.feedback_comment = ""
        self.feedback_resolved = None
        self.dissatisfied_reason = ""

    @transition(field=state, source=State.PENDING_DECISION, target=State.CLOSED, permission=rules.may_reopen)
    def close(self, *, now: dt.datetime) -> None:
        # A supervisor upholds the answer of a dissatisfied case, with an explanation (the event's note).
        self.closed_at = now

    @transition(field=state, source=State.REGISTERED, target=State.TRANSFERRED, permission=rules.may_transfer_emergency)
    def transfer(self, *, number: str, at: dt.datetime, now: dt.datetime) -> None:
        self.transferred_to = number
        self.transferred_at = at
        self.closed_at = now

    # --- multi-tier dispatch (二次派单) and disputes (派单争议): cases.forwarding performs them ---

    @transition(field=state, source=State.IN_PROGRESS, target=State.ASSIGNED, permission=rules.may_forward)
    def forward(self, *, department: Department, now: dt.datetime) -> None:
        self.handling_department = department

    @transition(
        field=state,
        source=State.ASSIGNED,
        target=State.IN_PROGRESS,
        permission=rules.may_handle,
        conditions=[rules.is_forwarded],
    )
    def return_up(self, *, parent: Department, now: dt.datetime) -> None:
        """Back one level: to the department that forwarded it, which had signed for it."""
        self.handling_department = None if parent.pk == self.department_id else parent

    @transition(
        field=state,
        source=State.SUB_REPLIED,
        target=GET_STATE(
            lambda self, *, parent, **kw: State.REPLIED if parent.pk == self.department_id else State.SUB_REPLIED,
            states=[State.REPLIED, State.SUB_REPLIED],
        ),
        permission=rules.may_review_sub_reply,
    )
    def approve_up(self, *, parent: Department, now: dt.datetime) -> None:
        """The reviewing department adopts the sub-unit's reply as its own and sends it up."""
        self.handling_department = None if parent.pk == self.department_id else parent
        if self.handling_department_id is None:
            self.replied_at = now

    @transition(field=state, source=State.SUB_REPLIED, target=State.IN_PROGRESS, permission=rules.may_review_sub_reply)
    def send_down(self, *, now: dt.datetime) -> None:
        pass

    @transition(
        field=state,
        source=State.REGISTERED,
        target=State.DISPUTED,
        permission=rules.may_dispute,
        conditions=[rules.was_returned],
    )
    def dispute(self, *, now: dt.datetime) -> None:
        pass

    @transition(field=state, source=State.DISPUTED, target=State.ASSIGNED, permission=rules.may_arbitrate)
    def arbitrate(self, *, department: Department, now: dt.datetime) -> None:
        self.department = department
        self.handling_department = None
        self.returned_from = None
        self.assigned_at = now

    def return_window_open(self) -> bool:
        return self.return_due_at is None or timezone.now() <= self.return_due_at

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def _canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("CaseEvent is append-only")

    def delete(self):
        raise PermissionError("CaseEvent is append-only")


class CaseEvent(models.Model):
    """One line of a case's history. Append-only; each row carries the hash of the previous one."""

    # Indexed by the unique (case, seq), which serves every lookup by case alone.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=100, help_text="Who acted, as shown: user name, 'citizen', 'system'.")
    role = models.CharField(max_length=16)
    # An open vocabulary (cases.audit): the cases app's transition names and other apps' dotted names.
    transition = models.CharField(max_length=MAX_ACTION_LENGTH)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(default=True, help_text="Shown on the citizen's tracking page.")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    # cases.chain: 1 = legacy SHA-256 (events written before the chain was keyed), 2 = HMAC-SHA256
    # with settings.AUDIT_KEY, covering row_digest (the case row's audited columns after the action).
    hash_version = models.PositiveSmallIntegerField(default=chain.LEGACY)
    row_digest = models.CharField(max_length=64, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq_unique")]
        # The events of one kind in a period (a month's urges, ratings and decisions for the
        # monthly report): a range read instead of a scan of every case's history.
        indexes = [
            models.Index(fields=["transition", "at"], name="case_event_transition_at"),
            # A month's dissatisfied ratings (the report's follow-up), without reading every rating.
            models.Index(
                fields=["at"],
                condition=models.Q(transition="feedback", data__rating="dissatisfied"),
                name="case_event_dissatisfied_at",
            ),
        ]

    def compute_hash(self) -> str:
        payload = {
            "case": self.case_id,
            "seq": self.seq,
            # In UTC, as it reads back: an event written with a local ``now`` (Asia/Shanghai) was
            # hashed with "+08:00" and never verified again. Unchanged for every UTC-written row.
            "at": self.at.astimezone(dt.UTC).isoformat(),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "role": self.role,
            "transition": self.transition,
            "from": self.from_state,
            "to": self.to_state,
            "note": self.note,
            "data": self.data,
            "public": self.public,
            "ip": self.client_ip,
            "prev": self.prev_hash,
        }
        if self.hash_version == chain.LEGACY:
            return hashlib.sha256(_canonical(payload)).hexdigest()
        if self.hash_version == chain.KEYED:
            return chain.keyed_hash({**payload, "v": chain.KEYED, "row": self.row_digest})
        raise ValueError(f"unknown hash_version {self.hash_version!r}")

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("CaseEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("CaseEvent is append-only")

    @property
    def transition_label(self) -> str:
        return action_label(self.transition)

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.transition}"


class AttachmentKind(models.TextChoices):
    CITIZEN = "citizen", _("群众附件")
    SCAN = "scan", _("来信扫描件")
    REPLY = "reply", _("答复附件")


# The extensions a stored file may carry: the six allowed types (cases.attachments).
STORED_EXTENSIONS = frozenset({".pdf", ".jpg", ".jpeg", ".png", ".ofd", ".docx", ".xlsx"})


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """A random name the server makes up, under the month of upload; of the name it is given only an
    allowed extension survives. Nothing the sender typed reaches the file system."""
    ext = os.path.splitext(filename)[1].lower()
    at = instance.uploaded_at or timezone.now()
    return f"attachments/{at:%Y/%m}/{uuid.uuid4().hex}{ext if ext in STORED_EXTENSIONS else ''}"


class Attachment(models.Model):
    """A file on a case, written only by cases.attachments (type by content and extension, size,
    generated name). ``original_name`` is the sanitised name to show, never a path."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(max_length=8, choices=AttachmentKind.choices, default=AttachmentKind.CITIZEN)
    file = models.FileField(upload_to=attachment_upload_to)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Listed by the department's reply (``reply {"attachments": [...]}``): only these of the
    # department's files reach the citizen once the answer is given.
    in_reply = models.BooleanField(_("随答复发送"), default=False)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ContactSearchQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("ContactSearch is append-only")

    def delete(self):
        raise PermissionError("ContactSearch is append-only")


class ContactSearch(models.Model):
    """One case search by a citizen's full phone or ID number by a role that sees them masked.

    Such a role finds cases by the exact value only (never by a prefix), and each such search is on
    the record: who, when, from where, which kind of value, and how many cases it found. The value
    itself is kept only masked (as the searcher's role would see it) and as a keyed digest, so an
    auditor can tell whether two searches were for the same number without the log holding it.
    Append-only.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16)
    surface = models.CharField(max_length=16, help_text="console or api")
    kind = models.CharField(max_length=8, help_text="phone or id_no")
    value_masked = models.CharField(max_length=32)
    value_digest = models.CharField(max_length=64, db_index=True)
    matches = models.PositiveIntegerField(default=0)
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = ContactSearchQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("联系方式检索记录")
        verbose_name_plural = _("联系方式检索记录")

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("ContactSearch is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("ContactSearch is append-only")

    def __str__(self) -> str:
        return f"{self.actor_id} {self.kind} {self.value_masked} @ {self.at:%Y-%m-%d %H:%M}"


from .models_answer import AssistOpinion, ReplyTemplate  # noqa: E402, F401  (the department's answer: issue 13)
from .models_dispatch import CaseAssignment, Dispute  # noqa: E402, F401  (multi-tier dispatch: issue 12)
from .models_public import Open311ApiKey, PublicSearch  # noqa: E402, F401  (public face: issue 6)
