"""Find and mask personal data in Chinese free text before it is published.

``find_spans`` returns what it found; ``redact`` masks it character for character, so
the public copy keeps the original's length and layout (and the dispatcher can see at a
glance what was hidden). Numbers are read after normalising full-width digits, Chinese
numerals (一三九…, 幺三八…) and the spaces, dashes and dots people put inside them, then
classified by length and the words before them:

- phones: mobiles (11 digits from 13–19, with or without +86), landlines with an area code,
  7–8 digits when the text says it is a phone;
- ID numbers: 18 digits (or 17 and X) with a birth date, whether or not the check digit is
  right — a mistyped ID number is still somebody's — and the old 15-digit ones;
- bank cards: 16–19 digits, whether or not they pass Luhn;
- any other run of 7 or more digits, unless it is a date, an amount, a tracking number
  (2026112100042) or labelled as a reference (工单号, 订单号, 编号…);
- passports, licence plates (new-energy ones too), e-mail, QQ and WeChat ids;
- door-level addresses (the road stays, the numbers go: 幸福路**号*栋*单元***室);
- every person's name — the citizen's, relatives', neighbours', officials' — found by
  jieba's part-of-speech tags (``nr``) and by the words around names (我邻居…, …主任,
  我叫…). A name keeps its surname and the rest becomes 某 (王建国 → 王某某, 张伟 →
  张某); 王先生 or 刘主任 already reads that way and stays.

It is a first draft for a human: the dispatcher reviews and edits every public copy, and
``check_public_text`` is the last guard before publishing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import jieba
from stdnum.cn import ric

MASK = "*"
NAME_MASK = "某"

jieba.setLogLevel(logging.WARNING)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # phone | id_no | bank_card | number | passport | plate | email | account | address | name

    @property
    def length(self) -> int:
        return self.end - self.start


# --- numbers -------------------------------------------------------------------------

_FULL_WIDTH = {chr(0xFF10 + i): str(i) for i in range(10)}
_CN_DIGITS = {
    "零": "0",
    "〇": "0",
    "○": "0",
    "洞": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
# Chinese numerals read as digits only in a run this long (a phone, not 三组 or 二〇二六年).
_CN_RUN = re.compile("[" + "".join(_CN_DIGITS) + "]{7,}")
# Inside a number people write one space, dash or dot between groups: 138 0013 8000, 0731—8444.
_SEPARATORS = " \u3000-－—–.·"
_RUN = re.compile(
    r"(?:[(（]0\d{2,3}[)）]\s?)?(?:\+|00)?\d(?:[" + re.escape(_SEPARATORS) + r"]?\d)*(?:[Xx](?![A-Za-z0-9]))?"
)
_GROUP_SEP = re.compile(r"[" + re.escape(_SEPARATORS) + r"]")

# Words just before a long number that mark it as a reference, not a person's number.
_REFERENCE_BEFORE = re.compile(
    r"(?:流水号|工单|工单号|编号|单号|订单|订单号|运单|运单号|快递|快递号|合同号|案号|回执|受理号|受理编号|"
    r"户号|申请号|住院号|门诊号|发票号|批次|车次|航班|票号|序列号|条码|追溯码|代码|信用代码|车架号|发动机号)"
    r"(?:号码|号)?[:：是为\s]{0,3}$"
)
_PHONE_BEFORE = re.compile(
    r"(?:电话|手机|座机|固话|号码|致电|拨打|联系方式|联系|热线|tel|TEL|Tel|分机)(?:号码|号)?[:：是为\s]{0,3}$"
)
_QQ_BEFORE = re.compile(r"(?:QQ|qq|Qq|扣扣)(?:号码|号)?[:：是为\s]{0,3}$")
_AMOUNT_AFTER = re.compile(
    r"^\s?(?:元|块|万|亿|角|人民币|美元|平方|平米|米|公里|千米|吨|斤|公斤|克|度|人次|次|个|人|户|份|件|台|辆)"
)
_AMOUNT_BEFORE = re.compile(r"[¥￥$]\s?$")
_CODE_BEFORE = re.compile(r"[A-Za-z][\s\-]?$")  # SF1234567890123, GB 50016-2014: codes, not people
_EXTENSION = re.compile(r"(?:转|-|ext\.?|分机)\s?\d{1,5}(?!\d)")
_TRACKING = re.compile(r"20\d{6}\d{5}")  # yyyymmdd + serial: the hotline's own tracking numbers


def normalise_digits(text: str) -> str:
    """``text`` with full-width digits and runs of Chinese numerals as ASCII digits; same length."""
    out = [_FULL_WIDTH.get(ch, ch) for ch in text]
    for m in _CN_RUN.finditer(text):
        for i in range(m.start(), m.end()):
            out[i] = _CN_DIGITS[text[i]]
    return "".join(out)


def _valid_date(digits: str) -> bool:
    try:
        day = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return 1900 <= day.year <= 2100


def _is_date_run(raw: str, digits: str) -> bool:
    """2026-11-21, 2026.11.20, 20261121."""
    groups = [g for g in _GROUP_SEP.split(raw) if g]
    if len(groups) == 3 and len(groups[0]) == 4 and all(1 <= len(g) <= 2 for g in groups[1:]):
        return _valid_date(groups[0] + groups[1].zfill(2) + groups[2].zfill(2))
    return len(digits) == 8 and _valid_date(digits)


def _birth_date_plausible(value: str) -> bool:
    born = value[6:14] if len(value) == 18 else "19" + value[6:12]
    return _valid_date(born) and 1900 <= int(born[:4]) <= 2030


def _classify(raw: str, before: str, after: str) -> str | None:
    """What a run of digits is: a personal kind, or None for what may be published."""
    digits = re.sub(r"[^0-9Xx+]", "", raw).lstrip("+")
    if raw.startswith(("+86", "0086")) and len(digits) > 11:
        digits = digits[-11:] if raw.startswith("+86") else digits[4:]
    core = digits.upper()
    plain = core.rstrip("X")
    if _REFERENCE_BEFORE.search(before):
        return None
    if _QQ_BEFORE.search(before) and 5 <= len(plain) <= 11 and core == plain:
        return "account"
    if _AMOUNT_BEFORE.search(before) or (len(plain) < 16 and _AMOUNT_AFTER.match(after)):
        return None
    if core != plain:  # trailing X: only an ID number ends so
        return "id_no" if len(core) == 18 else None
    n = len(plain)
    if n == 11 and re.fullmatch(r"1[3-9]\d{9}", plain):
        return "phone"
    if n == 13 and plain.startswith("86") and plain[2] == "1":
        return "phone"
    if _is_date_run(raw, plain):
        return None
    if n == 13 and _TRACKING.fullmatch(plain) and _valid_date(plain[:8]):
        return None
    if plain.startswith("0") and 10 <= n <= 12 and plain[1] != "0":
        return "phone"
    if n in (7, 8) and _PHONE_BEFORE.search(before):
        return "phone"
    if n == 18 and (ric.is_valid(plain) or _birth_date_plausible(plain)):
        return "id_no"
    if n == 15 and _birth_date_plausible(plain):
        return "id_no"
    if 16 <= n <= 19:
        return "bank_card"  # Luhn or not: a mistyped card number is still a card number
    if n >= 7:
        return "number"
    return None


def _number_spans(text: str, norm: str) -> list[Span]:
    spans: list[Span] = []
    for m in _RUN.finditer(norm):
        start, end = m.start(), m.end()
        before = text[max(0, start - 12) : start]
        if _CODE_BEFORE.search(norm, max(0, start - 2), start) and not _QQ_BEFORE.search(before):
            continue  # part of a code (SF1234567890123, E12345678, K301): passports are found apart
        raw = m.group()
        # Strip separators the run swallowed at its ends.
        while raw and raw[-1] in _SEPARATORS:
            raw, end = raw[:-1], end - 1
        after = text[end : end + 4]
        kind = _classify(raw, before, after)
        if kind is None and _GROUP_SEP.search(raw):
            # Two numbers written side by side (电话13812345678 15873101234): classify each.
            pos = start
            for group in _GROUP_SEP.split(raw):
                g_start = norm.find(group, pos)
                g_end = g_start + len(group)
                pos = g_end
                g_kind = _classify(group, text[max(0, g_start - 12) : g_start], text[g_end : g_end + 4])
                if g_kind and len(group) >= 7:
                    spans.append(Span(g_start, g_end, g_kind))
            continue
        if kind == "phone":
            ext = _EXTENSION.match(norm, end)
            end = ext.end() if ext else end
        if kind:
            spans.append(Span(start, end, kind))
    return spans


def digit_runs(text: str) -> list[tuple[int, int, str | None]]:
    """Every run of 7+ digits (after normalising) with what it is (None: safe to publish)."""
    norm = normalise_digits(text or "")
    runs = []
    for m in _RUN.finditer(norm):
        raw = m.group().rstrip(_SEPARATORS)
        if len(re.sub(r"\D", "", raw)) < 7:
            continue
        start, end = m.start(), m.start() + len(raw)
        if _CODE_BEFORE.search(norm, max(0, start - 2), start):
            kind = "passport" if start and _PASSPORT.match(norm, start - 1) else None
        else:
            kind = _classify(raw, text[max(0, start - 12) : start], text[end : end + 4])
        runs.append((start, end, kind))
    return runs


# --- codes and handles ----------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Passports (E/G + 8 digits, EA + 7), travel permits to Hong Kong, Macao, Taiwan (C, H, M, K…).
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])(?:[EGDSPHCMKT]\d{8}|E[A-Z]\d{7})(?![A-Za-z0-9])")
_WECHAT = re.compile(
    r"(?:微信|微信号|vx|VX|Vx|wx|WX|weixin)(?:号码|号|id|ID)?[:：是为\s]{0,3}(?P<id>[A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])"
)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    r"[" + _PROVINCES + r"][A-HJ-NP-Za-hj-np-z][·•\.\s]?(?=[A-HJ-NP-Z0-9]{5,6}(?![A-Za-z0-9]))"
    r"[A-HJ-NP-Z0-9]*\d[A-HJ-NP-Z0-9]*"
)

# --- addresses ------------------------------------------------------------------------

_CN_NUM = r"[0-9０-９一二三四五六七八九十百零〇]+"
_UNIT = r"(?:号楼|号院|号|栋|幢|座|单元|室|房|楼|层|弄|支弄|门|组|期|区|排)"
_ADDR_PART = r"(?:" + _CN_NUM + r"|[A-Za-z]\d*)(?:[-－—]\d+)*" + _UNIT
_ADDR_TAIL = r"(?:[-－—][0-9０-９]+)+"  # 3-501 after a building part
_ROOM = r"(?:[0-9０-９]{3,4}(?![0-9０-９号]))"  # 2单元301: the room without 室
_ADDRESS = re.compile(
    r"(?P<road>[\u4e00-\u9fa5]{1,12}?(?:大道|大街|路|街|巷|胡同|弄|里|小区|花园|苑|家园|公寓|大厦|新村|社区|村|城|广场|园|庭|湾|居|阁|国际))"
    r"(?P<tail>\s?(?:" + _ADDR_PART + r"(?:\s?" + _ADDR_PART + r"|" + _ADDR_TAIL + r")*(?:\s?" + _ROOM + r")?"
    r"|[0-9０-９]{1,3}(?:[-－—][0-9０-９]{1,4}){1,2}(?![0-9０-９])))"
)
# A chain like "3栋2单元501室" with no road before it still identifies a home.
_BUILDING = re.compile(
    r"(?<![0-9])[0-9]+(?:栋|幢|号楼|座)\s?(?:[0-9]+单元)?\s?[0-9]+(?:室|房|号)?"
    r"|(?<![0-9])[0-9]+(?:栋|幢|号楼|座)\s?[0-9]+单元"
    r"|(?<![0-9])[0-9]+单元\s?[0-9]+(?:室|房)?"
)

# --- names ----------------------------------------------------------------------------

# The common surnames; a name candidate must start with one. Left out: rare ones that begin everyday
# words jieba mistakes for names (麻将馆, 和平, 时间, 明天, 车主, 路面…).
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂成苗谷盛曲翁冉骆蓝"
    "游辛靳管柴蒙鲍华喻祁蒲房滕屈饶牟艾尤阳穆司卓吉缪项芦麦褚娄窦戚岑费卜晏卫柏宗瞿桂"
    "佟臧闵苟邬卞姬仇栾隋刁荣巫寇桑郎甄丛仲虞敖巩佘邝井奚蔺靖计伏咸籍茅郁厉阎楚帅"
)
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
    "西门",
    "南宫",
)
# Words that name a person's role or relation; a name often follows them (我邻居王建国, 包工头马国强).
_BEFORE_NAME = (
    "邻居|儿子|女儿|老公|丈夫|老婆|妻子|爱人|父亲|母亲|爸爸|老爸|我爸|我妈|妈妈|老妈|爷爷|奶奶|外公|外婆|姥姥|姥爷|"
    "哥哥|我哥|姐姐|我姐|弟弟|我弟|妹妹|我妹|公公|婆婆|岳父|岳母|老伴|孩子|孙子|孙女|侄子|外甥|同事|同学|朋友|"
    "房东|租客|业主|住户|老板|经理|主任|书记|民警|警官|医生|护士|老师|班主任|校长|司机|师傅|包工头|工头|网格员|"
    "志愿者|居民|市民|村民|联系人|来电人|投诉人|反映人|当事人|车主|店主|摊主|老板娘|负责人|工作人员|接线员|"
    "快递员|外卖员|执法人员|人员|楼下的|楼上的|隔壁的|对门的|"
    "队长|科长|局长|所长|站长|组长|社长|村长|管家|保安|客服|律师|法官|代表|委员|专员|干部|姓名|署名|落款|本人"
)
_BEFORE_NAME_RE = re.compile(r"(?:" + _BEFORE_NAME + r")[:：\s]{0,2}$")
_SELF_RE = re.compile(r"(?:我叫|我是|名叫|叫做|名字叫|她叫|他叫|叫)$")
_AFTER_NAME = re.compile(
    r"^(?:先生|女士|小姐|同志|老师|师傅|阿姨|叔叔|大爷|大妈|大姐|大哥|主任|书记|经理|队长|科长|局长|所长|站长|"
    r"医生|护士|警官|律师|老人|家|夫妇|等人|本人|说|称|反映|来电|投诉)"
)
# Words jieba tags ``nr`` that are not names in these letters.
_NOT_NAMES = {
    "谢谢",
    "许可",
    "许可证",
    "井盖",
    "井口",
    "计划",
    "计算",
    "郁闷",
    "楚楚",
    "阳光",
    "老公",
    "老婆",
    "高峰",
    "文明",
    "金额",
    "周末",
    "周边",
    "向东",
    "于是",
    "万元",
    "常年",
    "时间",
    "安全",
    "江边",
    "石头",
    "明年",
    "明天",
    "关于",
    "高速",
    "高架",
    "温度",
    "白天",
    "黄色",
    "任何",
    "管理",
    "成都",
    "林地",
    "路灯",
    "路口",
    "路面",
    "何时",
    "应当",
    "全部",
    "全家",
    "单位",
    "司机",
    "司法",
    "东方",
    "华侨",
    "冯某",
    "张某",
}
_TITLE_ONLY = re.compile(
    r"^(?:某+|先生|女士|小姐|同志|老师|师傅|阿姨|叔叔|大爷|大妈|大姐|大哥|主任|书记|经理|队长|科长|局长|所长|站长|"
    r"医生|护士|警官|律师|老板|总|工|姐|哥|叔|伯|婶|嫂|老|爷|奶)$"
)


_BEFORE_NAME_AT = re.compile(r"(?:" + _BEFORE_NAME + r")[:：\s]{0,2}")
_SELF_AT = re.compile(r"(?:我叫|我是|名叫|名字叫|本人|她叫|他叫)[:：\s]{0,2}")
# What may follow a name: punctuation, a space, a function word, a title.
_FUNCTION_CHARS = set("在的了是和与及说被把给对向从跟也都就还又要会能让叫住家等这那今昨已帮到去来打拿称")
# A place, not a person, when these follow (岳麓大道, 黄河路, 金星小区).
_PLACE_AFTER = re.compile(
    r"^(?:大道|大街|路|街|道|巷|小区|花园|村|镇|乡|区|县|市|省|山|湖|江|河|桥|广场|公园|医院|学校|小学|中学|大学|"
    r"公司|集团|局|所|站|店|馆|中心|社区|街道|新村|苑|府|城|园)"
)


def _is_boundary(following: str) -> bool:
    return not following or not ("\u4e00" <= following[0] <= "\u9fff") or following[0] in _FUNCTION_CHARS


def _guess_length(text: str, start: int) -> int:
    """How long the name starting at ``start`` is (2–4 characters), or 0 if none starts there."""
    surname = next((c for c in _COMPOUND_SURNAMES if text.startswith(c, start)), text[start : start + 1])
    if surname not in _SURNAMES and surname not in _COMPOUND_SURNAMES:
        return 0
    s = len(surname)
    jieba.dt.check_initialized()
    if jieba.dt.FREQ.get(text[start : start + 2], 0) >= _COMMON_WORD:
        return 0  # 经理张贴通知: an everyday word, not a name
    options = [n for n in (s + 2, s + 1) if _looks_like_name(text[start : start + n])]
    for n in options:  # the longest that ends where a name can end
        rest = text[start + n :]
        if _is_boundary(rest[:1]) or _AFTER_NAME.match(rest):
            return 0 if _PLACE_AFTER.match(rest) else n
    return options[0] if options and not _PLACE_AFTER.match(text[start + options[0] :]) else 0


def _surname(name: str) -> str:
    for compound in _COMPOUND_SURNAMES:
        if name.startswith(compound) and len(name) > len(compound):
            return compound
    return name[:1]


_COMMON_WORD = 100


def _looks_like_name(word: str) -> bool:
    if not (2 <= len(word) <= 4) or not all("\u4e00" <= ch <= "\u9fff" for ch in word) or word in _NOT_NAMES:
        return False
    if word in _COMPOUND_SURNAMES:
        return False
    # jieba's dictionary tags many everyday words nr (张贴, 谢谢, 高峰, 阳光); the names in it are
    # rare words (王建国 12), the everyday ones are common.
    jieba.dt.check_initialized()
    if len(word) == 2 and jieba.dt.FREQ.get(word, 0) >= _COMMON_WORD:
        return False
    surname = _surname(word)
    given = word[len(surname) :]
    if len(surname) == 1 and surname not in _SURNAMES:
        return False
    if not given or len(given) > 2 or _TITLE_ONLY.match(given) or NAME_MASK in given:
        return False
    return True


@lru_cache(maxsize=256)
def _tokens(text: str) -> tuple[tuple[int, str, str], ...]:
    """(start, word, part-of-speech flag) for every word jieba cuts ``text`` into."""
    import jieba.posseg  # here: its import loads the tag dictionary (0.7 s), which only redaction needs

    out, pos = [], 0
    for pair in jieba.posseg.cut(text, HMM=True):
        out.append((pos, pair.word, pair.flag))
        pos += len(pair.word)
    return tuple(out)


def _name_at(tokens: tuple[tuple[int, str, str], ...], i: int) -> tuple[str, bool] | None:
    """A name starting at token ``i`` — the token itself, or a surname token and the given name
    after it (覃/海燕) — and whether jieba tagged it as a person's name."""
    _start, word, flag = tokens[i]
    if len(word) == 3 and word[2] in _FUNCTION_CHARS and _looks_like_name(word[:2]):
        return word[:2], flag.startswith("nr")  # 张三说: jieba glued the verb on
    nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
    # jieba cuts a name it does not know as two characters and one (金秋/菊, 朱德/宝) — even when
    # the two are an everyday word, so this comes before the everyday-word filter.
    if (
        len(word) == 2
        and len(nxt) == 1
        and "\u4e00" <= nxt <= "\u9fff"
        and nxt not in _FUNCTION_CHARS
        and _looks_like_name(word + nxt)
    ):
        return word + nxt, flag.startswith("nr") or tokens[i + 1][2].startswith("nr")
    # The same with a compound surname: 欧阳明/轩 is 欧阳明轩.
    if (
        len(word) == 3
        and word[:2] in _COMPOUND_SURNAMES
        and len(nxt) == 1
        and "\u4e00" <= nxt <= "\u9fff"
        and nxt not in _FUNCTION_CHARS
        and _looks_like_name(word + nxt)
    ):
        return word + nxt, flag.startswith("nr") or tokens[i + 1][2].startswith("nr")
    if _looks_like_name(word):
        return word, flag.startswith("nr")
    if i + 1 < len(tokens) and (word in _SURNAMES or word in _COMPOUND_SURNAMES):
        nxt, nflag = tokens[i + 1][1], tokens[i + 1][2]
        if 1 <= len(nxt) <= 2 and _looks_like_name(word + nxt):
            return word + nxt, nflag.startswith("nr") or nflag == "nz"
    return None


