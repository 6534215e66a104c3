"""Redaction: recall and precision on a corpus of realistic messages, plus the sharp edges."""

from __future__ import annotations

import json
from pathlib import Path

from cases.redaction import MASK, find_spans, leaks, redact

CORPUS = Path(__file__).with_name("redaction_corpus.json")
CJK_NUMERALS = set("一二三四五六七八九十百零〇")
COMPOUND_SURNAMES = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙"}

# The old corpus (templated, 130 messages) was annotated under the old policy: an 18-digit ID
# with a wrong check digit and the names of people other than the citizen were "not personal".
# Both are masked now (issue 10), which is what its precision figure counts against us; recall is
# scored with the surname allowed to stay (王某某). The new hand-written sets are in
# test_redaction_heldout.py. A change that lowers these fails the test.
MIN_RECALL = 0.994
MIN_PRECISION = 0.84


def _sensitive_positions(item: dict) -> set[int]:
    """Character positions that must be hidden, from the corpus annotations."""
    text = item["text"]
    positions: set[int] = set()
    for entry in item["pii"]:
        secret = entry.get("secret", entry["text"])
        start = text.find(entry["text"])
        assert start >= 0, (entry, text)
        while start >= 0:
            offset = start + entry["text"].find(secret)
            first = offset
            if entry["kind"] == "name":
                # The surname may stay (王某某, 刘先生): only the given name must go.
                first = offset + (2 if secret[:2] in COMPOUND_SURNAMES else 1)
            for i in range(first, offset + len(secret)):
                ch = text[i]
                if ch.isspace():
                    continue
                if entry["kind"] == "address" and not (ch.isascii() and ch.isalnum() or ch in CJK_NUMERALS):
                    continue  # 号/栋/单元/室 stay readable by design
                positions.add(i)
            start = text.find(entry["text"], start + 1)
    return positions


def evaluate(verbose: bool = False) -> dict[str, float]:
    items = json.loads(CORPUS.read_text(encoding="utf-8"))
    hit = masked_total = sensitive_total = 0
    for item in items:
        text = item["text"]
        out = redact(text, names=item["names"])
        assert len(out) == len(text)
        masked = {i for i, (a, b) in enumerate(zip(text, out, strict=True)) if a != b}
        sensitive = _sensitive_positions(item)
        hit += len(masked & sensitive)
        masked_total += len(masked)
        sensitive_total += len(sensitive)
        if verbose and masked != sensitive:
            print("MISS" if sensitive - masked else "EXTRA", text, "\n   ->", out)
    return {
        "messages": len(items),
        "recall": hit / sensitive_total,
        "precision": hit / masked_total,
    }


def test_corpus_has_over_a_hundred_messages_with_personal_data_and_hard_negatives() -> None:
    items = json.loads(CORPUS.read_text(encoding="utf-8"))
    assert len(items) >= 130
    kinds = {e["kind"] for item in items for e in item["pii"]}
    assert kinds == {"name", "phone", "id_no", "email", "bank_card", "plate", "address"}
    assert sum(1 for item in items if not item["pii"]) >= 10


def test_redaction_recall_and_precision_stay_at_their_measured_level() -> None:
    result = evaluate()
    print(
        f"\nredaction corpus: {result['messages']} messages, "
        f"recall {result['recall']:.4f}, precision {result['precision']:.4f}"
    )
    assert result["recall"] >= MIN_RECALL
    assert result["precision"] >= MIN_PRECISION


def test_tracking_numbers_dates_amounts_and_bus_routes_survive() -> None:
    text = "工单2026112100042于2026年11月21日登记，涉及金额3000元，乘坐16路公交，拨打12345。"
    assert redact(text, names=["张三"]) == text


def test_phone_like_tracking_number_is_not_a_phone_or_card() -> None:
    assert find_spans("流水号2026112100042") == []
    assert find_spans("订单号6221390011223344558") == []  # Luhn-valid, but labelled as an order number


def test_id_number_is_masked_whether_or_not_its_check_digit_is_right() -> None:
    assert redact("身份证11010519491231002X") == "身份证" + MASK * 18
    # A mistyped ID number is still somebody's (it reached the public board once).
    assert redact("身份证110105194912310021") == "身份证" + MASK * 18
    assert redact("老身份证110105491231002") == "老身份证" + MASK * 15


def test_address_keeps_the_road_name_and_hides_the_numbers() -> None:
    assert redact("住在幸福路12号3栋2单元501室") == "住在幸福路**号*栋*单元***室"


def test_citizen_name_keeps_its_surname_and_courtesy_forms_stay_but_not_words_with_the_same_character() -> None:
    assert (
        redact("张三说张先生和张女士都很紧张，张贴了通知。", names=["张三"])
        == "张某说张先生和张女士都很紧张，张贴了通知。"
    )


def test_licence_plates_including_new_energy() -> None:
    assert redact("粤B12345和京A·D12345") == "*******和*********"


def test_bank_card_is_masked_whether_or_not_it_passes_luhn() -> None:
    assert redact("卡号6217000010001234569") == "卡号" + MASK * 19
    assert redact("卡号6217000010001234567") == "卡号" + MASK * 19


def test_leaks_finds_a_citizens_phone_even_with_separators() -> None:
    assert leaks("电话138-0013-8000", secrets=["13800138000", ""]) == ["13800138000"]
    assert leaks("无", secrets=["13800138000"]) == []


def test_odd_input_never_errors() -> None:
    for text in ["", "*", "\x00\u200b", "𠀀" * 50, "1" * 500, "@" * 30, "路" * 40 + "1号"]:
        assert len(redact(text, names=["", "A", "张"])) == len(text)
