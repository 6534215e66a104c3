from django.db import migrations


def replace_functions(apps, schema_editor):
    """PostgreSQL only: the board counters' trigger functions as sla.board_counts now writes them (a
    statement of a few rows keeps its plan, a larger one is planned for its size; no JIT)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from sla import board_counts

    schema_editor.execute(board_counts.FUNCTIONS_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0009_drop_covered_timer_case_index"),
    ]

    # Backwards there is nothing to undo that matters: the functions compute the same counts.
    operations = [migrations.RunPython(replace_functions, migrations.RunPython.noop)]
