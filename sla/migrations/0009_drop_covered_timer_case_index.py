"""Drop ``sla_timer (case_id)``: the leading column of Meta's (case_id, stage) serves every lookup by
case (issue 11: every index is one more write per registration). The field's state changes
(db_index=False); in the database only the index goes (Django's AlterField of a foreign key would
also drop and re-add, re-validating, the constraint over the whole table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0008_report_read_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "sla_timer_case_id_e0d300f9"',
                    'CREATE INDEX IF NOT EXISTS "sla_timer_case_id_e0d300f9" ON "sla_timer" ("case_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="timer",
                    name="case",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="timers",
                        to="cases.case",
                        verbose_name="工单",
                    ),
                ),
            ],
        ),
    ]
