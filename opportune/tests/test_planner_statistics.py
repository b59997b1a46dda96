"""Housekeeping gives SQLite's planner statistics, so a read of the few field changes past a
mark seeks by id instead of reading every opportunity change through the record index."""

from __future__ import annotations

import pytest
from django.db import connection

from opportune.audit.models import FieldChange
from opportune.housekeeping import housekeeping

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="PostgreSQL's autovacuum keeps its statistics"
    ),
]

PAST_THE_MARK = (
    "SELECT c.record_id FROM audit_fieldchange c WHERE c.id > %s"
    " AND c.record_type = 'opportunity' AND c.field IN ('owner', 'deleted_at')"
)


def plan(mark: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {PAST_THE_MARK}", [mark])
        return " ".join(str(row[-1]) for row in cursor.fetchall())


def test_housekeeping_gives_the_planner_statistics_to_seek_changes_past_a_mark_by_id() -> None:
    FieldChange.objects.bulk_create(
        FieldChange(record_type="opportunity", record_id=n % 300, field="amount")
        for n in range(3000)
    )
    mark = FieldChange.objects.order_by("-pk").values_list("pk", flat=True)[10]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")  # a database never analyzed
    assert "field_change_record" in plan(mark)
    housekeeping.call()
    assert "PRIMARY KEY" in plan(mark), plan(mark)
