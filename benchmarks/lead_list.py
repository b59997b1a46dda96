"""What the lead list costs with a million leads: first page, a deep page, a search.

    python benchmarks/lead_list.py [--leads 1000000]

Builds a throw-away SQLite installation in a temporary directory, inserts the leads with
one executemany (no ORM objects), then renders /leads/ as an admin and as a rep: the first
page, the page after following the cursor 20 times, a sorted page and a text search.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def _setup(data_dir: str) -> None:
    os.environ["OPPORTUNE_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.test.utils import setup_test_environment

    setup_test_environment()  # responses then carry their template context
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _populate(count: int) -> dict[str, object]:
    from django.db import connection, transaction

    from opportune.identity.models import Role, Team, User
    from opportune.leads.models import Lead, LeadStatus

    rng = random.Random(1)
    team = Team.objects.create(name="Sales")
    admin = User.objects.create_user("admin", password="x", role=Role.ADMIN, team=team)
    reps = [
        User.objects.create_user(f"rep{n}", password="x", role=Role.SALES_REP, team=team)
        for n in range(50)
    ]
    statuses = list(LeadStatus.objects.values_list("pk", flat=True))
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    words = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne"]
    # Every column, so fields added later get their defaults; the interesting ones vary.
    fields = [f for f in Lead._meta.concrete_fields if not f.primary_key]
    # (Stored as the database takes them: a JSON field's default list as JSON text.)
    defaults = {
        f.column: (None if f.null else f.get_db_prep_save(f.get_default(), connection))
        for f in fields
    }
    columns = [f.column for f in fields]
    sql = (
        f"INSERT INTO {Lead._meta.db_table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    batch = []
    with transaction.atomic(), connection.cursor() as cursor:
        for number in range(count):
            moment = start + dt.timedelta(seconds=number * 60)
            company = f"{rng.choice(words)} {number % 50_000}"
            row = dict(defaults)
            row.update(
                first_name="Lena",
                last_name=f"Lead{number}",
                company=company,
                email=f"lead{number}@x.example",
                source="web",
                status_id=rng.choice(statuses),
                owner_id=rng.choice(reps).pk,
                created_at=moment,
                updated_at=moment,
            )
            if "company_key" in row:
                row["company_key"] = company.lower()
            batch.append([row[c] for c in columns])
            if len(batch) == 10_000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
    return {"admin": admin, "rep": reps[0]}


def _measure(client: object, path: str, params: dict[str, str]) -> tuple[int, list[float], object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries, response = [], 0, None
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, params)  # type: ignore[attr-defined]
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries = len(captured)
    return queries, timings, response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opportune-leads-") as data_dir:
        _setup(data_dir)
        from django.test import Client

        started = time.perf_counter()
        world = _populate(args.leads)
        print(f"{args.leads:,} leads inserted in {time.perf_counter() - started:.1f}s (SQLite)\n")
        print(f"{'':<46} {'queries':>7} {'first ms':>10} {'median ms':>10}")
        for who in ("admin", "rep"):
            client = Client(HTTP_HOST="localhost")
            client.force_login(world[who])  # type: ignore[arg-type]
            client.get("/my-work/")
            queries, timings, _ = _measure(client, "/leads/", {})
            row = f"/leads/ first page as {who}"
            print(f"{row:<46} {queries:>7} {timings[0]:>10.1f} {statistics.median(timings):>10.1f}")
            cursor = None
            for _ in range(20):
                page = client.get("/leads/", {"cursor": cursor} if cursor else {}).context["page"]
                cursor = page.next_cursor
            queries, timings, _ = _measure(client, "/leads/", {"cursor": cursor or ""})
            row = "  21st page (cursor)"
            print(f"{row:<46} {queries:>7} {timings[0]:>10.1f} {statistics.median(timings):>10.1f}")
            for label, params in (
                ("  sorted by company", {"sort": "company"}),
                ("  search 'globex 1234'", {"q": "globex 1234", "status": "all"}),
            ):
                queries, timings, _ = _measure(client, "/leads/", params)
                med = statistics.median(timings)
                print(f"{label:<46} {queries:>7} {timings[0]:>10.1f} {med:>10.1f}")
        _counts()
    return 0


def _counts() -> None:
    """The list's total (a COUNT capped at 10,000, opportune.paging.capped_count) against the
    exact COUNT(*) of every lead, the query the pager avoids."""
    from opportune.leads.models import Lead
    from opportune.paging import capped_count

    timings: dict[str, list[float]] = {"capped": [], "exact": []}
    for _ in range(RUNS):
        started = time.perf_counter()
        capped_count(Lead.objects.all())
        timings["capped"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        Lead.objects.count()
        timings["exact"].append((time.perf_counter() - started) * 1000)
    capped, exact = (statistics.median(timings[k]) for k in ("capped", "exact"))
    print(f"\ntotal capped at 10,000: {capped:.1f} ms; exact COUNT(*): {exact:.1f} ms", end="")
    print(f" (ratio {capped / exact:.2f})")


if __name__ == "__main__":
    raise SystemExit(main())
