"""Hotspot early warning (热点预警): surges and clusters, detected from the cases registered lately.

**Surge** (激增). For every category, place and key phrase: ``c`` = cases registered in the last 7
days (the window, ending at ``now``), ``λ`` = the mean weekly count over the 8 weeks before the
window. It is a surge when ``c ≥ SURGE_MIN_COUNT`` and the Poisson upper tail
``P(X ≥ c | λ') < SURGE_P`` with ``λ' = max(λ, BASELINE_FLOOR)`` — the floor keeps a never-seen
value from alarming on its first few cases. Place = the community named in the case's location (or
content), else the road; phrase = a word (jieba, two characters or more, not a stop word) of the
title. A phrase surge whose cases mostly belong to a category or place surge of the same run is not
reported again.

**Cluster** (群体性). Cases registered in the last ``CLUSTER_DAYS`` days, any channel: character
bigram TF-IDF cosine similarity of title + content ≥ ``CLUSTER_THRESHOLD`` links two cases;
linked components with at least ``CLUSTER_MIN_CALLERS`` different callers (phone number, or the
case itself when there is none) are clusters. The threshold is the best mean F1 over a generated
and a hand-written tuning set (``bench/classifier.py --tune``); bench/classifier.py reports it on
hand-written held-out sets too (its docstring tells their history).

Each occurrence has a stable ``key`` (surges: dimension, value and ISO week; clusters: the
earliest case), so the detector can run every few minutes: it updates what it found before and
alerts only on what is new — supervisors and leaders get an in-app message and a live event.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import jieba
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse

from cases.enums import Role, State
from cases.exceptions import CasePermissionDenied
from cases.models import Case, Category, User
from notifications import events
from notifications.enums import Template
from notifications.outbox import notify_users

from .corpus import COMMUNITIES, ROADS
from .enums import HotspotKind, HotspotStatus, SurgeDimension
from .models import Hotspot

WINDOW = dt.timedelta(days=7)
BASELINE_WEEKS = 8
SURGE_MIN_COUNT = 5
SURGE_P = 0.01
BASELINE_FLOOR = 1.0

CLUSTER_DAYS = 3
CLUSTER_THRESHOLD = 0.35  # best mean F1 over the two tuning sets (bench/classifier.py --tune)
CLUSTER_MIN_CALLERS = 3

PHRASE_OVERLAP = 0.8
NOT_COUNTED = (State.MERGED,)
LIVE_TOPICS = ("board", "wallboard")  # supervisors; the hotspot page and the wallboard
ALERTED_ROLES = (Role.SUPERVISOR, Role.LEADER)

STOP_WORDS = frozenset(
    "问题 反映 投诉 咨询 举报 建议 求助 希望 请问 一下 怎么 如何 办理 处理 没有 一直 我们 你们 他们 这个 那个 "
    "什么 需要 可以 能否 是否 已经 还是 不是 就是 现在 部门 有关 相关 政府 小区 社区 市民 居民 严重 很多 "
    "尽快 解决 情况 关于 附近 问一下 为什么 谁管 不管 太差".split()
)


# --- places and phrases ----------------------------------------------------------------------

_ALIASES = sorted(((alias, code) for code, names in COMMUNITIES.items() for alias in names), key=lambda a: -len(a[0]))


def community_name(code: str) -> str:
    return COMMUNITIES[code][0]


def place_of(location: str, content: str = "") -> tuple[str, str] | None:
    """(key, label) of the place a case is about: its community when one is named (location first,
    then content), else a district road named in the location; None when neither."""
    for text in (location or "", content or ""):
        # The leftmost, then longest, name: 江景花园小区 is 江景花园, not 花园小区.
        hits = [(text.find(alias), -len(alias), code) for alias, code in _ALIASES if alias in text]
        if hits:
            code = min(hits)[2]
            return code, community_name(code)
    for road in ROADS:
        if road in (location or ""):
            return f"road:{road}", road
    return None


_WORDISH = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9]+$")


def phrases_of(title: str) -> set[str]:
    return {w for w in jieba.lcut(title or "") if len(w) >= 2 and w not in STOP_WORDS and _WORDISH.match(w) is not None}


# --- the surge rule --------------------------------------------------------------------------


def poisson_tail(count: int, baseline: float) -> float:
    """P(X ≥ count) for X ~ Poisson(max(baseline, BASELINE_FLOOR))."""
    # scipy and scikit-learn are imported where they are used: importing them costs every process
    # that loads this app (the web, every worker) 2 s of start-up and their memory.
    from scipy.stats import poisson

    return float(poisson.sf(count - 1, max(baseline, BASELINE_FLOOR)))


def is_surge(count: int, baseline: float) -> bool:
    return count >= SURGE_MIN_COUNT and poisson_tail(count, baseline) < SURGE_P


@dataclass
class Finding:
    kind: str
    key: str
    label: str
    count: int
    baseline: float
    case_ids: list[int]
    window_start: dt.datetime
    window_end: dt.datetime
    dimension: str = ""
    category_id: int | None = None
    place: str = ""
    phrase: str = ""
    p_value: float | None = None
    extra: dict = field(default_factory=dict)


def _week_key(now: dt.datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def find_surges(*, now: dt.datetime) -> list[Finding]:
    """Every category, place and phrase whose last-7-days count breaks the rule (module doc)."""
    start = now - WINDOW * (BASELINE_WEEKS + 1)
    rows = (
        Case.objects.filter(registered_at__gte=start, registered_at__lt=now)
        .exclude(state__in=NOT_COUNTED)
        .values_list("pk", "registered_at", "category_id", "location", "content", "title")
    )
    # (dimension, value) -> week index (0 = the window, 1..8 the baseline weeks) -> case ids
    buckets: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    labels: dict[tuple[str, str], str] = {}
    for pk, registered_at, category_id, location, content, title in rows.iterator(chunk_size=2000):
        week = int((now - registered_at) / WINDOW)
        if week > BASELINE_WEEKS:
            continue
        buckets[(SurgeDimension.CATEGORY, str(category_id))][week].append(pk)
        place = place_of(location, content)
        if place is not None:
            buckets[(SurgeDimension.PLACE, place[0])][week].append(pk)
            labels[(SurgeDimension.PLACE, place[0])] = place[1]
        for phrase in phrases_of(title):
            buckets[(SurgeDimension.PHRASE, phrase)][week].append(pk)
    names = dict(Category.objects.values_list("pk", "name_zh"))
    window_start, week = now - WINDOW, _week_key(now)
    found: list[Finding] = []
    for (dimension, value), weeks in buckets.items():
        current = weeks.get(0, [])
        count = len(current)
        if count < SURGE_MIN_COUNT:
            continue
        baseline = sum(len(weeks.get(k, [])) for k in range(1, BASELINE_WEEKS + 1)) / BASELINE_WEEKS
        if not is_surge(count, baseline):
            continue
        finding = Finding(
            kind=HotspotKind.SURGE,
            key=f"surge:{dimension}:{value}:{week}",
            label="",
            count=count,
            baseline=round(baseline, 3),
            case_ids=sorted(current),
            window_start=window_start,
            window_end=now,
            dimension=dimension,
            p_value=poisson_tail(count, baseline),
        )
        if dimension == SurgeDimension.CATEGORY:
            finding.category_id = int(value)
            finding.label = f"{names.get(int(value), value)}诉求激增"
        elif dimension == SurgeDimension.PLACE:
            finding.place = labels[(dimension, value)]
            finding.label = f"{finding.place}诉求激增"
        else:
            finding.phrase = value
            finding.label = f"“{value}”相关诉求激增"
        found.append(finding)
    return _drop_repeated_phrases(found)


def _drop_repeated_phrases(found: list[Finding]) -> list[Finding]:
    covered = [set(f.case_ids) for f in found if f.dimension != SurgeDimension.PHRASE]
    kept = []
    for f in found:
        if f.dimension == SurgeDimension.PHRASE:
            ids = set(f.case_ids)
            if any(len(ids & other) >= PHRASE_OVERLAP * len(ids) for other in covered):
                continue
        kept.append(f)
    return kept


# --- the cluster rule ------------------------------------------------------------------------


def similar_groups(texts: Sequence[str], *, threshold: float = CLUSTER_THRESHOLD) -> list[list[int]]:
    """Indices of ``texts`` linked (directly or through others) by bigram cosine ≥ threshold;
    groups of two or more, each sorted."""
    if len(texts) < 2:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    try:
        matrix = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True).fit_transform(texts)
    except ValueError:  # nothing but one-character texts
        return []
    sim = cosine_similarity(matrix, dense_output=False)
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    coo = sim.tocoo()
    for i, j, value in zip(coo.row, coo.col, coo.data, strict=True):
        if i < j and value >= threshold:
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(texts)):
        groups[root(i)].append(i)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def find_clusters(*, now: dt.datetime) -> list[Finding]:
    start = now - dt.timedelta(days=CLUSTER_DAYS)
    rows = list(
        Case.objects.filter(registered_at__gte=start, registered_at__lt=now)
        .exclude(state__in=(State.MERGED, State.REJECTED))
        .order_by("registered_at", "pk")
        .values_list("pk", "title", "content", "citizen_phone", "category_id", "location")
    )
    texts = [f"{title}。{content}" for _, title, content, *_ in rows]
    found = []
    for group in similar_groups(texts):
        members = [rows[i] for i in group]
        callers = {phone or f"case:{pk}" for pk, _, _, phone, _, _ in members}
        if len(callers) < CLUSTER_MIN_CALLERS:
            continue
        first = members[0]
        category_id = Counter(m[4] for m in members).most_common(1)[0][0]
        place = next((p for m in members if (p := place_of(m[5], m[2])) is not None), None)
        found.append(
            Finding(
                kind=HotspotKind.CLUSTER,
                key=f"cluster:{first[0]}",
                label=f"群体性诉求：{first[1][:40]}",
                count=len(members),
                baseline=0.0,
                case_ids=[m[0] for m in members],
                window_start=start,
                window_end=now,
                category_id=category_id,
                place=place[1] if place else "",
                extra={"callers": len(callers)},
            )
        )
    return found


# --- storing and alerting --------------------------------------------------------------------


def _existing(finding: Finding) -> Hotspot | None:
    hotspot = Hotspot.objects.select_for_update().filter(key=finding.key).first()
    if hotspot is None and finding.kind == HotspotKind.CLUSTER:
        # The earliest case may have left the window: the cluster is the one that shares cases.
        hotspot = (
            Hotspot.objects.select_for_update()
            .filter(kind=HotspotKind.CLUSTER, cases__in=finding.case_ids, window_end__gte=finding.window_start)
            .order_by("-detected_at")
            .first()
        )
    return hotspot


def hotspots_detect(*, now: dt.datetime) -> tuple[list[Hotspot], list[Hotspot]]:
    """Run both rules at ``now``; store what they find. Returns (new, updated).

    Side effects: new and grown ``Hotspot`` rows; for each new one an in-app message to every
    active supervisor and leader and a ``hotspot.detected`` live event on the board and wallboard
    topics (after commit). A dismissed hotspot is updated silently and never re-alerted."""
    new, updated = [], []
    for finding in [*find_surges(now=now), *find_clusters(now=now)]:
        try:
            with transaction.atomic():
                outcome = _store(finding, now=now)
        except IntegrityError:  # another detector stored the same occurrence a moment ago
            continue
        if outcome is not None:
            (new if outcome[1] else updated).append(outcome[0])
    return new, updated


def _store(finding: Finding, *, now: dt.datetime) -> tuple[Hotspot, bool] | None:
    """Create or grow the finding's hotspot; (hotspot, created), or None when nothing changed."""
    hotspot = _existing(finding)
    if hotspot is None:
        hotspot = Hotspot.objects.create(
            key=finding.key,
            kind=finding.kind,
            dimension=finding.dimension,
            label=finding.label,
            category_id=finding.category_id,
            place=finding.place,
            phrase=finding.phrase,
            count=finding.count,
            baseline=finding.baseline,
            p_value=finding.p_value,
            window_start=finding.window_start,
            window_end=finding.window_end,
            detected_at=now,
        )
        hotspot.cases.set(finding.case_ids)
        hotspot_alert(hotspot)
        return hotspot, True
    known = set(hotspot.cases.values_list("pk", flat=True))
    if set(finding.case_ids) <= known:
        return None
    hotspot.cases.add(*finding.case_ids)
    hotspot.count = hotspot.cases.count()
    hotspot.baseline = finding.baseline
    hotspot.p_value = finding.p_value
    hotspot.window_end = finding.window_end
    hotspot.save(update_fields=["count", "baseline", "p_value", "window_end"])
    if hotspot.status != HotspotStatus.DISMISSED:
        events.publish_many(list(LIVE_TOPICS), "hotspot.updated", hotspot_payload(hotspot))
    return hotspot, False


