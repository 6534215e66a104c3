"""What a staff member may do to a case now, and the form + service behind each action.

The console never decides whether an action is allowed: it offers what the state machine's
permission callables allow (``get_available_user_state_transitions``), and the service
decides again, under the row lock, when the form is posted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import pgettext_lazy

from cases import answer, answer_services, forwarding, rules, services
from cases.enums import State
from cases.models import AttachmentKind, Case, User
from kb import services as kb_services

from . import forms as f


@dataclass(frozen=True)
class Action:
    name: str
    label: Any
    form: type[f.ActionForm]
    service: Callable[..., Any]
    # Services that accept expected_version (the state-changing ones); notes/drafts do not.
    versioned: bool = True
    danger: bool = False
    choices: str = ""  # which shared choice list the form needs: "dept" or "reason"


# Button labels are verbs. The same Chinese words are also event labels (Transition), which
# English renders in the past tense, hence a translation context of their own.
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("assign", pgettext_lazy("console action", "转办"), f.AssignForm, services.case_assign, choices="dept"),
        Action(
            "resolve_directly",
            pgettext_lazy("console action", "直接办结"),
            f.ResolveDirectlyForm,
            kb_services.case_resolve_directly,  # the cases service, recording a kb_article if given
        ),
        Action(
            "reject",
            pgettext_lazy("console action", "不予受理"),
            f.RejectForm,
            services.case_reject,
            danger=True,
            choices="reason",
        ),
        Action("merge", pgettext_lazy("console action", "合并"), f.MergeForm, services.case_merge),
        Action("sign_for", pgettext_lazy("console action", "签收"), f.SignForForm, services.case_sign_for),
        Action("return", pgettext_lazy("console action", "退单"), f.ReturnForm, services.case_return, danger=True),
        Action("reply", pgettext_lazy("console action", "提交答复"), f.ReplyForm, services.case_reply),
        Action(
            "draft_reply",
            pgettext_lazy("console action", "保存答复草稿"),
            f.DraftReplyForm,
            services.case_save_reply_draft,
            versioned=False,
        ),
        Action("approve", pgettext_lazy("console action", "审核通过"), f.ApproveForm, services.case_approve),
        Action(
            "send_back",
            pgettext_lazy("console action", "退回重办"),
            f.SendBackForm,
            services.case_send_back,
            danger=True,
        ),
        Action("feedback", pgettext_lazy("console action", "登记回访评价"), f.FeedbackForm, services.case_feedback),
        Action("reopen", pgettext_lazy("console action", "重办"), f.ReopenForm, services.case_reopen, choices="dept"),
        Action("hold", pgettext_lazy("console action", "挂起"), f.HoldForm, services.case_hold),
        Action("resume", pgettext_lazy("console action", "恢复办理"), f.ResumeForm, services.case_resume),
        Action(
            "note", pgettext_lazy("console action", "添加备注"), f.NoteForm, services.case_add_note, versioned=False
        ),
        Action(
            "transfer",
            pgettext_lazy("console action", "移交应急"),
            f.TransferForm,
            services.case_transfer_emergency,
            danger=True,
        ),
        # Multi-tier dispatch, disputes, correction (issue 12): cases/forwarding.py.
        Action(
            "forward", pgettext_lazy("console action", "下派"), f.ForwardForm, forwarding.case_forward, choices="sub"
        ),
        Action(
            "approve_up", pgettext_lazy("console action", "审核通过并上报"), f.ApproveUpForm, forwarding.case_approve_up
        ),
        Action(
            "send_down",
            pgettext_lazy("console action", "退回下级重办"),
            f.SendDownForm,
            forwarding.case_send_down,
            danger=True,
        ),
        Action("dispute", pgettext_lazy("console action", "提出派单争议"), f.DisputeForm, forwarding.case_dispute),
        Action(
            "arbitrate",
            pgettext_lazy("console action", "裁决"),
            f.ArbitrateForm,
            forwarding.case_arbitrate,
            choices="dept",
        ),
        Action(
            "reclassify",
            pgettext_lazy("console action", "更正分类"),
            f.ReclassifyForm,
            forwarding.case_reclassify,
            choices="category",
        ),
        Action(
            "return_draft",
            pgettext_lazy("console action", "退回答复草稿"),
            f.ReturnDraftForm,
            answer_services.case_return_reply_draft,
            danger=True,
        ),
        Action(
            "assist_opinion",
            pgettext_lazy("console action", "提交协办意见"),
            f.AssistOpinionForm,
            answer_services.case_give_assist_opinion,
            versioned=False,
        ),
        Action("close", pgettext_lazy("console action", "维持答复并办结"), f.CloseDecisionForm, services.case_close),
    ]
}

# The FSM method is ``return_`` because ``return`` is a keyword; a sub-unit's return goes up one level.
_METHOD_TO_ACTION = {"return_": "return", "return_up": "return"}


def available_actions(case: Case, user: User) -> list[str]:
    """Names of the actions this user may take on this case now, in ACTIONS order.

    Pure Python over an already loaded case (with ``department``): safe to call per row in lists.
    """
    names = {_METHOD_TO_ACTION.get(t.name, t.name) for t in case.get_available_user_state_transitions(user)}
    if case.state in services.HOLDABLE and rules.may_hold(case, user):
        names.add("resume" if case.on_hold else "hold")
    if case.state == State.IN_PROGRESS and rules.is_case_department(user, case) and "reply" not in names:
        # The department's head submits replies; the clerk prepares a draft for them.
        names.add("draft_reply")
    if rules.may_reclassify(case, user):
        names.add("reclassify")
    if rules.may_review_draft(case, user):
        names.add("return_draft")
    if rules.may_give_assist_opinion(case, user):
        names.add("assist_opinion")
    names.add("note")
    return [name for name in ACTIONS if name in names]


def initial_for(action: str, case: Case) -> dict[str, Any]:
    initial: dict[str, Any] = {"version": case.version}
    if action == "assign" and case.category.default_department_id:
        initial["department"] = case.category.default_department.code
    elif action == "approve":
        initial["answer"] = case.reply_text
    elif action in {"reply", "draft_reply"}:
        initial["text"] = case.reply_draft
        initial["result"] = case.reply_result
        if case.contacted_at and answer.contacted_this_round(case):
            initial["contact_at"] = timezone.localtime(case.contacted_at).strftime("%Y-%m-%dT%H:%M")
            initial["contact_method"] = case.contact_method
        initial["linked"] = [str(i) for i in draft_attachment_ids(case)]
    return initial


def draft_attachment_ids(case: Case) -> list[int]:
    """The files the waiting draft listed: the head's reply form offers them checked."""
    if not case.reply_draft_status:
        return []
    event = case.events.filter(transition="draft_reply").order_by("-seq").only("data").first()
    return list((event.data or {}).get("attachments", [])) if event else []


