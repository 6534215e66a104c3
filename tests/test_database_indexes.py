"""The hot insert tables of a registration (issue 11) carry no index that a wider one already
serves, and PostgreSQL runs a connection's repeated statements prepared."""

from __future__ import annotations

import pytest
from django.db import connection

from cases.models import Case, CaseEvent
from notifications.models import Outbox
from sla.models import Timer
from stats.models import CaseFigures

HOT_MODELS = (Case, CaseEvent, Timer, Outbox, CaseFigures)


def _index_columns(model) -> list[tuple[str, ...]]:
    """The column lists of the model's plain (non-partial) B-tree indexes and unique keys."""
    meta = model._meta
    lists = [(f.column,) for f in meta.concrete_fields if f.db_index and not f.unique and not f.primary_key]
    lists += [tuple(meta.get_field(n.lstrip("-")).column for n in i.fields) for i in meta.indexes if not i.condition]
    lists += [
        tuple(meta.get_field(n).column for n in c.fields)
        for c in meta.constraints
        if getattr(c, "fields", None) and not c.condition
    ]
    return lists


@pytest.mark.parametrize("model", HOT_MODELS, ids=lambda m: m._meta.db_table)
def test_no_single_column_index_is_the_leading_column_of_another(model):
    lists = _index_columns(model)
    covered = [one for one in lists if len(one) == 1 and any(len(o) > 1 and o[0] == one[0] for o in lists)]
    assert covered == [], f"{model._meta.db_table}: {covered} already lead a wider index"


@pytest.mark.django_db
def test_the_covered_indexes_are_gone_from_the_database_and_the_covering_ones_stay():
    with connection.cursor() as cursor:
        indexes = {
            table: {
                tuple(c["columns"])
                for c in connection.introspection.get_constraints(cursor, table).values()
                if c["index"] or c["unique"]
            }
            for table in ("cases_case", "cases_caseevent", "sla_timer")
        }
    assert ("department_id",) not in indexes["cases_case"]
    assert ("state",) not in indexes["cases_case"]
    assert {("department_id", "state"), ("state", "registered_at")} <= indexes["cases_case"]
    assert ("case_id",) not in indexes["cases_caseevent"]
    assert ("case_id", "seq") in indexes["cases_caseevent"]
    assert ("case_id",) not in indexes["sla_timer"]
    assert ("case_id", "stage") in indexes["sla_timer"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_prepares_a_statement_the_connection_runs_repeatedly():
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    if threshold is None:
        pytest.skip("DB_PREPARE_THRESHOLD=off: nothing is prepared")
    for _ in range(threshold + 1):
        list(Case.objects.filter(tracking_no="NO-SUCH-CASE").values_list("pk"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['SELECT %FROM "cases_case" WHERE "cases_case"."tracking_no" = $1 %'],
        )
        assert cursor.fetchone()[0] == 1
