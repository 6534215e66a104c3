"""Recall and precision of the redactor (cases/redaction.py) on the annotated message sets.

    .venv/bin/python bench/redaction.py [--verbose] [set ...]

Sets: ``tuning`` (what the redactor was tuned on), ``heldout`` (hand-written and committed before
any tuning; its first scoring showed classes of misses that were then fixed through tuning lines),
``heldout2`` (hand-written after tuning was finished, committed, then scored blind). Each message in tuning/heldout carries its
personal items as character spans (``pii``) and text that must survive (``keep``).

Scoring, per item: a personal item is found when every character that must go is changed —
for a name, the characters after the surname (the surname may stay: 王某某); for an address,
its digits, letters and Chinese numerals (号/栋/单元 stay readable); otherwise every character
but spaces and separators. Precision counts the redactor's spans that touch a personal item.
A negative item is over-masked if any of its characters changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cases.redaction import find_spans, redact  # noqa: E402

SETS = {
    "tuning": ROOT / "tests/cases/publication/tuning/messages.json",
    "heldout": ROOT / "tests/cases/publication/heldout/messages.json",
    "heldout2": ROOT / "tests/cases/publication/heldout2/messages.json",
    "heldout3": ROOT / "tests/cases/publication/heldout3/messages.json",
}
SEPARATORS = set(" \u3000-－—–.·()（）+")
NUMERALS = set("一二三四五六七八九十百零〇")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒")


def required_positions(text: str, entry: dict[str, Any]) -> set[int]:
    start, end, kind = entry["start"], entry["end"], entry["kind"]
    if kind == "name":
        value = text[start:end]
        skip = next((len(c) for c in COMPOUND_SURNAMES if value.startswith(c) and len(value) > len(c)), 1)
        return set(range(start + skip, end))
    positions = set()
    for i in range(start, end):
        ch = text[i]
        if kind == "address":
            if (ch.isascii() and ch.isalnum()) or ch in NUMERALS or "０" <= ch <= "９":
                positions.add(i)
        elif kind == "email" or ch not in SEPARATORS:
            positions.add(i)
    return positions


def evaluate(path: Path, *, verbose: bool = False) -> dict[str, Any]:
    items = json.loads(path.read_text(encoding="utf-8"))
    gold, found = Counter(), Counter()
    predicted, correct = Counter(), Counter()
    keep_total = 0
    over_masked: list[tuple[str, str]] = []
    missed: list[tuple[str, str, str]] = []
    false_alarms: list[tuple[str, str, str]] = []
    for item in items:
        text = item["text"]
        out = redact(text)
        assert len(out) == len(text)
        changed = {i for i, (a, b) in enumerate(zip(text, out, strict=True)) if a != b}
        for entry in item["pii"]:
            gold[entry["kind"]] += 1
            if required_positions(text, entry) <= changed:
                found[entry["kind"]] += 1
            else:
                missed.append((entry["kind"], entry["text"], text))
        for span in find_spans(text):
            predicted[span.kind] += 1
            if any(span.start < e["end"] and e["start"] < span.end for e in item["pii"]):
                correct[span.kind] += 1
            else:
                false_alarms.append((span.kind, text[span.start : span.end], text))
        for entry in item["keep"]:
            keep_total += 1
            if any(entry["start"] <= i < entry["end"] for i in changed):
                over_masked.append((entry["text"], text))
    if verbose:
        for kind, value, text in missed:
            print(f"  MISS  {kind:9} {value!r:24} in {text}")
        for kind, value, text in false_alarms:
            print(f"  EXTRA {kind:9} {value!r:24} in {text}")
        for value, text in over_masked:
            print(f"  OVER  {value!r:34} in {text}")
    return {
        "messages": len(items),
        "items": sum(gold.values()),
        "recall": sum(found.values()) / max(1, sum(gold.values())),
        "precision": sum(correct.values()) / max(1, sum(predicted.values())),
        "recall_by_kind": {k: (found[k], gold[k]) for k in sorted(gold)},
        "precision_by_kind": {k: (correct[k], predicted[k]) for k in sorted(predicted)},
        "negatives": keep_total,
        "over_masked": over_masked,
        "missed": missed,
    }


def report(name: str, result: dict[str, Any]) -> None:
    print(
        f"{name}: {result['messages']} messages, {result['items']} personal items, "
        f"recall {result['recall']:.3f}, precision {result['precision']:.3f}, "
        f"negatives over-masked {len(result['over_masked'])}/{result['negatives']}"
    )
    for kind, (hit, total) in result["recall_by_kind"].items():
        print(f"    recall    {kind:10} {hit:3}/{total:<3} {hit / total:.3f}")
    for kind, (hit, total) in result["precision_by_kind"].items():
        print(f"    precision {kind:10} {hit:3}/{total:<3} {hit / total:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", help="tuning, heldout, heldout2 (default: all)")
    parser.add_argument("--verbose", action="store_true", help="list every miss, false alarm and over-masking")
    args = parser.parse_args()
    for name in args.sets or list(SETS):
        if name not in SETS:
            parser.error(f"unknown set {name!r}: choose from {', '.join(SETS)}")
        report(name, evaluate(SETS[name], verbose=args.verbose))


if __name__ == "__main__":
    main()
