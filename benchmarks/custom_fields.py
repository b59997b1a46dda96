"""Filtering 1,000,000 leads on custom fields, next to the same filters on built-in indexed
columns, and next to typed value tables (EAV) holding the same values.

    python benchmarks/custom_fields.py [--rows 1000000] [--database-url URL]

Custom values live in each lead's ``custom`` JSON column with one expression index per
field (created when the field is defined). The script defines a picklist ``segment`` and a
number ``deal_size`` on leads, fills ``--rows`` leads (0.1% in the rare status, the rare
segment and the measured number range), then times, through the lead FilterSet (what the
API, UI and exports run):

- ``status=<rare>`` (built-in, index on status) vs ``custom.segment=<rare>``;
- ``annual_revenue`` range (built-in column, given an index here) vs ``custom.deal_size``
  range with the same bounds;

each as the first page (50 newest) and as a count, with the median of ``--repeat`` runs.
The same filters as raw SQL on an EAV table (lead, field, text value, number value; indexed
by field and value) are measured in the same run. Runs on a fresh SQLite database in a
temporary directory unless --database-url is given (its leads are deleted first).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SEGMENTS = ["smb", "mid", "enterprise", "public", "education", "health", "retail", "media"]
RARE = "strategic"  # 0.1% of leads
LOW, HIGH = 50_000, 50_999  # 0.1% of deal sizes (0..999,999)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    os.environ["OPPORTUNE_DATA_DIR"] = tempfile.mkdtemp(prefix="opportune-bench-")
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from opportune.customfields.models import CustomField
    from opportune.customfields.tests.helpers import define
    from opportune.identity.models import Role, User
    from opportune.imports.bulk import RowInserter
    from opportune.leads.filters import LeadFilterSet
    from opportune.leads.models import Lead, LeadStatus

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM leads_lead")
        cursor.execute("DROP TABLE IF EXISTS bench_custom_value")
        cursor.execute("DROP INDEX IF EXISTS bench_lead_revenue")
        # The expression indexes of an earlier run's fields (defining them again adds new).
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'cf_lead_%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'cf_lead_%%'")
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")
    CustomField.objects.filter(key__in=["segment", "deal_size"]).delete()
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"role": Role.ADMIN})
    statuses = list(LeadStatus.objects.filter(is_converted=False).order_by("order"))
    common, rare_status = statuses[0], statuses[1]

    print(f"{connection.vendor}: filling {args.rows:,} leads ...", flush=True)
    start = time.perf_counter()
    inserter = RowInserter(Lead)
    batch = 50_000
    for first in range(0, args.rows, batch):
        rows = []
        for n in range(first, min(first + batch, args.rows)):
            rare = n % 1000 == 7
            size = (n * 7919) % 1_000_000  # spread over 0..999,999, each once per million
            rows.append(
                {
                    "last_name": f"Lead {n}",
                    "company": f"Company {n % 5000}",
                    "status_id": (rare_status if rare else common).pk,
                    "owner_id": admin.pk,
                    "annual_revenue": size,
                    "custom": {
                        "segment": RARE if rare else SEGMENTS[n % len(SEGMENTS)],
                        "deal_size": size,
                    },
                }
            )
        inserter.insert(rows, with_ids=False)
    print(f"  filled in {time.perf_counter() - start:.0f} s", flush=True)

    start = time.perf_counter()
    values = [{"key": key, "label": key.title()} for key in [*SEGMENTS, RARE]]
    segment = define(admin, "lead", "segment", "picklist", values=values)
    deal_size = define(admin, "lead", "deal_size", "number")
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX bench_lead_revenue ON leads_lead (annual_revenue)")
    print(f"  indexes built in {time.perf_counter() - start:.0f} s", flush=True)
    _fill_eav(connection, segment.pk, deal_size.pk)
    with connection.cursor() as cursor:
        # Fresh statistics, and on PostgreSQL a visibility map, so index-only scans work
        # for the built-in, custom and EAV indexes alike.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    def median_ms(run: Callable[[], Any]) -> float:
        run()  # warm
        times = []
        for _ in range(args.repeat):
            begin = time.perf_counter()
            run()
            times.append((time.perf_counter() - begin) * 1000)
        return statistics.median(times)

    leads = Lead.objects.all()

    def orm(params: dict[str, str], what: str) -> Callable[[], Any]:
        """The SQL the FilterSet builds, executed as it is (the database's part)."""
        found = LeadFilterSet.apply(admin, leads, params)
        if what == "count":
            return raw(*found.values("pk").query.sql_with_params(), count=True)
        return raw(*found.order_by("-id").values_list("id")[:50].query.sql_with_params())

    def end_to_end(params: dict[str, str]) -> Callable[[], Any]:
        """FilterSet validation, definitions read, query built and run: a list's page."""

        def run() -> Any:
            found = LeadFilterSet.apply(admin, leads, params)
            return list(found.order_by("-id").values_list("id", flat=True)[:50])

        return run

    def raw(sql: str, params: Any, count: bool = False) -> Callable[[], Any]:
        if count:
            sql = f"SELECT COUNT(*) FROM ({sql}) found"

        def run() -> Any:
            with connection.cursor() as cursor:
                cursor.execute(sql, list(params))
                return [row[0] for row in cursor.fetchall()]

        run.sql = (sql, list(params))  # type: ignore[attr-defined]
        return run

    eav_text = (
        "SELECT {cols} FROM leads_lead l JOIN bench_custom_value v ON v.lead_id = l.id "
        "WHERE v.field_id = %s AND v.text_value = %s AND l.deleted_at IS NULL {tail}"
    )
    eav_number = (
        "SELECT {cols} FROM leads_lead l JOIN bench_custom_value v ON v.lead_id = l.id "
        "WHERE v.field_id = %s AND v.number_value BETWEEN %s AND %s AND l.deleted_at IS NULL "
        "{tail}"
    )
    page, count = ("l.id", "ORDER BY l.id DESC LIMIT 50"), ("COUNT(*)", "")
    Measured = tuple[str, str, Callable[[], Any], Callable[[], Any], Callable[[], Any]]
    measured: list[Measured] = []
    for what, (cols, tail) in (("page", page), ("count", count)):
        measured.append(
            (
                "picklist",
                what,
                _column(leads.filter(status_id=rare_status.pk), what, raw),
                orm({"custom.segment": RARE}, what),
                raw(eav_text.format(cols=cols, tail=tail), [segment.pk, RARE]),
            )
        )
        measured.append(
            (
                "number range",
                what,
                _revenue(leads, what, raw),
                orm({"custom.deal_size.min": str(LOW), "custom.deal_size.max": str(HIGH)}, what),
                raw(eav_number.format(cols=cols, tail=tail), [deal_size.pk, LOW, HIGH]),
            )
        )
    _check_same(measured)
    _explain(connection, measured)
    print(
        f"\n{args.rows:,} leads on {connection.vendor}, median of {args.repeat} runs (ms):\n"
        f"{'filter':<14}{'query':<7}{'built-in':>10}{'custom':>10}{'ratio':>8}"
        f"{'EAV':>10}{'EAV ratio':>11}"
    )
    for name, what, builtin, custom, eav in measured:
        b, c, e = median_ms(builtin), median_ms(custom), median_ms(eav)
        print(f"{name:<14}{what:<7}{b:>10.2f}{c:>10.2f}{c / b:>8.2f}{e:>10.2f}{e / b:>11.2f}")
    rare_page = {"status": rare_status.key}
    custom_page = {"custom.segment": RARE}
    b, c = median_ms(end_to_end(rare_page)), median_ms(end_to_end(custom_page))
    print(f"{'picklist':<14}{'list':<7}{b:>10.2f}{c:>10.2f}{c / b:>8.2f}   (page via FilterSet)")
    print(
        "\nbuilt-in: status_id (index status,-id) / annual_revenue (index added here); "
        "custom: JSON column + expression index, through LeadFilterSet; "
        "EAV: raw SQL on a typed value table indexed (field, value, lead)."
    )


def _revenue(leads: Any, what: str, raw: Callable[..., Any]) -> Callable[[], Any]:
    return _column(leads.filter(annual_revenue__gte=LOW, annual_revenue__lte=HIGH), what, raw)


def _column(found: Any, what: str, raw: Callable[..., Any]) -> Callable[[], Any]:
    """The built-in filter's SQL, as the ORM writes it."""
    if what == "count":
        return raw(*found.values("pk").query.sql_with_params(), count=True)  # type: ignore[no-any-return]
    return raw(*found.order_by("-id").values_list("id")[:50].query.sql_with_params())  # type: ignore[no-any-return]


def _check_same(rows: list[Any]) -> None:
    """The custom filters find the rows the built-in ones find (the same values)."""
    for name, _, builtin, custom, eav in rows:
        expected = builtin()
        assert custom() == expected, name
        assert eav() == expected, name


def _explain(connection: Any, rows: list[Any]) -> None:
    """Show that the custom filters use their expression index (the plan of each page)."""
    with connection.cursor() as cursor:
        for name, what, _, custom, _ in rows:
            if what != "page":
                continue
            sql, params = custom.sql
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            cursor.execute(prefix + sql, params)
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
            print(f"  plan of custom {name}: {plan[:300]}")


def _fill_eav(connection: Any, segment_id: int, size_id: int) -> None:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_custom_value (lead_id bigint NOT NULL, field_id integer NOT NULL,"
            " text_value varchar(255), number_value numeric)"
        )
        if connection.vendor == "postgresql":
            segment_sql, size_sql = "custom ->> 'segment'", "(custom ->> 'deal_size')::numeric"
        else:
            segment_sql, size_sql = (
                "json_extract(custom, '$.segment')",
                ("json_extract(custom, '$.deal_size')"),
            )
        cursor.execute(
            f"INSERT INTO bench_custom_value SELECT id, %s, {segment_sql}, NULL FROM leads_lead",
            [segment_id],
        )
        cursor.execute(
            f"INSERT INTO bench_custom_value SELECT id, %s, NULL, {size_sql} FROM leads_lead",
            [size_id],
        )
        cursor.execute(
            "CREATE INDEX bench_cv_text ON bench_custom_value (field_id, text_value, lead_id)"
        )
        cursor.execute(
            "CREATE INDEX bench_cv_number ON bench_custom_value (field_id, number_value, lead_id)"
        )
    print(f"  EAV table filled in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
