"""A one-quarter forecast with team roll-up over 1,000,000 opportunities, against raw SQL; and
the predicted forecast read from its stored model, with the model's fit time.

    python benchmarks/forecast.py [--rows 1000000] [--databases sqlite,postgres]
        [--postgres-url postgres://opportune:opportune@localhost:5432/opportune_bench]
        [--repeat 9] [--sqlite-dir DIR] [--reuse]

For each database, on a fresh schema with every migration applied (SQLite: a file in a
temporary directory; PostgreSQL: the database of --postgres-url, dropped and created again),
writes a company of 1,000 reps in 50 teams under 5 regions under one root, ``--rows``
opportunities spread over 12 quarters (2024-2026) with their history (a first row, a stage
change for most, an amount change for some: about 2.3 rows each), then times the median of
``--repeat`` runs of:

- ``forecast``: ``forecast_for(admin, [2025-Q3])``, the whole company rolled up the teams
  (the same call the API and the forecast page make), and the same for a region's manager
  (whose visibility filter joins the owner's team);
- ``raw``: the best single SQL statement for the same numbers: amount, count and expected
  revenue per owner and forecast category for the quarter, and the same summed up every
  team's ancestry with a recursive CTE;
- ``raw grouped``: only the per-owner GROUP BY, the floor any forecast pays.

The quarter is an index-only range scan on the migrated index ``opp_forecast``
(close_date, owner_id, forecast_category, amount, expected_revenue). With
``--reuse`` (and ``--sqlite-dir``), a later run times the data an earlier one wrote.

- ``predicted``: the model fitted once (``fit_all``, timed: history read, learning and the
  monthly and quarterly replay), then ``predicted_forecast`` of this quarter and the next
  three for the admin and a region's manager, next to ``RAW_PREDICTED``, the raw SQL of the
  same grouped reads (open deals, won amounts by close date).

Each database runs in its own process. Prints milliseconds and the forecast / raw ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUARTER = "2025-Q3"
FIRST_DAY = dt.date(2024, 1, 1)
DAYS = 3 * 365
REGIONS, TEAMS_PER_REGION, REPS_PER_TEAM = 5, 10, 20
CHUNK = 50_000

RAW_GROUPED = """
SELECT owner_id, forecast_category, SUM(amount), COUNT(*), SUM(expected_revenue)
FROM opportunities_opportunity
WHERE close_date >= %s AND close_date <= %s AND deleted_at IS NULL
GROUP BY owner_id, forecast_category
"""

RAW_ROLLED_UP = """
WITH RECURSIVE ancestry(team_id, ancestor_id) AS (
    SELECT id, id FROM identity_team
    UNION ALL
    SELECT a.team_id, t.parent_id
    FROM ancestry a JOIN identity_team t ON t.id = a.ancestor_id
    WHERE t.parent_id IS NOT NULL
), per_owner AS (
    SELECT owner_id, forecast_category, SUM(amount) AS amount, COUNT(*) AS deals,
           SUM(expected_revenue) AS weighted
    FROM opportunities_opportunity
    WHERE close_date >= %s AND close_date <= %s AND deleted_at IS NULL
    GROUP BY owner_id, forecast_category
)
SELECT 'owner', owner_id, forecast_category, amount, deals, weighted FROM per_owner
UNION ALL
SELECT 'team', an.ancestor_id, p.forecast_category, SUM(p.amount), SUM(p.deals), SUM(p.weighted)
FROM per_owner p
JOIN identity_user u ON u.id = p.owner_id
JOIN ancestry an ON an.team_id = u.team_id
GROUP BY an.ancestor_id, p.forecast_category
"""

# --- the parent process: one child per database -----------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url", default="postgres://opportune:opportune@localhost:5432/opportune_bench"
    )
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--sqlite-dir", help="keep the SQLite database in this folder (default: a new temp one)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the data a previous run left (same --rows, --sqlite-dir) instead of writing it",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args)), flush=True)
        return

    print(f"Forecast of {QUARTER} with team roll-up, {args.rows:,} opportunities")
    for database in args.databases.split(","):
        command = [sys.executable, __file__, "--child", database, "--rows", str(args.rows)]
        command += ["--postgres-url", args.postgres_url, "--repeat", str(args.repeat)]
        if args.reuse:
            command.append("--reuse")
        if args.sqlite_dir:
            command += ["--sqlite-dir", args.sqlite_dir]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            print(done.stdout, done.stderr, file=sys.stderr)
            raise SystemExit(f"{database}: the benchmark failed")
        found = json.loads(done.stdout.strip().splitlines()[-1])
        report(database, found)
        report_predicted(found["predicted"])


def report(database: str, found: dict) -> None:  # type: ignore[type-arg]
    print()
    print(
        f"{database}: {found['opportunities']:,} opportunities, {found['history']:,} history "
        f"rows, {found['quarter_deals']:,} closing in {QUARTER} "
        f"(written in {found['load_s']:.0f} s)"
    )
    for label, timings in found["timings"].items():
        forecast, manager = timings["forecast"], timings["manager"]
        raw, grouped = timings["raw"], timings["raw_grouped"]
        print(f"  {label}:")
        print(f"    forecast (admin, whole company)   {forecast:8.1f} ms")
        print(f"    forecast (a region's manager)     {manager:8.1f} ms")
        print(f"    raw SQL, grouped and rolled up    {raw:8.1f} ms   ratio {forecast / raw:5.2f}")
        ratio = forecast / grouped
        print(f"    raw SQL, grouped per owner only   {grouped:8.1f} ms   ratio {ratio:5.2f}")
        print(f"    queries per forecast              {timings['queries']:8d}")


# --- the child process: one database ------------------------------------------------------------


def run(args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    if args.child == "postgres":
        if not args.reuse:
            _recreate_postgres(args.postgres_url)
        os.environ["DATABASE_URL"] = args.postgres_url
    else:
        folder = args.sqlite_dir or tempfile.mkdtemp(prefix="opportune-bench-")
        if not args.reuse and (Path(folder) / "opportune.sqlite3").exists():
            (Path(folder) / "opportune.sqlite3").unlink()
        os.environ["OPPORTUNE_DATA_DIR"] = folder
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("OPPORTUNE_SECRET_KEY", "benchmark")
    os.environ["DJANGO_SETTINGS_MODULE"] = "opportune.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from opportune.fiscal import parse_period
    from opportune.opportunities.models import Opportunity, OpportunityHistory

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if args.reuse and Opportunity.objects.count() == args.rows:
        history = OpportunityHistory.objects.count()
    else:
        history = populate(args.rows, args.child)
    loaded = time.perf_counter() - started
    _analyze(args.child)
    timings = {"as migrated": measure(args.repeat)}
    predicted = measure_predicted(args.repeat)
    quarter = parse_period(QUARTER, 1)
    found = {
        "opportunities": args.rows,
        "history": history,
        "quarter_deals": Opportunity.objects.filter(
            close_date__range=(quarter.start, quarter.end)
        ).count(),
        "load_s": loaded,
        "timings": timings,
        "predicted": predicted,
    }
    if args.child == "sqlite" and not args.sqlite_dir:
        shutil.rmtree(os.environ["OPPORTUNE_DATA_DIR"], ignore_errors=True)
    return found


def _analyze(database: str) -> None:
    """Fresh statistics (and, on PostgreSQL, the visibility map that index-only scans need,
    which autovacuum keeps in production)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE opportunities_opportunity" if database == "postgres" else "ANALYZE"
        )


