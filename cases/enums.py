"""Choices for the cases app, importable from anywhere without cycles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("话务员")
    DISPATCHER = "dispatcher", _("分拨员")
    CLERK = "clerk", _("承办员")
    HEAD = "head", _("承办单位负责人")
    SUPERVISOR = "supervisor", _("督办员")
    LEADER = "leader", _("区领导")
    ADMIN = "admin", _("管理员")


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("热线电话")
    WEB = "web", _("网上留言")
    MAILBOX = "mailbox", _("区长信箱")
    LETTER = "letter", _("来信")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    OPEN311 = "open311", _("Open311")


# Channels whose cases are 信访 letters with statutory calendar-day terms.
LETTER_CHANNELS = frozenset({Channel.LETTER, Channel.MAILBOX})


class Kind(models.TextChoices):
    CONSULTATION = "consultation", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")


class Priority(models.TextChoices):
    NORMAL = "normal", _("普通")
    URGENT = "urgent", _("紧急")


class State(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ASSIGNED = "assigned", _("已转办")
    IN_PROGRESS = "in_progress", _("办理中")
    REPLIED = "replied", _("待审核")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")
    TRANSFERRED = "transferred", _("已移交应急")
    # Multi-tier dispatch and disputes (issue 12): appended, see README "Dispatch".
    SUB_REPLIED = "sub_replied", _("待上级单位审核")
    DISPUTED = "disputed", _("派单争议待裁决")
    # The citizen was not satisfied: a supervisor decides — reopen (重办) or close with an explanation.
    PENDING_DECISION = "pending_decision", _("不满意待研判")


OPEN_STATES = frozenset(
    {State.REGISTERED, State.ASSIGNED, State.IN_PROGRESS, State.REPLIED, State.SUB_REPLIED, State.DISPUTED}
)
TERMINAL_STATES = frozenset({State.REJECTED, State.MERGED, State.TRANSFERRED})


class Transition(models.TextChoices):
    REGISTER = "register", _("登记")
    RESOLVE_DIRECTLY = "resolve_directly", _("直接办结")
    REJECT = "reject", _("不予受理")
    MERGE = "merge", _("合并")
    ASSIGN = "assign", _("转办")
    RETURN = "return", _("退单")
    SIGN_FOR = "sign_for", _("签收")
    REPLY = "reply", _("答复")
    SEND_BACK = "send_back", _("退回重办")
    APPROVE = "approve", _("审核通过")
    FEEDBACK = "feedback", _("评价")
    AUTO_CLOSE = "auto_close", _("自动办结")
    REOPEN = "reopen", _("重办")
    # Orthogonal actions: recorded in the same audit chain, never a state.
    HOLD = "hold", _("挂起")
    RESUME = "resume", _("恢复")
    NOTE = "note", _("备注")
    REVEAL = "reveal", _("查看完整联系方式")
    DRAFT_REPLY = "draft_reply", _("保存答复草稿")
    PUBLISH = "publish", _("公开")
    WITHDRAW = "withdraw", _("撤回公开")
    ATTACH = "attach", _("添加附件")
    # A matter for 110/119/120/122: handed over, recorded with the number and the time (issue 12).
    TRANSFER = "transfer", _("移交应急")
    # Multi-tier dispatch (二次派单), disputes (派单争议) and the dispatcher's correction (issue 12).
    FORWARD = "forward", _("下派")
    RETURN_UP = "return_up", _("退回上级")
    APPROVE_UP = "approve_up", _("上级审核通过")
    SEND_DOWN = "send_down", _("退回下级重办")
    DISPUTE = "dispute", _("提出派单争议")
    ARBITRATE = "arbitrate", _("争议裁决")
    RECLASSIFY = "reclassify", _("更正分类")
    # The citizen's side (issue 13): additions to an open case, and a supervisor's closing decision
    # on a dissatisfied rating.
    SUPPLEMENT = "supplement", _("群众补充材料")
    CLOSE = "close", _("维持答复办结")
    # Other apps' actions on the same chain (the sla app's extensions, supervision orders and
    # escalations) are dotted names those apps register in cases.audit, not values here.


# Who sees what of the cases app's own events on the citizen's tracking page (registered in
# cases.audit by CasesConfig.ready()).
PUBLIC_WITH_NOTE = frozenset(
    {
        Transition.RESOLVE_DIRECTLY,
        Transition.REJECT,
        Transition.MERGE,
        Transition.APPROVE,
        Transition.HOLD,
        Transition.AUTO_CLOSE,
        Transition.TRANSFER,
        Transition.SUPPLEMENT,
        Transition.CLOSE,
    }
)
PUBLIC_WITHOUT_NOTE = frozenset(
    {
        Transition.REGISTER,
        Transition.ASSIGN,
        Transition.SIGN_FOR,
        Transition.REPLY,
        Transition.FEEDBACK,
        Transition.REOPEN,
        Transition.RESUME,
        Transition.ARBITRATE,
    }
)


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class ReplyResult(models.TextChoices):
    """What the department's reply says became of the matter (办理结果)."""

    SOLVED = "solved", _("已解决")
    PARTLY_SOLVED = "partly_solved", _("部分解决")
    EXPLAINED = "explained", _("未解决·已解释说明")
    UNFOUNDED = "unfounded", _("不属实")


