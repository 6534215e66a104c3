"""A partial index for the public board: published cases newest first.

The board filters ``publication = 'published'`` and orders by ``published_at DESC``;
the plain ``published_at`` index would walk every unpublished row first (NULLs sort
first in a descending scan on PostgreSQL) and counting would scan the table. This
index serves both, and it stays small (only published rows). Created with SQL on
PostgreSQL and SQLite alike (both support partial indexes); the model state does not
need to know about it.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS cases_case_published_board "
    "ON cases_case (published_at DESC, id DESC) WHERE publication = 'published'"
)
DROP = "DROP INDEX IF EXISTS cases_case_published_board"


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_transition_sla_actions")]

    operations = [migrations.RunSQL(CREATE, DROP)]