def _recreate_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def populate(rows: int, database: str) -> int:
    """The company, its accounts, ``rows`` opportunities and their history; returns the
    number of history rows. Written with executemany (SQLite) or COPY (PostgreSQL)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from opportune.accounts.models import Account
    from opportune.identity.models import Role, Team, User
    from opportune.opportunities.models import Pipeline

    rng = random.Random(7)
    root = Team.objects.create(name="Company")
    reps: list[int] = []
    password = make_password(None)
    for r in range(REGIONS):
        region = Team.objects.create(name=f"Region {r}", parent=root)
        manager = User.objects.create(
            username=f"region{r}", role=Role.SALES_MANAGER, team=region, password=password
        )
        region.manager = manager
        region.save()
        for t in range(TEAMS_PER_REGION):
            team = Team.objects.create(name=f"Team {r}.{t}", parent=region)
            members = User.objects.bulk_create(
                User(username=f"rep{r}.{t}.{m}", role=Role.SALES_REP, team=team, password=password)
                for m in range(REPS_PER_TEAM)
            )
            reps += [member.pk for member in members]
    User.objects.create(username="admin", role=Role.ADMIN, is_superuser=True, password=password)
    accounts = [
        a.pk
        for a in Account.objects.bulk_create(
            Account(name=f"Account {i}", normalized_name=f"account {i}") for i in range(10_000)
        )
    ]
    pipeline = Pipeline.default()
    stages = list(pipeline.stages.order_by("order"))
    open_stages = [s for s in stages if not s.is_closed]
    won = next(s for s in stages if s.is_won)
    lost = next(s for s in stages if s.is_closed and not s.is_won)

    opportunity_columns = [
        "name", "account_id", "owner_id", "pipeline_id", "stage_id", "amount", "probability",
        "close_date", "forecast_category", "type", "lead_source", "campaign", "next_step",
        "description", "is_closed", "is_won", "closed_at", "stage_changed_at", "created_at",
        "updated_at",
    ]  # fmt: skip
    history_columns = [
        "opportunity_id", "stage_id", "amount", "probability", "close_date", "forecast_category",
        "previous_amount", "previous_close_date", "changed_at",
    ]  # fmt: skip
    sources = ["web", "referral", "event", "partner", "cold_call"]
    history_count = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM opportunities_opportunity")
        next_id = cursor.fetchone()[0] + 1
    for chunk_start in range(0, rows, CHUNK):
        opportunities, history = [], []
        for number in range(chunk_start, min(rows, chunk_start + CHUNK)):
            close = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
            created = dt.datetime.combine(
                close - dt.timedelta(days=rng.randrange(10, 180)), dt.time(9), tzinfo=dt.UTC
            )
            draw = rng.random()
            stage = won if draw < 0.25 else lost if draw < 0.4 else rng.choice(open_stages)
            first = open_stages[0]
            amount = rng.randrange(1_000, 100_000)
            changed = created + dt.timedelta(days=rng.randrange(1, 9))
            closed_at = changed if stage.is_closed else None
            opportunities.append(
                (
                    f"Deal {number}", rng.choice(accounts), rng.choice(reps), pipeline.pk,
                    stage.pk, amount, stage.default_probability, close, stage.forecast_category,
                    "new_business", rng.choice(sources), "", "", "", stage.is_closed,
                    stage.is_won, closed_at, changed, created, changed,
                )
            )  # fmt: skip
            pk = next_id + number
            history.append(
                (pk, first.pk, amount, first.default_probability, close,
                 first.forecast_category, None, None, created)
            )  # fmt: skip
            if stage.pk != first.pk:
                history.append(
                    (pk, stage.pk, amount, stage.default_probability, close,
                     stage.forecast_category, amount, close, changed)
                )  # fmt: skip
            if rng.random() < 0.3:
                history.append(
                    (pk, stage.pk, amount, stage.default_probability, close,
                     stage.forecast_category, amount, close, changed + dt.timedelta(hours=1))
                )  # fmt: skip
        with transaction.atomic():
            _write(database, "opportunities_opportunity", opportunity_columns, opportunities)
            _write(database, "opportunities_opportunityhistory", history_columns, history)
        history_count += len(history)
        print(f"{database}: {chunk_start + len(opportunities):,} opportunities", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return history_count


def _write(database: str, table: str, columns: list[str], rows: list[tuple]) -> None:  # type: ignore[type-arg]
    from django.db import connection

    with connection.cursor() as cursor:
        if database == "postgres":
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(_sqlite(v) for v in row) for row in rows],
            )


def _sqlite(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _median_ms(action, repeat: int) -> float:  # type: ignore[no-untyped-def]
    action()  # warm the caches
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        found.append((time.perf_counter() - started) * 1000)
    return statistics.median(found)


def measure(repeat: int) -> dict:  # type: ignore[type-arg]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opportune.fiscal import parse_period
    from opportune.forecasting.forecast import forecast_for
    from opportune.identity.models import User

    quarter = parse_period(QUARTER, 1)
    admin = User.objects.get(username="admin")
    bounds = (quarter.start, quarter.end)

    manager = User.objects.get(username="region0")

    def forecast() -> None:
        forecast_for(admin, [quarter])

    def manager_forecast() -> None:
        manager.__dict__.pop("_visible_team_ids", None)  # a new request: visibility again
        forecast_for(manager, [quarter])

    def raw(statement: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement, bounds)
            cursor.fetchall()

    with CaptureQueriesContext(connection) as queries:
        found = forecast_for(admin, [quarter])
    with connection.cursor() as cursor:
        cursor.execute(RAW_GROUPED, bounds)
        raw_total = sum(Decimal(str(row[2] or 0)) for row in cursor.fetchall())
    forecast_total = sum(found.total.amounts.values())
    if abs(raw_total - forecast_total) > Decimal("0.01") * len(found.total.amounts):
        raise SystemExit(f"The forecast ({forecast_total}) and raw SQL ({raw_total}) disagree.")
    return {
        "forecast": _median_ms(forecast, repeat),
        "manager": _median_ms(manager_forecast, repeat),
        "raw": _median_ms(lambda: raw(RAW_ROLLED_UP), repeat),
        "raw_grouped": _median_ms(lambda: raw(RAW_GROUPED), repeat),
        "queries": len(queries),
    }


# --- the predicted forecast: the stored model's read, and its fit --------------------------------

RAW_PREDICTED = {
    # The same reads as opportune.forecasting.predicted for a viewer who sees every deal: open
    # deals grouped alike, won amounts by close date, deals created over the last 91 days.
    "sqlite": [
        """SELECT pipeline_id, stage_id, date(COALESCE(stage_changed_at, created_at)),
                  date(created_at), close_date, probability, SUM(CAST(amount AS REAL)),
                  SUM(CAST(amount * amount AS REAL)), COUNT(*)
           FROM opportunities_opportunity
           WHERE deleted_at IS NULL AND NOT is_closed AND forecast_category IN
                 ('pipeline', 'best_case', 'commit')
           GROUP BY 1, 2, 3, 4, 5, 6""",
        """SELECT pipeline_id, close_date, SUM(CAST(amount AS REAL))
           FROM opportunities_opportunity
           WHERE deleted_at IS NULL AND is_won AND close_date >= %s AND close_date <= %s
           GROUP BY 1, 2""",
    ],
    "postgresql": [
        """SELECT pipeline_id, stage_id, CAST(COALESCE(stage_changed_at, created_at) AS DATE),
                  CAST(created_at AS DATE), close_date, probability,
                  SUM(amount::float8), SUM((amount * amount)::float8), COUNT(*)
           FROM opportunities_opportunity
           WHERE deleted_at IS NULL AND NOT is_closed AND forecast_category IN
                 ('pipeline', 'best_case', 'commit')
           GROUP BY 1, 2, 3, 4, 5, 6""",
        """SELECT pipeline_id, close_date, SUM(amount::float8)
           FROM opportunities_opportunity
           WHERE deleted_at IS NULL AND is_won AND close_date >= %s AND close_date <= %s
           GROUP BY 1, 2""",
    ],
}


def measure_predicted(repeat: int) -> dict:  # type: ignore[type-arg]
    """Fit the model once (timed), then time the predicted forecast of this quarter and the
    next three for the admin and a region's manager, next to the raw SQL of the same reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opportune.forecasting.fitting import fit_all
    from opportune.forecasting.periods import current_period, period_range
    from opportune.forecasting.predicted import predicted_forecast
    from opportune.identity.models import User

    started, cpu = time.perf_counter(), time.process_time()
    [fit] = fit_all()
    fit_s, fit_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    now = current_period()
    periods = period_range(now.key, now.shifted(3).key)
    admin = User.objects.get(username="admin")
    manager = User.objects.get(username="region0")

    def admin_read() -> None:
        predicted_forecast(admin, periods)

    def manager_read() -> None:
        manager.__dict__.pop("_visible_team_ids", None)  # a new request: visibility again
        predicted_forecast(manager, periods)

    def raw() -> None:
        with connection.cursor() as cursor:
            for statement in RAW_PREDICTED[connection.vendor]:
                cursor.execute(
                    statement, (periods[0].start, periods[-1].end) if "%s" in statement else ()
                )
                cursor.fetchall()

    with CaptureQueriesContext(connection) as queries:
        admin_read()
    return {
        "fit_s": fit_s,
        "fit_cpu_s": fit_cpu_s,
        "fit_history_rows": fit.history_rows,
        "fit_months": len(fit.parameters["errors"].get("month", [])),
        "admin": _median_ms(admin_read, repeat),
        "manager": _median_ms(manager_read, repeat),
        "raw": _median_ms(raw, repeat),
        "queries": len(queries),
    }


def report_predicted(found: dict) -> None:  # type: ignore[type-arg]
    admin, manager, raw = found["admin"], found["manager"], found["raw"]
    print("  predicted forecast, 4 quarters from the stored model:")
    print(
        f"    model fit (history {found['fit_history_rows']:,} rows, "
        f"{found['fit_months']} months replayed)  {found['fit_s']:8.1f} s "
        f"({found['fit_cpu_s']:.1f} s of CPU in this process)"
    )
    print(f"    read (admin, whole company)       {admin:8.1f} ms   ratio {admin / raw:5.2f}")
    print(f"    read (a region's manager)         {manager:8.1f} ms")
    print(f"    raw SQL, the same grouped reads   {raw:8.1f} ms")
    print(f"    queries per read                  {found['queries']:8d}")


if __name__ == "__main__":
    main()