class ContactMethod(models.TextChoices):
    """How the department contacted the citizen before replying (先联系、后答复)."""

    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    VISIT = "visit", _("上门/现场")
    EMAIL = "email", _("电子邮件")


class Publication(models.TextChoices):
    PRIVATE = "private", _("不公开")
    PENDING = "pending", _("待公开")
    PUBLISHED = "published", _("已公开")
    WITHDRAWN = "withdrawn", _("已撤回")


class ReplyChannel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    PHONE = "phone", _("电话回访")


class EmergencyService(models.TextChoices):
    """The emergency numbers a matter is handed over to (应急移交), instead of being rejected."""

    POLICE = "110", _("110 公安报警")
    FIRE = "119", _("119 消防")
    AMBULANCE = "120", _("120 急救")
    TRAFFIC = "122", _("122 交通事故")


class DraftStatus(models.TextChoices):
    """Where a clerk's reply draft stands with the head (Department.reply_needs_head_approval)."""

    PENDING = "pending", _("待负责人审批")
    RETURNED = "returned", _("负责人已退回")


class DissatisfiedReason(models.TextChoices):
    """Why the citizen is not satisfied (a short list; the comment says the rest)."""

    NOT_SOLVED = "not_solved", _("问题没有解决")
    NO_CONTACT = "no_contact", _("没有联系我")
    ANSWER_OFF_POINT = "off_point", _("答复答非所问")
    TOO_SLOW = "too_slow", _("办理拖延")
    ATTITUDE = "attitude", _("工作人员态度不好")
    OTHER = "other", _("其他")
    # A keypress (IVR) or a bare "3" by SMS: the channel could not ask why.
    UNSTATED = "unstated", _("未说明原因")


# What the portal and the public API offer a citizen to choose from.
CITIZEN_DISSATISFIED_REASONS = tuple(r for r in DissatisfiedReason if r != DissatisfiedReason.UNSTATED)


# States in which the citizen has been given the answer (and with it the reply's files).
ANSWER_SHOWN_STATES = frozenset({State.ANSWERED, State.CLOSED, State.PENDING_DECISION})


# The values of the choices checked on every registration and API request, kept: ``Choices.values``
# builds a new list on each use. Tuples, so a value of any type (a JSON list, say) is simply not in them.
ROLE_VALUES = tuple(Role.values)
CHANNEL_VALUES = tuple(Channel.values)
KIND_VALUES = tuple(Kind.values)
PRIORITY_VALUES = tuple(Priority.values)
REPLY_CHANNEL_VALUES = tuple(ReplyChannel.values)
