"""What the pipeline kanban's first render costs with 100,000 open opportunities.

    python benchmarks/kanban.py [--opportunities 100000]

Builds a throw-away SQLite installation in a temporary directory, bulk-creates the open
opportunities across the default pipeline's open stages, then renders /pipeline/ (the
column headers: count, total, weighted amount) and one lazily loaded column, counting
queries and milliseconds, next to a raw SQL baseline doing the same aggregate.
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
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000
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
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise looks there
    # Pages are rendered without collectstatic; the plain storage needs no manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _populate(count: int) -> dict[str, object]:
    from django.utils import timezone

    from opportune.accounts.models import Account, normalize_company
    from opportune.identity.models import Role, Team, User
    from opportune.opportunities.models import Opportunity, Pipeline

    rng = random.Random(1)
    team = Team.objects.create(name="Sales")
    admin = User.objects.create_user("admin", password="x", role=Role.ADMIN, team=team)
    reps = [
        User.objects.create_user(f"rep{n}", password="x", role=Role.SALES_REP, team=team)
        for n in range(20)
    ]
    names = [f"Company {n}" for n in range(5000)]
    accounts = Account.objects.bulk_create(
        [
            Account(name=name, normalized_name=normalize_company(name), owner=rng.choice(reps))
            for name in names
        ],
        batch_size=BATCH,
    )
    pipeline = Pipeline.default()
    stages = list(pipeline.stages.filter(is_closed=False, is_active=True))
    now, today = timezone.now(), timezone.localdate()
    rows = []
    for number in range(count):
        stage = rng.choice(stages)
        rows.append(
            Opportunity(
                name=f"Deal {number}",
                account=rng.choice(accounts),
                owner=rng.choice(reps),
                pipeline=pipeline,
                stage=stage,
                amount=Decimal(rng.randrange(1_000, 200_000)),
                probability=stage.default_probability,
                forecast_category=stage.forecast_category,
                close_date=today + dt.timedelta(days=rng.randrange(-30, 365)),
                stage_changed_at=now - dt.timedelta(days=rng.randrange(0, 120)),
            )
        )
    Opportunity.objects.bulk_create(rows, batch_size=BATCH)
    return {"admin": admin, "rep": reps[0], "pipeline": pipeline}


def _measure(client: object, path: str) -> tuple[int, list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries, size = [], 0, 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)  # type: ignore[attr-defined]
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries, size = len(captured), len(response.content)
    return queries, timings, size


def _raw_baseline(pipeline_id: int) -> list[float]:
    from django.db import connection

    sql = (
        "SELECT stage_id, COUNT(*), SUM(amount), SUM(expected_revenue) "
        "FROM opportunities_opportunity WHERE pipeline_id = %s AND NOT is_closed "
        "GROUP BY stage_id"
    )
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, [pipeline_id])
            cursor.fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _line(label: str, queries: int | str, timings: list[float], note: str = "") -> str:
    first, median = timings[0], statistics.median(timings)
    return f"{label:<44} {queries!s:>7} {first:>10.1f} {median:>10.1f}  {note}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opportune-kanban-") as data_dir:
        _setup(data_dir)
        from django.test import Client

        started = time.perf_counter()
        world = _populate(args.opportunities)
        took = time.perf_counter() - started
        print(f"{args.opportunities:,} open opportunities created in {took:.1f}s (SQLite)\n")
        print(f"{'':<44} {'queries':>7} {'first ms':>10} {'median ms':>10}")
        raw = _raw_baseline(world["pipeline"].pk)  # type: ignore[attr-defined]
        print(_line("raw SQL: the grouped column aggregate", 1, raw))
        warm = Client(HTTP_HOST="localhost")
        warm.force_login(world["rep"])  # type: ignore[arg-type]
        warm.get("/my-work/")  # load templates and URLs once, as a running server has
        for who in ("admin", "rep"):
            client = Client(HTTP_HOST="localhost")
            client.force_login(world[who])  # type: ignore[arg-type]
            queries, timings, size = _measure(client, "/pipeline/")
            print(_line(f"/pipeline/ first render as {who}", queries, timings, f"{size:,} bytes"))
            queries, timings, size = _measure(client, "/pipeline/sales/column/prospecting/")
            print(
                _line(
                    f"  one column's first 50 cards as {who}", queries, timings, f"{size:,} bytes"
                )
            )
        print(
            f"\n(each figure over {RUNS} runs; the page holds headers only, each column then "
            "fetches its 50 newest cards)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
