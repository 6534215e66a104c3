"""The open audit vocabulary (``cases.audit``): who may name an action, how it is shown, and
the sla app's old names, which stored chains keep for ever."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from cases import audit, chain, services
from cases.enums import State, Transition
from cases.models import Case, CaseEvent
from cases.selectors import public_timeline
from sla.enums import LEGACY_AUDIT_ACTIONS, AuditAction
from tests.factories import make_case_in_state
from tests.web.api.api_helpers import public_client
from tests.web.console.test_console_pages import login
from tests.web.portal.test_portal import track

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
TUESDAY = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def vocabulary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations a test makes are gone after it."""
    monkeypatch.setattr(audit, "_ACTIONS", dict(audit._ACTIONS))


def append_stored(
    case: Case, transition: str, *, public: bool = False, note: str = "", data: dict[str, Any] | None = None
) -> CaseEvent:
    """An event as an older release wrote it: straight into the chain, whatever its name."""
    last = case.events.order_by("-seq").first()
    event = CaseEvent(
        case=case,
        seq=last.seq + 1,
        at=last.at + dt.timedelta(minutes=5),
        actor=None,
        actor_label="system",
        role="system",
        transition=transition,
        from_state=case.state,
        to_state=case.state,
        note=note,
        data=data or {},
        public=public,
        prev_hash=last.hash,
        hash_version=chain.KEYED,
        row_digest=chain.row_digest(Case.objects.filter(pk=case.pk).values(*chain.AUDITED_COLUMNS).get()),
    )
    event.hash = event.compute_hash()
    event.save()
    Case.objects.filter(pk=case.pk).update(audit_head_seq=event.seq, audit_head_hash=event.hash)
    return event


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    return out.getvalue()


# --- refused names ---------------------------------------------------------------------------