def _name_spans(text: str, names: Iterable[str]) -> list[Span]:
    spans: list[Span] = []
    for raw in names:
        name = (raw or "").strip()
        if len(name) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in name):
            spans += [Span(m.start(), m.end(), "name") for m in re.finditer(re.escape(name), text)]
    tokens = _tokens(text)
    for i, (start, _word, _flag) in enumerate(tokens):
        found = _name_at(tokens, i)
        if not found:
            continue
        name, tagged = found
        end = start + len(name)
        before, after = text[max(0, start - 8) : start], text[end : end + 3]
        if _AFTER_NAME.match(text[start + len(_surname(name)) :]) or _PLACE_AFTER.match(text[end:]):
            continue  # 周师傅, 刘主任: a surname and a title, which may stay; 岳麓大道: a place
        context = bool(_BEFORE_NAME_RE.search(before) or _AFTER_NAME.match(after))
        self_named = bool(_SELF_RE.search(before)) and (not after or not ("\u4e00" <= after[0] <= "\u9fff"))
        if tagged or context or self_named:
            spans.append(Span(start, end, "name"))
    # Names jieba cut wrongly (王梓涵在 glued, 金秋/菊 cut apart): look right after role words and
    # self-introductions, unless the tagger already found a name there.
    taken = {span.start for span in spans}
    for pattern in (_BEFORE_NAME_AT, _SELF_AT):
        for m in pattern.finditer(text):
            start = m.end()
            if start in taken or _AFTER_NAME.match(text[start + 1 :]):
                continue
            length = _guess_length(text, start)
            if length and (pattern is _BEFORE_NAME_AT or _is_boundary(text[start + length : start + length + 1])):
                spans.append(Span(start, start + length, "name"))
    return spans


