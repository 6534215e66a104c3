"""Registering a case: tracking numbers, access codes, and the checks on what is entered."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.utils import translation

from cases import services
from cases.enums import Channel, ReplyChannel, State
from cases.exceptions import CasePermissionDenied, CaseValidationError
from cases.models import ACCESS_CODE_ALPHABET, Case, DailySequence
from tests.factories import CaseFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _chinese():
    # The messages are asserted in the source language; an earlier request may have left English active.
    with translation.override("zh-hans"):
        yield


def register(actor=None, **overrides):
    citizen = overrides.pop("citizen", services.Citizen(name="张三", phone="13800138000"))
    fields = {
        "channel": Channel.HOTLINE,
        "kind": "help",
        "category": "CITY-ROAD",
        "title": "路灯不亮",
        "content": "幸福路12号门口路灯已坏三天。",
        "location": "幸福路12号",
    }
    fields.update(overrides)
    return services.case_register(actor=actor, citizen=citizen, **fields)


# --- tracking numbers and access codes ----------------------------------------------------


@pytest.mark.django_db
def test_tracking_no_is_the_local_date_and_a_five_digit_sequence(users, time_machine):
    # 07:30 in Shanghai on the 23rd is still the 22nd in UTC: the number carries the local date.
    time_machine.move_to(datetime(2026, 11, 23, 7, 30, tzinfo=SHANGHAI), tick=False)
    first = register(users["agent"])
    second = register(users["agent"])
    assert re.fullmatch(r"20261123\d{5}", first.tracking_no)
    assert int(second.tracking_no[8:]) == int(first.tracking_no[8:]) + 1


@pytest.mark.django_db
def test_the_sequence_starts_again_on_each_local_day(org):
    with transaction.atomic():
        # 23:59 in Shanghai is still the 21st; 00:01 is the 22nd although UTC is still the 21st
        late = services.next_tracking_no(datetime(2026, 11, 21, 23, 59, tzinfo=SHANGHAI))
        later = services.next_tracking_no(datetime(2026, 11, 21, 23, 59, 30, tzinfo=SHANGHAI))
        early = services.next_tracking_no(datetime(2026, 11, 22, 0, 1, tzinfo=SHANGHAI))
    assert (late, later, early) == ("2026112100001", "2026112100002", "2026112200001")
    if connection.vendor == "sqlite":  # PostgreSQL counts with a sequence per day (cases.tracking_sequences)
        assert DailySequence.objects.get(day="2026-11-21").value == 2


@pytest.mark.django_db
def test_access_code_is_six_characters_from_the_unambiguous_alphabet(users):
    codes = [register(users["agent"]).access_code for _ in range(30)]
    for code in codes:
        assert len(code) == 6
        assert set(code) <= set(ACCESS_CODE_ALPHABET)
    assert not set("".join(codes)) & set("01OIL")
    assert len(set(codes)) == len(codes)


@pytest.mark.django_db
def test_registration_starts_the_history_and_records_the_registrant(users):
    case = register(users["agent"])
    assert case.state == State.REGISTERED
    assert case.version == 1
    assert case.registered_by == users["agent"]
    event = case.events.get()
    assert (event.seq, event.transition, event.from_state, event.to_state, event.actor, event.data) == (
        1,
        "register",
        "",
        "registered",
        users["agent"],
        {"channel": "hotline"},
    )


@pytest.mark.django_db
def test_a_citizen_registers_without_an_account(org):
    case = register(None, channel=Channel.WEB, client_ip="203.0.113.9")
    event = case.events.get()
    assert (event.actor, event.actor_label, event.role, event.client_ip) == (None, "citizen", "citizen", "203.0.113.9")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "dispatcher", "clerk_cgj", "head_cgj", "admin"])
def test_intake_roles_and_department_clerks_may_register(users, role):
    assert register(users[role], channel=Channel.LETTER).state == State.REGISTERED


@pytest.mark.django_db
def test_a_supervisor_may_not_register(users):
    with pytest.raises(CasePermissionDenied):
        register(users["supervisor"])
    assert not Case.objects.exists()


# --- what is entered ------------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_details_are_normalised(users):
    case = register(
        users["agent"],
        title="  路灯不亮  ",
        citizen=services.Citizen(name=" 张三 ", phone="+86 138-0013-8000", id_no="11010519491231002x"),
    )
    assert (case.title, case.citizen_name, case.citizen_phone, case.citizen_id_no) == (
        "路灯不亮",
        "张三",
        "13800138000",
        "11010519491231002X",
    )
    assert case.reply_channel == ReplyChannel.SMS
    landline = register(users["agent"], citizen=services.Citizen(phone="(010) 1234-5678"))
    assert landline.citizen_phone == "01012345678"


@pytest.mark.django_db
def test_a_web_message_with_only_an_email_is_answered_by_email(users):
    case = register(users["agent"], channel=Channel.WEB, citizen=services.Citizen(name="李四", email="li@example.com"))
    assert (case.citizen_phone, case.reply_channel) == ("", ReplyChannel.EMAIL)


BAD_FIELDS = [
    ({"channel": "pigeon"}, "channel", "未知的渠道：pigeon"),
    ({"kind": "rant"}, "kind", "未知的诉求类型：rant"),
    ({"priority": "later"}, "priority", "未知的紧急程度：later"),
    ({"reply_channel": "fax"}, "reply_channel", "未知的答复方式：fax"),
    ({"category": "NOPE"}, "category", "未知的业务分类：NOPE"),
    ({"category": ""}, "category", "未知的业务分类：—"),
    ({"title": "   "}, "title", "请填写标题。"),
    ({"title": "标" * 201}, "title", "标题不能超过200个字符（现有201个）。"),
    ({"content": ""}, "content", "请填写诉求内容。"),
    ({"content": "长" * 5001}, "content", "诉求内容不能超过5000个字符（现有5001个）。"),
    ({"location": "地" * 301}, "location", "地点不能超过300个字符（现有301个）。"),
    (
        {"citizen": services.Citizen(name="名" * 101, phone="13800138000")},
        "citizen.name",
        "姓名不能超过100个字符（现有101个）。",
    ),
    ({"citizen": services.Citizen(name="张三")}, "citizen.phone", "请填写联系电话。"),
    (
        {"citizen": services.Citizen(name="张三", phone="12345")},
        "citizen.phone",
        "电话号码格式不正确：应为11位手机号或带区号的固定电话。",
    ),
    (
        {"citizen": services.Citizen(name="张三", phone="23800138000")},
        "citizen.phone",
        "电话号码格式不正确：应为11位手机号或带区号的固定电话。",
    ),
    (
        {"citizen": services.Citizen(name="张三", phone="13800138000", id_no="110105194912310021")},
        "citizen.id_no",
        "身份证号码无效：应为18位且校验位正确。",
    ),
    (
        {"citizen": services.Citizen(name="张三", phone="13800138000", email="no-at-sign")},
        "citizen.email",
        "电子邮箱格式不正确。",
    ),
    (
        {"channel": Channel.WEB, "citizen": services.Citizen(name="张三")},
        "citizen.phone",
        "请填写联系电话，以便答复与回访。",
    ),
    (
        {
            "channel": Channel.WEB,
            "reply_channel": "email",
            "citizen": services.Citizen(name="张三", phone="13800138000"),
        },
        "citizen.email",
        "选择邮件答复时请填写电子邮箱。",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field", "message"), BAD_FIELDS)
def test_each_bad_field_gets_its_own_message(users, change, field, message):
    with pytest.raises(CaseValidationError) as exc:
        register(users["agent"], **change)
    assert exc.value.fields[field] == [message]
    assert not Case.objects.exists()
    assert not DailySequence.objects.exists()  # nothing is consumed by a refused registration


@pytest.mark.django_db
def test_all_bad_fields_are_reported_together(users):
    with pytest.raises(CaseValidationError) as exc:
        register(users["agent"], channel="x", kind="y", title="", citizen=services.Citizen(phone="1"))
    assert set(exc.value.fields) == {"channel", "kind", "title", "citizen.phone"}
    assert exc.value.message == exc.value.fields["channel"][0]


@pytest.mark.django_db
def test_factory_cases_are_registered_through_the_service(users):
    case = CaseFactory(actor=users["agent"])
    assert case.events.get().transition == "register"


# --- many at once (PostgreSQL: real connections and row locks) -------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_unique_consecutive_tracking_numbers(org):
    threads_n, per_thread = 5, 10
    barrier = threading.Barrier(threads_n)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                case = register(None, channel=Channel.WEB, title=f"并发登记 {n}-{i}")
                with lock:
                    numbers.append(case.tracking_no)
        except BaseException as exc:  # noqa: BLE001 — re-raised in the main thread below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = threads_n * per_thread
    assert len(numbers) == len(set(numbers)) == total
    by_day: dict[str, list[int]] = {}
    for no in numbers:  # (one day, unless the run straddles local midnight)
        by_day.setdefault(no[:8], []).append(int(no[8:]))
    for seqs in by_day.values():
        # No repeats, and no gaps when no registration failed. On PostgreSQL the day's count may
        # start past 1: its sequence (cases.tracking_sequences) outlives a transactional test's flush.
        first = min(seqs) if connection.vendor == "postgresql" else 1
        assert sorted(seqs) == list(range(first, first + len(seqs)))
    assert Case.objects.count() == total
