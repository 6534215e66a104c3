"""The redactor on hand-written messages it was not tuned on (tests/cases/publication/heldout,
heldout2), plus the number forms real letters use, and the pre-publish check.

``heldout`` was written and committed before any tuning; ``heldout2`` after tuning finished.
Both have been scored since (see bench/redaction.py for the history), so these thresholds guard
against regressions; the tuning set (tuning/) is what changes are made against.
"""

from __future__ import annotations

import pytest

from bench.redaction import SETS, evaluate
from cases.redaction import MASK, check_public_text, find_spans, redact

MIN_RECALL = 0.95


@pytest.mark.parametrize("name", ["heldout", "heldout2"])
def test_held_out_recall_is_at_least_95_percent_with_no_negative_masked(name: str) -> None:
    result = evaluate(SETS[name])
    print(f"\n{name}: recall {result['recall']:.3f}, precision {result['precision']:.3f}")
    assert result["messages"] >= (120 if name == "heldout" else 40)
    assert result["recall"] >= MIN_RECALL, result["missed"]
    assert result["precision"] >= 0.95
    # Dates, amounts, tracking numbers, street and department names: not one character masked.
    assert result["negatives"] >= 50
    assert result["over_masked"] == []


def test_held_out_set_covers_every_kind_and_hard_negative() -> None:
    result = evaluate(SETS["heldout"])
    assert set(result["recall_by_kind"]) == {
        "name",
        "phone",
        "id_no",
        "passport",
        "bank_card",
        "plate",
        "email",
        "account",
        "address",
    }


@pytest.mark.parametrize(
    "text",
    [
        "电话１３８００１３８０００",  # full-width
        "电话一三九一二三四五六七八",  # Chinese numerals
        "电话幺三八零零幺三八零零零",
        "电话138 0013 8000",
        "电话138-0013-8000",
        "电话+86 138 0013 8000",
        "座机0731-84561234",
        "座机(0731)84561234",
    ],
)
def test_phone_numbers_in_every_form_are_masked(text: str) -> None:
    out = redact(text)
    assert out[:2] == text[:2]
    assert all(ch in (MASK, " ") for ch in out[2:]), out


def test_ids_cards_passports_plates_handles_are_masked() -> None:
    assert redact("身份证430104198605190748") == "身份证" + MASK * 18  # wrong check digit
    assert redact("身份证430104198605190749") == "身份证" + MASK * 18  # right one
    assert redact("卡号6228 4800 1234 5671") == "卡号**** **** **** ****"
    assert redact("护照E12345678，护照G87654321") == "护照" + MASK * 9 + "，护照" + MASK * 9
    assert redact("车牌粤BD12345和京A12345") == "车牌" + MASK * 8 + "和" + MASK * 7
    assert redact("QQ号 12345678，微信 abc_123") == "QQ号 ********，微信 *******"


def test_every_persons_name_keeps_its_surname_only() -> None:
    assert redact("我邻居王建国和我儿子李明吵架") == "我邻居王某某和我儿子李某吵架"
    # Surname and title already read as 刘女士 style and stay.
    assert redact("社区的刘主任和王先生来了") == "社区的刘主任和王先生来了"


def test_door_level_addresses_lose_their_numbers_roads_do_not() -> None:
    assert redact("住在解放路12号3单元502室") == "住在解放路**号*单元***室"
    assert redact("住在阳光小区5栋2单元301") == "住在阳光小区*栋*单元***"
    assert redact("解放路与人民路交叉口堵车") == "解放路与人民路交叉口堵车"


def test_dates_amounts_tracking_numbers_and_streets_survive() -> None:
    text = (
        "工单2026112100042于2026-11-21登记（二〇二六年十一月），金额1200000元、¥3,800，"
        "快递SF1234567890123，乘16路到五一大道，区城管局已处理。"
    )
    assert redact(text) == text
    assert check_public_text(text) == []


def test_the_check_flags_remaining_digit_runs_after_normalising() -> None:
    text = "电话１３８ ００１３ ８０００，身份证一一〇一〇五一九四九一二三一〇〇二一，编号2026112100042"
    kinds = [(text[s.start : s.end], s.kind) for s in check_public_text(text)]
    assert kinds == [("１３８ ００１３ ８０００", "phone"), ("一一〇一〇五一九四九一二三一〇〇二一", "id_no")]
    # The case's own tracking number may be named even if it does not look like one.
    assert check_public_text("件号 9900112233", safe=["9900112233"]) == []
    assert [s.kind for s in check_public_text("件号 9900112233")] == ["number"]


def test_redacted_text_passes_the_check() -> None:
    text = "我是王建国，电话13812345678，身份证110105194912310021，卡号6228481234567890，邮箱a.b@qq.com"
    assert check_public_text(text)
    assert check_public_text(redact(text)) == []
    assert find_spans(redact(text)) == []


def test_a_third_held_out_set_written_after_tuning_keeps_recall_and_the_named_negatives() -> None:
    """heldout3 was written by someone other than the redactor's tuner, after tuning ended, and
    scored once (bench/redaction.py). Dates, amounts, tracking numbers and streets are never masked;
    a receipt number is (the pre-publish rule masks any 7+ digit run it cannot place)."""
    import json

    result = evaluate(SETS["heldout3"])
    assert result["messages"] == 30
    assert result["recall"] >= MIN_RECALL, result["missed"]
    items = json.loads(SETS["heldout3"].read_text(encoding="utf-8"))
    kept = 0
    for item in items:
        out = redact(item["text"])
        for entry in item["keep"]:
            if entry["kind"] in {"date", "amount", "tracking", "street"}:
                kept += 1
                assert out[entry["start"] : entry["end"]] == entry["text"], (entry, out)
    assert kept >= 20
