"""Bench data for the figures: ~1,000,000 cases over twelve months on PostgreSQL, with their reply
clocks, contacts and citizens' answers, and the monthly rollups rebuilt from them.

Used by ``bench/stats_page.py``, ``bench/monthly_report.py`` and ``bench/public_board.py``. The
cases are inserted with SQL ``generate_series`` (about a third published, with their bigram
search rows); every replied case gets a stopped reply clock (one in ten late) and every case in
progress a running one (a fifth of them overdue); ``manage.py rebuild_rollups``'s code then
counts them all. Filling is done once per database; a second run reuses it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHRASES = [
    "小区门口路灯不亮",
    "晚上施工噪音很大",
    "人行道被摊贩占用",
    "垃圾清运不及时",
    "楼道堆放杂物",
    "井盖缺失很危险",
    "公交站台破损",
    "公园广场舞音响太吵",
    "共享单车乱停放",
    "河道有异味",
    "餐馆油烟直排",
    "停车位被占用",
    "学校门口交通拥堵",
    "社保转移办理咨询",
    "居住证办理材料",
    "医保报销比例",
    "工资被拖欠三个月",
    "物业乱收费",
    "电梯经常故障",
    "自来水水压太低",
    "夜间路灯常亮浪费",
    "违章搭建阳台",
    "道路坑洼积水",
    "绿化带缺乏养护",
]
FIRST_DAY = "2025-12-01 00:00+08"  # the cases span the 365 days from here: December 2025 – November 2026


def setup(db: str) -> None:
    """Point Django at ``db`` (created if missing), set it up and migrate."""
    url = f"postgres://postgres@127.0.0.1:5432/{db}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casecenter.settings")
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)


def fill(n: int) -> None:
    """At least ``n`` cases with clocks, and rollups that count them."""
    from django.db import connection

    from cases.models import Case
    from cases.seed import load_district
    from stats.models import MonthlyRollup
    from stats.rollups import rollups_rebuild

    load_district()
    have = Case.objects.count()
    started = time.perf_counter()
    if have < n:
        _insert(n, have, started)
    elif MonthlyRollup.objects.exists():
        print(f"database already has {have} cases and their rollups")
        return
    cases, rows = rollups_rebuild()
    print(f"filled {n} cases, rebuilt {rows} rollup rows from {cases} cases in {time.perf_counter() - started:.0f}s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def arguments():
    """The figures benches' common options (``--cases``, ``--runs``, ``--month``, ``--db``)."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--db", default="cc_figures_bench")
    return parser.parse_args()


def fill_as_a_web_process(n: int) -> None:
    """``fill`` then, as casecenter/wsgi.py does for a web process, keep what is loaded out of the
    collector's full passes (otherwise one request in a few dozen pays ~160 ms for them)."""
    import gc

    fill(n)
    gc.collect()
    gc.freeze()


def spread_shards() -> int:
    """Split every rollup row of shard 0 over all ``ROLLUP_SHARDS`` shards (sums unchanged), as a
    day of concurrent intake leaves them: a rebuild writes shard 0 only, which no live system
    keeps. A no-op when other shards are written already. Returns the rows added."""
    from django.db import connection

    from stats.figures import ALL_COUNTS
    from stats.models import MonthlyRollup
    from stats.rollups import ROLLUP_SHARDS

    if MonthlyRollup.objects.filter(shard__gt=0).exists():
        return 0
    keys = "month, department_key, category_id, channel, kind"
    n = ROLLUP_SHARDS
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO stats_monthlyrollup ({keys}, shard, {', '.join(ALL_COUNTS)}) "
            f"SELECT {keys}, s, {', '.join(f'{c} / {n}' for c in ALL_COUNTS)} FROM stats_monthlyrollup "
            f"CROSS JOIN generate_series(1, {n - 1}) AS s WHERE shard = 0"
        )
        added = cur.rowcount
        cur.execute(
            f"UPDATE stats_monthlyrollup SET {', '.join(f'{c} = {c} - {n - 1} * ({c} / {n})' for c in ALL_COUNTS)} "
            "WHERE shard = 0"
        )
    vacuum_rollups()
    return added


