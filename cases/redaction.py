"""Find and mask personal data in Chinese free text before it is published.

``find_spans`` returns what it found; ``redact`` masks it with ``*`` character for
character, so the public copy keeps the original's length and layout (and the
dispatcher can see at a glance what was hidden). It detects: mobile and landline
numbers, 18-digit ID numbers (check digit validated), e-mail addresses, bank
cards (16–19 digits, Luhn), licence plates, the citizen's own name (also as
张先生/张女士…), and street addresses down to the building (the road name stays,
the numbers go).

It is a first draft for a human: the dispatcher reviews and edits every public
copy before publishing. Precision matters too — dates, amounts, tracking numbers
and bus routes must survive, or the published answer stops making sense.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .validation import id_number_is_valid

MASK = "*"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # phone | id_no | email | bank_card | plate | name | address

    @property
    def length(self) -> int:
        return self.end - self.start


_D = r"[0-9０-９]"
_MOBILE = re.compile(
    r"(?<![0-9０-９A-Za-z])(?:(?:\+|00)?86[-\s]?)?1[3-9]" + _D + r"(?:[-\s]?" + _D + r"{4}){2}(?![0-9０-９])"
)
# A landline with its area code (010-12345678, 0755 8888 6666, (021)12345678).
_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z])[(（]?0[1-9]\d{1,2}[)）]?[-\s]?[2-9]\d{2,3}[-\s]?\d{4}(?:[-转]\d{1,5})?(?![0-9])"
)
# Without an area code only when the text says it is a phone number.
_LANDLINE_CONTEXT = re.compile(
    r"(?:电话|座机|固话|号码|致电|拨打|联系方式|tel|TEL|Tel)[:：是为\s]{0,3}([2-9]\d{6,7})(?![0-9])"
)
_ID_NO = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){15,18}(?![0-9A-Za-z])")
# Words before a long number that mark it as a reference, not a card or an ID number.
_REFERENCE_CONTEXT = re.compile(r"(?:流水号|工单号|编号|单号|订单号|运单号|快递号|合同号|案号)[:：是为\s]{0,3}$")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    r"[" + _PROVINCES + r"][A-HJ-NP-Za-hj-np-z][·•\.\s]?(?=[A-HJ-NP-Z0-9]{5,6}(?![A-Za-z0-9]))"
    r"[A-HJ-NP-Z0-9]*\d[A-HJ-NP-Z0-9]*"
)
# Address: a road/compound name, then a chain of numbered parts (12号3栋2单元501室).
_CN_NUM = r"[0-9０-９一二三四五六七八九十百零〇]+"
_ADDR_PART = r"(?:" + _CN_NUM + r"|[A-Za-z]\d*)(?:[-－—]\d+)*(?:号楼|号院|号|栋|幢|座|单元|室|房|楼|层|弄|支弄)"
_ADDR_TAIL = r"(?:[-－—]\d+)+"  # 3-501 after a building part
_ADDRESS = re.compile(
    r"(?P<road>[\u4e00-\u9fa5]{1,12}?(?:大道|大街|路|街|巷|胡同|弄|里|小区|花园|苑|家园|公寓|大厦|新村|社区|村))"
    r"(?P<tail>\s?" + _ADDR_PART + r"(?:\s?" + _ADDR_PART + r"|" + _ADDR_TAIL + r")*)"
)
# A chain like "3栋2单元501室" with no road before it still identifies a home.
_BUILDING = re.compile(
    r"(?<![0-9])(?:\d+(?:栋|幢|号楼|座))\s?(?:\d+单元)?\s?\d+(?:室|房|号)?"
    r"|(?<![0-9])\d+单元\s?\d+(?:室|房)"
)
_TITLES = ("先生", "女士", "小姐", "师傅", "阿姨", "大爷", "大妈", "大姐", "大哥", "老师", "同志", "老人", "某某", "某")
_COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "令狐",
    "端木",
)


def _surname(name: str) -> str:
    for compound in _COMPOUND_SURNAMES:
        if name.startswith(compound) and len(name) > len(compound):
            return compound
    return name[:1]


def _is_cjk(text: str) -> bool:
    return bool(text) and all("\u4e00" <= ch <= "\u9fff" for ch in text)


def _plausible_id_number(value: str) -> bool:
    """Check digit and a real birth date: many 18-digit reference numbers pass the check digit alone."""
    if not id_number_is_valid(value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _name_spans(text: str, names: Iterable[str]) -> list[Span]:
    spans: list[Span] = []
    for raw in names:
        name = (raw or "").strip()
        if not name:
            continue
        spans += [Span(m.start(), m.end(), "name") for m in re.finditer(re.escape(name), text)]
        if _is_cjk(name) and len(name) >= 2:
            surname = _surname(name)
            # 张先生 / 张女士: mask the surname, keep the courtesy title readable.
            pattern = re.escape(surname) + r"(?=" + "|".join(_TITLES) + r")"
            spans += [Span(m.start(), m.end(), "name") for m in re.finditer(pattern, text)]
    return spans


def find_spans(text: str, *, names: Iterable[str] = ()) -> list[Span]:
    """Every personal-data span in ``text``, sorted, non-overlapping (longest wins)."""
    if not text:
        return []
    found: list[Span] = []
    for m in _EMAIL.finditer(text):
        found.append(Span(m.start(), m.end(), "email"))
    for m in _ID_NO.finditer(text):
        if _plausible_id_number(m.group(1)) and not _REFERENCE_CONTEXT.search(text[max(0, m.start() - 8) : m.start()]):
            found.append(Span(m.start(1), m.end(1), "id_no"))
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if (
            16 <= len(digits) <= 19
            and _luhn_ok(digits)
            and not _REFERENCE_CONTEXT.search(text[max(0, m.start() - 8) : m.start()])
        ):
            found.append(Span(m.start(), m.end(), "bank_card"))
    for m in _MOBILE.finditer(text):
        found.append(Span(m.start(), m.end(), "phone"))
    for m in _LANDLINE.finditer(text):
        found.append(Span(m.start(), m.end(), "phone"))
    for m in _LANDLINE_CONTEXT.finditer(text):
        found.append(Span(m.start(1), m.end(1), "phone"))
    for m in _PLATE.finditer(text):
        found.append(Span(m.start(), m.end(), "plate"))
    for m in _ADDRESS.finditer(text):
        found.append(Span(m.start("tail"), m.end("tail"), "address"))
    for m in _BUILDING.finditer(text):
        found.append(Span(m.start(), m.end(), "address"))
    found += _name_spans(text, names)
    # Resolve overlaps: earliest start first, the longer span wins a tie.
    found.sort(key=lambda s: (s.start, -s.length))
    result: list[Span] = []
    for span in found:
        if result and span.start < result[-1].end:
            if span.end > result[-1].end and span.kind == result[-1].kind:
                result[-1] = Span(result[-1].start, span.end, span.kind)
            continue
        result.append(span)
    return result


def _mask(segment: str, kind: str) -> str:
    if kind == "address":
        # Keep 号/栋/单元/室 so the text still reads as an address; hide the numbers.
        return "".join(
            MASK if ch.isalnum() and not ("\u4e00" <= ch <= "\u9fff" and ch not in "一二三四五六七八九十百零〇") else ch
            for ch in segment
        )
    return "".join(ch if ch.isspace() else MASK for ch in segment)


def redact(text: str, *, names: Iterable[str] = ()) -> str:
    """``text`` with every personal-data span masked; same length as the input."""
    if not text:
        return text or ""
    out: list[str] = []
    pos = 0
    for span in find_spans(text, names=names):
        out.append(text[pos : span.start])
        out.append(_mask(text[span.start : span.end], span.kind))
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def leaks(text: str, *, secrets: Iterable[str]) -> list[str]:
    """Which of the given exact values (the citizen's phone, ID number, e-mail) still appear in ``text``."""
    low = (text or "").lower()
    compact = re.sub(r"[\s\-]", "", low)
    return [s for s in secrets if s and (s.lower() in low or s.lower() in compact)]