def hotspot_url(hotspot: Hotspot) -> str:
    try:
        return reverse("insight:hotspot", args=[hotspot.pk])
    except NoReverseMatch:
        return ""


def hotspot_payload(hotspot: Hotspot) -> dict:
    """The live event's data: no personal data, enough to refetch or show a banner."""
    return {
        "id": hotspot.pk,
        "kind": hotspot.kind,
        "label": hotspot.label,
        "count": hotspot.count,
        "status": hotspot.status,
        "url": hotspot_url(hotspot),
    }


def alerted_users() -> Iterable[User]:
    return User.objects.filter(is_active=True, role__in=list(ALERTED_ROLES)).order_by("pk")


def hotspot_alert(hotspot: Hotspot) -> None:
    tracking = list(hotspot.cases.order_by("registered_at").values_list("tracking_no", flat=True)[:20])
    context = {
        "label": hotspot.label,
        "kind": hotspot.get_kind_display(),
        "kind_code": hotspot.kind,
        "count": hotspot.count,
        "baseline": hotspot.baseline,
        "cases": tracking,
        "tracking_no": tracking[0] if tracking else "",
        "hotspot_url": hotspot_url(hotspot),
    }
    notify_users(alerted_users(), Template.HOTSPOT_ALERT, context, f"hotspot:{hotspot.pk}")
    events.publish_many(list(LIVE_TOPICS), "hotspot.detected", hotspot_payload(hotspot))


