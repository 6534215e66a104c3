"""The one line every bench script prints per figure, collected by ``bench/all``:

    FIGURE<TAB>name<TAB>measured<TAB>goal<TAB>anchor<TAB>yes|NO

``measured``, ``goal`` and ``anchor`` are short human texts ("812 req/s", "≥ 0.5 × peer", "peer
664 req/s"); ``met`` says whether the goal is reached in this run."""

from __future__ import annotations

import sys


def clean(text: object) -> str:
    return " ".join(str(text).split())  # no tab or newline inside a field


def figure(name: str, measured: object, goal: object, anchor: object, met: bool) -> str:
    line = "\t".join(["FIGURE", clean(name), clean(measured), clean(goal), clean(anchor), "yes" if met else "NO"])
    print(line, flush=True)
    sys.stdout.flush()
    return line


def parse(line: str) -> dict[str, str] | None:
    """The fields of a FIGURE line, or None for any other line."""
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 6 or parts[0] != "FIGURE":
        return None
    return dict(zip(("tag", "figure", "measured", "goal", "anchor", "met"), parts, strict=True))