def reply_form_kwargs(case: Case) -> dict[str, Any]:
    """The reply form's per-case lists: the department's files not yet sent, and the templates."""
    files = case.attachments.filter(kind=AttachmentKind.REPLY, in_reply=False).order_by("pk")
    return {
        "linked_choices": [(str(a.pk), a.original_name) for a in files],
        "template_choices": [(str(t["id"]), t["title"]) for t in answer.rendered_templates(case)],
    }


class ChoiceCache:
    """Department and reject-reason lists, read once per request however many forms use them."""

    def __init__(self) -> None:
        self._dept: list | None = None
        self._reason: list | None = None
        self._category: list | None = None
        self._sub: dict[int | None, list] = {}

    def sub_units_of(self, case: Case) -> dict[str, Any]:
        """The direct sub-units of the department holding ``case``, read once per department."""
        holder = rules.acting_department_id(case)
        if holder not in self._sub:
            self._sub[holder] = [("", "——")] + [(d.code, d.name) for d in forwarding.sub_units(holder)]
        return {"dept_choices": self._sub[holder]}

    def kwargs_for(self, action: Action) -> dict[str, Any]:
        if action.choices == "category":
            if self._category is None:
                self._category = f.category_choices()
            return {"category_list": self._category}
        if action.choices == "dept":
            if self._dept is None:
                self._dept = f.department_choices()
            return {"dept_choices": self._dept}
        if action.choices == "reason":
            if self._reason is None:
                self._reason = f.reject_reason_choices()
            return {"reason_choices": self._reason}
        return {}


def make_form(
    action: str, case: Case, *, choices: ChoiceCache, data: Any = None, files: Any = None, detail: bool = False
) -> f.ActionForm:
    """An action form for one case; ids are unique per case so many fit on one page. ``detail``:
    the case page's own form (a reply form then offers the case's files and reply templates; the
    lists keep theirs to what a row needs, at a fixed number of queries)."""
    spec = ACTIONS[action]
    kwargs = choices.sub_units_of(case) if spec.choices == "sub" else choices.kwargs_for(spec)
    if detail and issubclass(spec.form, f.ReplyForm):
        kwargs.update(reply_form_kwargs(case))
    auto_id = f"id_{case.pk}_{action}_%s"
    if data is not None:
        return spec.form(data, files, auto_id=auto_id, **kwargs)
    return spec.form(initial=initial_for(action, case), auto_id=auto_id, **kwargs)


def call_service(action: str, case: Case, form: f.ActionForm, *, actor: User, client_ip: str | None) -> Any:
    spec = ACTIONS[action]
    kwargs = form.service_kwargs()
    if spec.versioned:
        kwargs["expected_version"] = form.cleaned_data["version"]
    return spec.service(case=case, actor=actor, client_ip=client_ip, **kwargs)