def hotspot_dismiss(*, hotspot: Hotspot, actor: User) -> Hotspot:
    """Mark an open hotspot as not needing action (a supervisor's call). Side effect: a
    ``hotspot.updated`` live event. Dismissing twice is harmless; a joint handling stays."""
    from .rules import may_open_joint

    if not may_open_joint(actor):
        raise CasePermissionDenied("只有督办员可以处置热点。")
    with transaction.atomic():
        locked = Hotspot.objects.select_for_update().get(pk=hotspot.pk)
        if locked.status == HotspotStatus.OPEN:
            locked.status = HotspotStatus.DISMISSED
            locked.save(update_fields=["status"])
            events.publish_many(list(LIVE_TOPICS), "hotspot.updated", hotspot_payload(locked))
    return locked


# --- evaluating the cluster rule (bench/hotspots.py) -----------------------------------------


def pair_scores(texts: Sequence[str], groups: Sequence[str], *, threshold: float) -> dict[str, float]:
    """Pairwise precision and recall of ``similar_groups`` against the true ``groups`` (a label
    per text; ``""`` = a singleton)."""
    predicted = set()
    for g in similar_groups(texts, threshold=threshold):
        predicted |= {(a, b) for a in g for b in g if a < b}
    truth = {
        (a, b) for a in range(len(texts)) for b in range(a + 1, len(texts)) if groups[a] and groups[a] == groups[b]
    }
    hit = len(predicted & truth)
    precision = hit / len(predicted) if predicted else 1.0
    recall = hit / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "pairs": len(truth)}