# --- all together ---------------------------------------------------------------------


def find_spans(text: str, *, names: Iterable[str] = ()) -> list[Span]:
    """Every personal-data span in ``text``, sorted, non-overlapping (longest wins)."""
    if not text:
        return []
    norm = normalise_digits(text)
    found: list[Span] = []
    found += [Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(norm)]
    found += [Span(m.start(), m.end(), "passport") for m in _PASSPORT.finditer(norm)]
    found += [Span(m.start("id"), m.end("id"), "account") for m in _WECHAT.finditer(norm)]
    found += [Span(m.start(), m.end(), "plate") for m in _PLATE.finditer(norm)]
    found += _number_spans(text, norm)
    found += [Span(m.start("tail"), m.end("tail"), "address") for m in _ADDRESS.finditer(norm)]
    found += [Span(m.start(), m.end(), "address") for m in _BUILDING.finditer(norm)]
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
    if kind == "name":
        surname = _surname(segment)
        return surname + NAME_MASK * (len(segment) - len(surname))
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


def check_public_text(text: str, *, safe: Iterable[str] = ()) -> list[Span]:
    """What must not be published: every run of 7+ digits (full-width, Chinese numerals and
    separators normalised) that is not a date, an amount, a reference or a tracking number
    (``safe`` adds the case's own), and any e-mail address or passport number."""
    if not text:
        return []
    safe_set = {s for s in safe if s}
    norm = normalise_digits(text)
    flagged = [Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(norm)]
    flagged += [Span(m.start(), m.end(), "passport") for m in _PASSPORT.finditer(norm)]
    for start, end, kind in digit_runs(text):
        if kind is None or re.sub(r"\D", "", norm[start:end]) in safe_set:
            continue
        if any(s.start <= start < s.end for s in flagged):
            continue
        flagged.append(Span(start, end, kind))
    return sorted(flagged, key=lambda s: s.start)


def leaks(text: str, *, secrets: Iterable[str]) -> list[str]:
    """Which of the given exact values (the citizen's phone, ID number, e-mail) still appear in ``text``."""
    low = normalise_digits(text or "").lower()
    compact = re.sub(r"[\s\-]", "", low)
    return [s for s in secrets if s and (s.lower() in low or s.lower() in compact)]


__all__ = ["MASK", "NAME_MASK", "Span", "check_public_text", "find_spans", "leaks", "normalise_digits", "redact"]