def vacuum_rollups(*, full: bool = False) -> None:
    """``VACUUM ANALYZE`` the rollup table, as autovacuum does soon after a spread or a fold
    (their dead rows would otherwise make every read scan them until it does). ``full``: after
    the first fold of a table at its peak (every shard of every month written), compact it once
    (``VACUUM FULL``), or every read keeps scanning the peak's empty pages."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"VACUUM {'FULL ' if full else ''}ANALYZE stats_monthlyrollup")


def _insert(n: int, have: int, started: float) -> None:
    from django.db import connection

    from cases.models import Category, Department

    cats = list(Category.objects.filter(parent__isnull=False).values_list("pk", "default_department_id"))
    depts = list(Department.objects.filter(is_dispatch=False, parent__isnull=False).values_list("pk", flat=True))
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_cat(i int, cat bigint, dept bigint)")
        cur.executemany(
            "INSERT INTO bench_cat VALUES (%s, %s, %s)",
            [(i, c, d or depts[i % len(depts)]) for i, (c, d) in enumerate(cats)],
        )
        batch = 200_000
        for offset in range(have, n, batch):
            size = min(batch, n - offset)
            cur.execute(
                _CASES_SQL,
                {
                    "lo": offset + 1,
                    "hi": offset + size,
                    "nc": len(cats),
                    "np": len(PHRASES),
                    "phrases": PHRASES,
                    "n": n,
                    "first": FIRST_DAY,
                },
            )
            print(f"  inserted {offset + size} cases ({time.perf_counter() - started:.0f}s)", flush=True)
        cur.execute(_EVENTS_SQL)
        print(f"  reply, rating and urge events ({time.perf_counter() - started:.0f}s)", flush=True)
        cur.execute(_SEARCH_SQL)
        print(f"  search rows ({time.perf_counter() - started:.0f}s)", flush=True)
        cur.execute("SELECT id FROM sla_calendar WHERE code = 'CN'")
        calendar_id = cur.fetchone()[0]
        cur.execute("DELETE FROM sla_timer")
        cur.execute(_TIMERS_SQL, {"calendar": calendar_id})
        print(f"  reply clocks ({time.perf_counter() - started:.0f}s)", flush=True)
        cur.execute("ANALYZE")


_CASES_SQL = """
INSERT INTO cases_case (tracking_no, access_code, channel, kind, category_id, priority, title, content,
  location, citizen_name, citizen_phone, citizen_email, citizen_id_no, reply_channel, publish_consent,
  publication, public_title, public_content, public_answer, published_at, state, version, department_id,
  instructions, reject_note, reply_draft, reply_text, answer, rating, feedback_comment,
  first_contact_resolution, return_count, reopen_count, on_hold, hold_reason, registered_at,
  assigned_at, replied_at, answered_at, closed_at, updated_at, reply_result, contact_method, contacted_at,
  feedback_resolved, audit_head_seq, audit_head_hash, transferred_to, reply_draft_note, reply_draft_status,
  dissatisfied_reason)
SELECT 'B' || lpad(g::text, 12, '0'), 'ABCDEF',
  (ARRAY['hotline','web','mailbox','letter','sms','email'])[1 + g %% 6],
  (ARRAY['consultation','help','complaint','report','suggestion','praise'])[1 + (g / 7) %% 6],
  c.cat, 'normal', p.phrases[1 + g %% %(np)s], t.body, '', '', '', '', '', 'sms', true,
  CASE WHEN g %% 3 = 0 THEN 'published' ELSE 'private' END,
  CASE WHEN g %% 3 = 0 THEN p.phrases[1 + g %% %(np)s] ELSE '' END,
  CASE WHEN g %% 3 = 0 THEN t.body ELSE '' END,
  CASE WHEN g %% 3 = 0 THEN '已安排人员处理，感谢您的监督。' ELSE '' END,
  CASE WHEN g %% 3 = 0 THEN r.at + interval '5 days' END,
  s.state, 1, c.dept, '', '', '', '', '',
  CASE WHEN s.state = 'closed' THEN (ARRAY['satisfied','basically_satisfied','dissatisfied',''])[1 + g %% 4] ELSE '' END,
  '', g %% 6 = 0, (g %% 17 = 0)::int, (g %% 29 = 0)::int, false, '',
  r.at, r.at + interval '2 hours',
  CASE WHEN s.state = 'closed' THEN r.at + interval '3 days' END,
  CASE WHEN s.state = 'closed' THEN r.at + interval '4 days' END,
  CASE WHEN s.state IN ('closed', 'rejected') THEN r.at + interval '5 days' END,
  r.at + interval '5 days', '', '',
  CASE WHEN g %% 4 = 0 THEN NULL WHEN g %% 4 = 1 THEN r.at + interval '50 hours' ELSE r.at + interval '3 hours' END,
  CASE WHEN s.state = 'closed' AND g %% 5 <> 0 THEN g %% 7 <> 0 END, 0, '', '', '', '', ''
FROM generate_series(%(lo)s, %(hi)s) AS g
JOIN bench_cat c ON c.i = g %% %(nc)s
CROSS JOIN (SELECT %(phrases)s::text[] AS phrases) p
CROSS JOIN LATERAL (SELECT p.phrases[1 + g %% %(np)s] || '，' || p.phrases[1 + (g / 3) %% %(np)s]
                    || '，' || p.phrases[1 + (g / 13) %% %(np)s] || '。' AS body) t
CROSS JOIN LATERAL (SELECT %(first)s::timestamptz + (g::float8 / %(n)s) * interval '365 days' AS at) r
CROSS JOIN LATERAL (SELECT CASE WHEN g %% 3 = 0 THEN 'closed' WHEN g %% 11 = 1 THEN 'rejected'
                    WHEN g %% 5 = 1 THEN 'in_progress' ELSE 'closed' END AS state) s
