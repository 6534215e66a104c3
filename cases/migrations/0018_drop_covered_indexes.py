"""Drop the single-column indexes that a wider index already serves (issue 11: every index is one
more write per registration). The fields' state changes (db_index=False); in the database only the
indexes go: Django's own AlterField of a foreign key would also drop and re-add (re-validate) the
constraint over the whole table.

- ``cases_case (department_id)``: the leading column of Meta's (department_id, state);
- ``cases_case (state)``: the leading column of Meta's (state, registered_at); and its PostgreSQL
  ``varchar_pattern_ops`` twin, which only a LIKE on the state would use (nothing does);
- ``cases_caseevent (case_id)``: the leading column of the unique (case_id, seq).
"""

import django.db.models.deletion
import django_fsm
from django.db import migrations, models

# (index, table, indexed expression, PostgreSQL only)
DROPPED = [
    ("cases_case_department_id_c5b7309d", "cases_case", '"department_id"', False),
    ("cases_case_state_eb673365", "cases_case", '"state"', False),
    ("cases_case_state_eb673365_like", "cases_case", '"state" varchar_pattern_ops', True),
    ("cases_caseevent_case_id_6c6031ac", "cases_caseevent", '"case_id"', False),
]


def drop_indexes(apps, schema_editor):
    for name, _table, _expression, _postgresql_only in DROPPED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore_indexes(apps, schema_editor):
    for name, table, expression, postgresql_only in DROPPED:
        if postgresql_only and schema_editor.connection.vendor != "postgresql":
            continue
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({expression})')


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0017_report_read_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, restore_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="department",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases",
                        to="cases.department",
                        verbose_name="承办单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="state",
                    field=django_fsm.FSMField(
                        choices=[
                            ("registered", "已登记"),
                            ("assigned", "已转办"),
                            ("in_progress", "办理中"),
                            ("replied", "待审核"),
                            ("answered", "已答复"),
                            ("closed", "已办结"),
                            ("rejected", "不予受理"),
                            ("merged", "已合并"),
                            ("transferred", "已移交应急"),
                            ("sub_replied", "待上级单位审核"),
                            ("disputed", "派单争议待裁决"),
                            ("pending_decision", "不满意待研判"),
                        ],
                        default="registered",
                        max_length=16,
                        protected=True,
                        verbose_name="状态",
                    ),
                ),
                migrations.AlterField(
                    model_name="caseevent",
                    name="case",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="cases.case",
                    ),
                ),
            ],
        ),
    ]