def test_an_event_with_an_action_nobody_registered_is_refused_and_nothing_is_written(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    before = (case.version, case.events.count())
    with (
        pytest.raises(audit.UnknownAction, match=r"'tests\.nobody\.did_this' is not registered.*register_actions"),
        services.case_action(case, actor=users["dispatcher"], action="tests.nobody.did_this") as act,
    ):
        act.case.hold_reason = "这一行也不会写入"
    case.refresh_from_db()
    assert (case.version, case.events.count(), case.hold_reason) == (*before, "")


def test_an_old_sla_name_is_refused_for_a_new_event(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    with (
        pytest.raises(audit.UnknownAction, match="legacy"),
        services.case_action(case, actor=users["supervisor"], action="extension_decided"),
    ):
        pass
    assert case.events.count() == 3


def test_names_are_dotted_lower_case_words_and_one_name_means_one_thing(vocabulary):
    for bad in ("Telephony.Call", "telephony call", "telephony..call", ".call", "x" * 65):
        with pytest.raises(ImproperlyConfigured):
            audit.register_actions({bad: "x"})
    audit.register_actions({"telephony.callback.made": "已电话回访"})
    audit.register_actions({"telephony.callback.made": "已电话回访"})  # ready() twice: harmless
    with pytest.raises(ImproperlyConfigured, match="already registered differently"):
        audit.register_actions({"telephony.callback.made": "已电话回访"}, public=True)
    with pytest.raises(ImproperlyConfigured):
        audit.register_actions({AuditAction.EXTENSION_GRANTED: "另一个意思"})


# --- another app's action, end to end ----------------------------------------------------------


def test_another_apps_dotted_action_shows_its_label_on_every_timeline(users, client, vocabulary):
    audit.register_actions({"telephony.callback.made": "已电话回访"}, public=True, public_note=True)
    case = make_case_in_state(State.IN_PROGRESS, users)
    with services.case_action(
        case, actor=users["agent"], action="telephony.callback.made", note="群众表示已收到短信。"
    ) as act:
        pass
    assert (act.event.transition, act.event.public) == ("telephony.callback.made", True)

    login(client, users["dispatcher"])
    events = client.get(reverse("console:case", args=[case.tracking_no])).context["events"]
    assert (events[-1]["label"], events[-1]["transition"], events[-1]["note"]) == (
        "已电话回访",
        "telephony.callback.made",
        "群众表示已收到短信。",
    )
    client.logout()

    page = client.get(track(client, case.tracking_no, case.access_code)["Location"]).content.decode()
    assert "<strong>已电话回访</strong>" in page and "群众表示已收到短信。" in page

    body = (
        public_client()
        .get("/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code})
        .json()
    )
    assert body["timeline"][-1] | {"at": None} == {
        "seq": act.event.seq,
        "at": None,
        "transition": "telephony.callback.made",
        "label": "已电话回访",
        "to": State.IN_PROGRESS,
        "note": "群众表示已收到短信。",
    }


def test_an_internal_action_of_another_app_stays_off_the_tracking_page(users, vocabulary):
    audit.register_actions({"telephony.recording.played": "调听录音"})
    case = make_case_in_state(State.IN_PROGRESS, users)
    with services.case_action(case, actor=users["agent"], action="telephony.recording.played"):
        pass
    assert "telephony.recording.played" not in [row["transition"] for row in public_timeline(case)]


# --- the sla app's names, old and new ----------------------------------------------------------


def test_the_cases_vocabulary_keeps_its_names_and_the_sla_app_owns_dotted_ones():
    assert not set(LEGACY_AUDIT_ACTIONS) & set(Transition.values)
    assert {"register", "assign", "reply", "approve", "hold", "note", "publish"} <= set(Transition.values)
    assert CaseEvent._meta.get_field("transition").choices is None
    assert all(a.startswith("sla.") and audit.is_registered(a) for a in AuditAction.values)
    assert sorted(AuditAction.values) == [
        "sla.citizen.urged",
        "sla.extension.granted",
        "sla.extension.refused",
        "sla.extension.requested",
        "sla.supervision.answered",
        "sla.supervision.issued",
        "sla.timer.escalated",
    ]
    with translation.override("en"):
        assert [
            str(audit.action_label(n))
            for n in ("assign", "sla.extension.granted", "sla.extension.refused", "extension_decided", "escalated")
        ] == ["Forwarded", "Extension granted", "Extension refused", "Extension decided", "Escalated"]


def test_stored_events_with_the_old_sla_names_still_verify_and_show_their_labels(users, client):
    case = make_case_in_state(State.IN_PROGRESS, users)
    append_stored(case, "extension_requested", note="需协调。", data={"extension": 1})
    append_stored(
        case,
        "extension_decided",
        public=True,
        note="办理期限延长至 2026-12-20 17:30。",
        data={"extension": 1, "granted": True},
    )
    append_stored(case, "supervision_issued", note="请加快。")
    append_stored(case, "supervision_answered", note="正在办理。")
    append_stored(case, "escalated", note="签收超期，催办。")
    services.case_add_note(case=case, actor=users["dispatcher"], note="新事件接在旧链之后")

    assert "All 1 case histories verify." in verify()
    login(client, users["admin"])
    events = client.get(reverse("console:case", args=[case.tracking_no])).context["events"]
    assert [e["label"] for e in events][3:] == ["申请延期", "延期审批", "督办", "督办回复", "超期升级", "备注"]
    admin_page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert admin_page.status_code == 200
    assert "超期升级" in admin_page.content.decode() and "escalated" in admin_page.content.decode()
    # The old grant was public, with the new deadline as its note, and still is.
    assert public_timeline(case)[-1] | {"at": None} == {
        "seq": 5,
        "at": None,
        "transition": "extension_decided",
        "label": "延期审批",
        "to": State.IN_PROGRESS,
        "note": "办理期限延长至 2026-12-20 17:30。",
    }


def test_a_stored_event_whose_action_no_app_registers_fails_verification(users):
    case = make_case_in_state(State.ASSIGNED, users)
    append_stored(case, "retired.app.thing")
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 case histories are broken."):
        call_command("verify_audit", stdout=StringIO(), stderr=err)
    assert f"BROKEN {case.tracking_no}: event seq=3" in err.getvalue()
    assert "unregistered action 'retired.app.thing'" in err.getvalue()
