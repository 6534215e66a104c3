"""Turns messages.txt (hand-written, inline-annotated) into messages.json with character spans.

``[kind|text]`` marks personal data, ``{kind|text}`` text that must survive. Run
``python tests/cases/publication/heldout/build.py [folder]`` (default: this one; the tuning set is
``tests/cases/publication/tuning``); the JSON is committed beside it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
MARK = re.compile(r"\[(?P<pk>[a-z_]+)\|(?P<pt>[^\]]+)\]|\{(?P<nk>[a-z_]+)\|(?P<nt>[^}]+)\}")


def parse(line: str) -> dict:
    text, pii, keep, pos = [], [], [], 0
    for m in MARK.finditer(line):
        text.append(line[pos : m.start()])
        start = sum(len(t) for t in text)
        value = m.group("pt") or m.group("nt")
        text.append(value)
        entry = {"start": start, "end": start + len(value), "kind": m.group("pk") or m.group("nk"), "text": value}
        (pii if m.group("pk") else keep).append(entry)
        pos = m.end()
    text.append(line[pos:])
    return {"text": "".join(text), "pii": pii, "keep": keep}


def main(folder: Path = HERE) -> None:
    lines = (folder / "messages.txt").read_text(encoding="utf-8").splitlines()
    items = [parse(line) for line in lines if line.strip() and not line.startswith("#")]
    for item in items:
        for entry in item["pii"] + item["keep"]:
            assert item["text"][entry["start"] : entry["end"]] == entry["text"]
    (folder / "messages.json").write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(len(items), "messages")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
