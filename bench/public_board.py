"""Benchmark: public board search, statistics and the monthly report over ~1,000,000 cases on PostgreSQL.

    .venv/bin/python bench/public_board.py [--cases 1000000] [--runs 30] [--db cc_public_bench]

Creates (once) its own database, fills it with SQL ``generate_series`` inserts (about a third of
the cases published, with their bigram search rows), then times full requests through the
Django test client (view + template + queries) and prints p50/p99 per scenario. No SLA timers
are generated, so the on-time subquery runs against an empty timer table.
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _fill(n: int) -> None:
    from django.db import connection

    from cases.models import Case, Category, Department
    from cases.seed import load_district

    load_district()
    have = Case.objects.count()
    if have >= n:
        print(f"database already has {have} cases")
        return
    cats = list(Category.objects.filter(parent__isnull=False).values_list("pk", "default_department_id"))
    depts = list(Department.objects.filter(is_dispatch=False, parent__isnull=False).values_list("pk", flat=True))
    started = time.perf_counter()
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
                """
                INSERT INTO cases_case (tracking_no, access_code, channel, kind, category_id, priority, title, content,
                  location, citizen_name, citizen_phone, citizen_email, citizen_id_no, reply_channel, publish_consent,
                  publication, public_title, public_content, public_answer, published_at, state, version, department_id,
                  instructions, reject_note, reply_draft, reply_text, answer, rating, feedback_comment,
                  first_contact_resolution, return_count, reopen_count, on_hold, hold_reason, registered_at,
                  assigned_at, replied_at, answered_at, closed_at, updated_at)
                SELECT 'B' || lpad(g::text, 12, '0'), 'ABCDEF',
                  (ARRAY['hotline','web','mailbox','letter','sms','email'])[1 + g %% 6],
                  (ARRAY['consultation','help','complaint','report','suggestion','praise'])[1 + (g / 7) %% 6],
                  c.cat, 'normal', p.phrases[1 + g %% %(np)s], t.body, '', '', '', '', '', 'sms', true,
                  CASE WHEN g %% 3 = 0 THEN 'published' ELSE 'private' END,
                  CASE WHEN g %% 3 = 0 THEN p.phrases[1 + g %% %(np)s] ELSE '' END,
                  CASE WHEN g %% 3 = 0 THEN t.body ELSE '' END,
                  CASE WHEN g %% 3 = 0 THEN '已安排人员处理，感谢您的监督。' ELSE '' END,
                  CASE WHEN g %% 3 = 0 THEN r.at + interval '5 days' END,
                  CASE WHEN g %% 3 = 0 THEN 'closed' WHEN g %% 11 = 1 THEN 'rejected' WHEN g %% 5 = 1 THEN 'in_progress'
                       ELSE 'closed' END,
                  1, c.dept, '', '', '', '', '', (ARRAY['satisfied','basically_satisfied','dissatisfied',''])[1 + g %% 4],
                  '', g %% 6 = 0, (g %% 17 = 0)::int, (g %% 29 = 0)::int, false, '',
                  r.at, r.at + interval '2 hours', r.at + interval '3 days', r.at + interval '4 days',
                  r.at + interval '5 days', r.at + interval '5 days'
                FROM generate_series(%(lo)s, %(hi)s) AS g
                JOIN bench_cat c ON c.i = g %% %(nc)s
                CROSS JOIN (SELECT %(phrases)s::text[] AS phrases) p
                CROSS JOIN LATERAL (SELECT p.phrases[1 + g %% %(np)s] || '，' || p.phrases[1 + (g / 3) %% %(np)s]
                                    || '，' || p.phrases[1 + (g / 13) %% %(np)s] || '。' AS body) t
                CROSS JOIN LATERAL (SELECT timestamptz '2025-12-01 00:00+08'
                                    + (g::float8 / %(n)s) * interval '365 days' AS at) r
                """,
                {
                    "lo": offset + 1,
                    "hi": offset + size,
                    "nc": len(cats),
                    "np": len(PHRASES),
                    "phrases": PHRASES,
                    "n": n,
                },
            )
            print(f"  inserted {offset + size} cases ({time.perf_counter() - started:.0f}s)", flush=True)
        cur.execute(
            """
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
        )
        cur.execute("ANALYZE")
    print(f"filled {n} cases in {time.perf_counter() - started:.0f}s")


ONLY = ""


def _time(label: str, fn, runs: int) -> None:
    if ONLY and not label.startswith(ONLY):
        return
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(round(0.99 * (len(samples) - 1))))]
    print(f"{label:<46} p50 {statistics.median(samples):8.1f} ms   p99 {p99:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", default="", help="run only the scenarios whose label starts with this")
    parser.add_argument("--db", default="cc_public_bench2")
    args = parser.parse_args()
    global ONLY
    ONLY = args.only
    url = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casecenter.settings")
    _create_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from cases.enums import Role
    from cases.models import User
    from web.figures import metrics
    from web.figures.reports import monthly_report_data

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    _fill(args.cases)

    client = Client()
    boss, _ = User.objects.get_or_create(username="bench_supervisor", defaults={"role": Role.SUPERVISOR})
    staff = Client()
    staff.force_login(boss)

    def get(c: Client, path: str, **params: str):
        def call() -> None:
            response = c.get(path, params)
            assert response.status_code == 200, (path, params, response.status_code)

        return call

    print(f"\n{args.runs} runs each, full requests through the Django test client:")
    _time("board: newest page", get(client, "/board/"), args.runs)
    _time("board: q=路灯 (2 chars)", get(client, "/board/", q="路灯"), args.runs)
    _time("board: q=路灯不亮 (AND of bigrams)", get(client, "/board/", q="路灯不亮"), args.runs)
    _time("board: q=拖欠 department=RSJ", get(client, "/board/", q="拖欠", department="RSJ"), args.runs)
    _time("board: q=灯 (1 char, substring)", get(client, "/board/", q="灯"), args.runs)
    _time("board: q=没有的词 (no hit)", get(client, "/board/", q="没有的词"), args.runs)
    _time(
        "board: month=2026-03 kind=complaint page 50",
        get(client, "/board/", month="2026-03", kind="complaint", page="50"),
        args.runs,
    )
    october = metrics.parse_month("2026-10")
    _time(
        "stats: uncached figures (month + 12-month trend)",
        lambda: (
            metrics.department_figures(october),
            metrics.monthly_series(metrics.add_months(october, -11), october),
        ),
        args.runs,
    )
    _time("stats: /stats/?month=2026-10 (cached 5 min)", get(client, "/stats/", month="2026-10"), args.runs)
    _time("report: figures only (2026-10)", lambda: monthly_report_data(october, now=timezone.now()), args.runs)
    _time("report: /console/reports/?month=2026-10", get(staff, "/console/reports/", month="2026-10"), args.runs)
    _time("report: API JSON", get(staff, "/api/v1/reports/monthly/", month="2026-10"), args.runs)


if __name__ == "__main__":
    main()
