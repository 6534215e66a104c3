"""What a staff member may do to a case now, and the form + service behind each action.

The console never decides whether an action is allowed: it offers what the state machine's
permission callables allow (``get_available_user_state_transitions``), and the service
decides again, under the row lock, when the form is posted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import pgettext_lazy

from cases import rules, services
from cases.enums import State
from cases.models import Case, User

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
            services.case_resolve_directly,
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
        Action("close", pgettext_lazy("console action", "维持答复并办结"), f.CloseDecisionForm, services.case_close),
    ]
}

# The FSM method is ``return_`` because ``return`` is a keyword.
_METHOD_TO_ACTION = {"return_": "return"}


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
    return initial


class ChoiceCache:
    """Department and reject-reason lists, read once per request however many forms use them."""

    def __init__(self) -> None:
        self._dept: list | None = None
        self._reason: list | None = None

    def kwargs_for(self, action: Action) -> dict[str, Any]:
        if action.choices == "dept":
            if self._dept is None:
                self._dept = f.department_choices()
            return {"dept_choices": self._dept}
        if action.choices == "reason":
            if self._reason is None:
                self._reason = f.reject_reason_choices()
            return {"reason_choices": self._reason}
        return {}


def make_form(action: str, case: Case, *, choices: ChoiceCache, data: Any = None, files: Any = None) -> f.ActionForm:
    """An action form for one case; ids are unique per case so many fit on one page."""
    spec = ACTIONS[action]
    kwargs = choices.kwargs_for(spec)
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