"""

# The events the report's event-based figures read: a reply event for every replied case (with the
# contact it recorded, when the department contacted the citizen: 先联系后答复), a rating event for
# every rated case (the rated department recorded, as case_feedback writes it), and a citizen's
# urge (催办) on one in seven cases still in progress. Unchained (the bench never verifies them).
_EVENTS_SQL = """
INSERT INTO cases_caseevent (case_id, seq, at, actor_label, role, transition, from_state, to_state, note, data,
  public, prev_hash, hash, hash_version, row_digest)
SELECT c.id, e.seq, e.at, '', '', e.transition, e.from_state, e.to_state, '', e.data, e.public, '', '', 1, ''
FROM cases_case c
JOIN cases_department d ON d.id = c.department_id
CROSS JOIN LATERAL (
  SELECT 1 AS seq, c.replied_at AS at, 'reply' AS transition, 'in_progress' AS from_state, 'replied' AS to_state,
    CASE WHEN c.contacted_at IS NULL THEN '{}'::jsonb
         ELSE jsonb_build_object('contact', jsonb_build_object('at', to_char(c.contacted_at AT TIME ZONE 'UTC',
           'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'), 'method', 'phone')) END AS data, false AS public
  WHERE c.replied_at IS NOT NULL
  UNION ALL
  SELECT 2, c.closed_at, 'feedback', 'answered', 'closed',
    jsonb_build_object('rating', c.rating, 'department', d.code), false
  WHERE c.state = 'closed' AND c.rating <> ''
  UNION ALL
  SELECT 1, c.assigned_at + interval '20 days', 'sla.citizen.urged', 'in_progress', 'in_progress',
    jsonb_build_object('stage', 'reply', 'department', d.code), true
  WHERE c.state = 'in_progress' AND c.id % 7 = 0
) e
WHERE c.tracking_no LIKE 'B%'
ON CONFLICT (case_id, seq) DO NOTHING
"""

_SEARCH_SQL = """
INSERT INTO cases_publicsearch (case_id, published_at, registered_at, department_id_copy,
  category_id_copy, category_parent_id_copy, kind, document, vector)
SELECT cases_case.id, published_at, registered_at, department_id, category_id,
  (SELECT parent_id FROM cases_category WHERE cases_category.id = category_id), kind,
  d.doc, array_to_tsvector(ARRAY(
    SELECT DISTINCT substr(d.doc, i, 2) FROM generate_series(1, length(d.doc) - 1) AS i
    WHERE substr(d.doc, i, 2) ~ '^[0-9a-z\u3400-\u9fff]{2}$'))
FROM cases_case
CROSS JOIN LATERAL (SELECT lower(tracking_no || E'\\n' || public_title || E'\\n' || public_content
                    || E'\\n' || public_answer) AS doc) d
WHERE publication = 'published'
ON CONFLICT (case_id) DO NOTHING
"""

# A reply clock per assigned case: stopped at the reply (one in ten after its due time), or still
# running for the cases in progress (one in five of them past due).
_TIMERS_SQL = """
INSERT INTO sla_timer (case_id, stage, calendar_id, department_id, term_unit, term_value, status, started_at,
  warn_at, due_at, original_due_at, calendar_incomplete, warned_at, breached_at, stopped_at, paused_at,
  remaining_seconds, remaining_warn_seconds, resumed_at, extended, escalation_level, next_escalation_at,
  next_action_at, claimed_by, claim_expires_at)
SELECT id, 'reply', %(calendar)s, department_id, 'working_days', 13, d.status, assigned_at,
  d.due - interval '1 day', d.due, d.due, false, NULL, NULL, replied_at, NULL, NULL, NULL, NULL, false, 0, NULL,
  NULL, '', NULL
FROM cases_case
CROSS JOIN LATERAL (SELECT
  CASE WHEN replied_at IS NOT NULL AND id %% 10 = 0 THEN assigned_at + interval '1 day'
       WHEN replied_at IS NULL AND id %% 5 = 0 THEN assigned_at + interval '1 day'
       ELSE assigned_at + interval '18 days' END AS due,
  CASE WHEN replied_at IS NULL THEN 'running' WHEN id %% 10 = 0 THEN 'breached' ELSE 'met' END AS status) d
WHERE assigned_at IS NOT NULL AND state IN ('closed', 'in_progress')
"""


def timed(label: str, fn, runs: int) -> list[float]:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(round(0.99 * (len(samples) - 1))))]
    p50 = samples[len(samples) // 2]
    print(f"{label:<52} p50 {p50:8.1f} ms   p99 {p99:8.1f} ms", flush=True)
    return samples


def p99(samples: list[float]) -> float:
    return samples[min(len(samples) - 1, int(round(0.99 * (len(samples) - 1))))]


def figure(name: str, measured_ms: float, goal_ms: float, anchor: str) -> None:
    """One line for ``bench/all``: FIGURE, name, measured, goal, anchor, whether the goal is met."""
    ok = "yes" if measured_ms < goal_ms else "NO"
    print(f"FIGURE\t{name}\t{measured_ms:.1f} ms\t< {goal_ms:.0f} ms\t{anchor}\t{ok}", flush=True)
