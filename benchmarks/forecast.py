"""A one-quarter forecast with team roll-up over 1,000,000 opportunities, against raw SQL; and
the predicted forecast read from its stored model, with the model's fit time.

    python benchmarks/forecast.py [--rows 1000000] [--databases sqlite,postgres]
        [--postgres-url postgres://opportune:opportune@localhost:5432/opportune_bench]
        [--repeat 9] [--sqlite-dir DIR] [--reuse [--reuse-fit]]

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
  reads grouped by every field (open deals, won amounts by close date: what the read did
  before it grouped by what chances depend on), and next to the admin read's own SELECTs
  replayed raw through the cursor (ratio against the latter).

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
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

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
    parser.add_argument(
        "--predicted-only",
        action="store_true",
        help="time only the predicted forecast's fit and read (writing the deals unless --reuse)",
    )
    parser.add_argument(
        "--reuse-fit",
        action="store_true",
        help="with --reuse: time the read of the newest stored fit instead of fitting again",
    )
    parser.add_argument(
        "--analytics-only",
        action="store_true",
        help="time only the snapshot backfill and the analytics reports",
    )
    parser.add_argument(
        "--snapshot-since",
        default="",
        help="backfill the daily snapshots of every day from this one (default: only the 14 "
        "days the reports read, one statement)",
    )
    parser.add_argument(
        "--reports",
        default="",
        help="with --analytics-only: time only these reports (comma-separated names as "
        "printed, e.g. 'funnel,summary'); the snapshots are backfilled only for pipeline ones",
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
        if args.reuse_fit:
            command.append("--reuse-fit")
        if args.predicted_only:
            command.append("--predicted-only")
        if args.analytics_only:
            command.append("--analytics-only")
        if args.snapshot_since:
            command += ["--snapshot-since", args.snapshot_since]
        if args.reports:
            command += ["--reports", args.reports]
        if args.sqlite_dir:
            command += ["--sqlite-dir", args.sqlite_dir]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            print(done.stdout, done.stderr, file=sys.stderr)
            raise SystemExit(f"{database}: the benchmark failed")
        found = json.loads(done.stdout.strip().splitlines()[-1])
        if args.analytics_only:
            report_analytics(database, found)
            continue
        if not args.predicted_only:
            report(database, found)
            report_analytics(database, found)
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
    if args.predicted_only:
        if not (args.reuse and Opportunity.objects.count() == args.rows):
            populate(args.rows, args.child)
            _analyze(args.child)
        return {"predicted": measure_predicted(args.repeat, args.reuse and args.reuse_fit)}
    started = time.perf_counter()
    if args.reuse and Opportunity.objects.count() == args.rows:
        history = OpportunityHistory.objects.count()
    else:
        history = populate(args.rows, args.child)
    loaded = time.perf_counter() - started
    leads_loaded = populate_leads(args.rows // 2, args.child, keep=args.reuse)
    _analyze(args.child)
    only = {name.strip() for name in args.reports.split(",") if name.strip()}
    snapshots: dict[str, float] | None = None
    if not only or any(name.startswith("pipeline") for name in only):
        snapshots = backfill_snapshots(
            dt.date.fromisoformat(args.snapshot_since) if args.snapshot_since else None
        )
        _analyze(args.child)
    elif only & {"time in stage", "win rates by stage"}:  # the stays and reach they read
        snapshots = rebuild_stays()
    if args.analytics_only:
        analytics = measure_analytics(max(1, args.repeat // 3), only or None)
        return {"analytics": analytics, "leads": leads_loaded, "snapshots": snapshots}
    timings = {"as migrated": measure(args.repeat)}
    analytics = measure_analytics(max(1, args.repeat // 3))
    predicted = measure_predicted(args.repeat, args.reuse and args.reuse_fit)
    quarter = parse_period(QUARTER, 1)
    found = {
        "opportunities": args.rows,
        "history": history,
        "quarter_deals": Opportunity.objects.filter(
            close_date__range=(quarter.start, quarter.end)
        ).count(),
        "load_s": loaded,
        "timings": timings,
        "analytics": analytics,
        "leads": leads_loaded,
        "snapshots": snapshots,
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
        "updated_at", "custom",
    ]  # fmt: skip
    history_columns = [
        "opportunity_id", "deal_owner_id", "stage_id", "amount", "probability", "close_date",
        "forecast_category", "previous_amount", "previous_close_date", "changed_at",
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
            account, owner = rng.choice(accounts), rng.choice(reps)  # (the draws' order kept)
            opportunities.append(
                (
                    f"Deal {number}", account, owner, pipeline.pk,
                    stage.pk, amount, stage.default_probability, close, stage.forecast_category,
                    "new_business", rng.choice(sources), "", "", "", stage.is_closed,
                    stage.is_won, closed_at, changed, created, changed, "{}",
                )
            )  # fmt: skip
            pk = next_id + number
            history.append(
                (pk, owner, first.pk, amount, first.default_probability, close,
                 first.forecast_category, None, None, created)
            )  # fmt: skip
            if stage.pk != first.pk:
                history.append(
                    (pk, owner, stage.pk, amount, stage.default_probability, close,
                     stage.forecast_category, amount, close, changed)
                )  # fmt: skip
            if rng.random() < 0.3:
                history.append(
                    (pk, owner, stage.pk, amount, stage.default_probability, close,
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


# --- analytics: each report of /api/v1/analytics next to raw SQL doing the same work -----------

ANALYTICS_YEAR = ("2025-Q1", "2025-Q4")  # the close-date (or creation) periods asked for
TREND_DAYS = [dt.date(2025, month, 28) for month in range(1, 13)]
CHANGES = (dt.date(2025, 7, 1), dt.date(2025, 9, 30))
LEAD_COLUMNS = [
    "first_name", "last_name", "company", "title", "email", "phone", "website", "industry",
    "street", "city", "state", "postal_code", "country", "source", "campaign", "utm_source",
    "utm_medium", "utm_campaign", "rating", "description", "do_not_call", "email_opt_out",
    "budget_confirmed", "decision_maker", "decision_maker_title", "authority_confirmed",
    "need_description", "need_identified", "disqualify_reason", "is_converted", "converted_at",
    "created_at", "updated_at", "converted_opportunity_id", "owner_id", "status_id",
    "company_key", "email_key", "name_key", "phone_key", "custom", "score_reasons",
]  # fmt: skip


def populate_leads(count: int, database: str, keep: bool = False) -> int:
    """``count`` leads over the three years (unless there are that many already, or any with
    ``keep``: a reused database is timed as it is): a fifth converted into one of the deals,
    the others in every status."""
    from django.db import transaction

    from opportune.identity.models import Role, User
    from opportune.leads.models import Lead, LeadStatus
    from opportune.opportunities.models import Opportunity

    if Lead.objects.count() >= count or (keep and Lead.objects.exists()):
        return Lead.objects.count()
    rng = random.Random(11)
    statuses = dict(LeadStatus.objects.values_list("key", "pk"))
    reps = list(User.objects.filter(role=Role.SALES_REP).values_list("pk", flat=True))
    first_deal = Opportunity.objects.order_by("pk").values_list("pk", flat=True).first() or 0
    deals = Opportunity.objects.count()
    sources = ["web", "referral", "event", "partner", "cold_call"]
    for chunk_start in range(0, count, CHUNK):
        rows = []
        for number in range(chunk_start, min(count, chunk_start + CHUNK)):
            created = dt.datetime.combine(
                FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS)), dt.time(10), tzinfo=dt.UTC
            )
            converted = rng.random() < 0.2
            status = (
                "converted"
                if converted
                else rng.choice(["new", "working", "nurturing", "qualified"])
            )
            rows.append(
                ("Lena", f"Lead {number}", f"Company {number}", "", "", "", "", "", "", "",
                 "", "", "", rng.choice(sources), "", "", "", "", "", "", False, False, False,
                 "", "", False, "", False, "", converted,
                 created + dt.timedelta(days=3) if converted else None, created, created,
                 first_deal + rng.randrange(deals) if converted else None, rng.choice(reps),
                 statuses[status], f"company {number}", "", f"lena lead {number}", "", "{}",
                 "[]")
            )  # fmt: skip
        with transaction.atomic():
            _write(database, "leads_lead", LEAD_COLUMNS, rows)
        print(f"{database}: {chunk_start + len(rows):,} leads", file=sys.stderr)
    return count


RAW_FUNNEL = """
SELECT {group} AS grouped, COUNT(*),
       SUM(CASE WHEN s.is_default = %s OR l.is_converted THEN 1 ELSE 0 END),
       SUM(CASE WHEN s.key = 'qualified' OR l.is_converted THEN 1 ELSE 0 END),
       SUM(CASE WHEN l.is_converted THEN 1 ELSE 0 END),
       SUM(CASE WHEN o.id IS NOT NULL THEN 1 ELSE 0 END),
       AVG(CASE WHEN l.is_converted THEN {to_convert} END)
FROM leads_lead l
JOIN leads_leadstatus s ON s.id = l.status_id
LEFT JOIN opportunities_opportunity o ON o.id = l.converted_opportunity_id
     AND o.is_won AND o.deleted_at IS NULL {won_owners}
WHERE l.created_at >= %s AND l.created_at < %s AND l.deleted_at IS NULL {owners}
GROUP BY grouped
"""
RAW_WIN_RATES = """
SELECT {group}, SUM(CASE WHEN is_won THEN 1 ELSE 0 END),
       SUM(CASE WHEN is_won THEN 0 ELSE 1 END), SUM(CASE WHEN is_won THEN amount END)
FROM opportunities_opportunity
WHERE is_closed AND close_date >= %s AND close_date <= %s AND deleted_at IS NULL {owners}
GROUP BY {group}
"""
# By name, the page's and API's cut: the 100 names with the most closed deals, and how many
# names there are (one per deal, nearly, in this data).
RAW_TOP_RATES = """
SELECT name, SUM(CASE WHEN is_won THEN 1 ELSE 0 END),
       SUM(CASE WHEN is_won THEN 0 ELSE 1 END), SUM(CASE WHEN is_won THEN amount END),
       COUNT(*) AS closed, COUNT(*) OVER ()
FROM opportunities_opportunity
WHERE is_closed AND close_date >= %s AND close_date <= %s AND deleted_at IS NULL {owners}
GROUP BY name ORDER BY closed DESC, name LIMIT 100
"""
# A manager's: her owners' deals and the unowned ones each grouped on their own index range,
# added up and cut after (as ``analytics.rate_table`` does).
RAW_TOP_RATES_PARTS = """
SELECT name, SUM(won), SUM(lost), SUM(won_amount), SUM(closed) AS total, COUNT(*) OVER ()
FROM (
    SELECT name, SUM(CASE WHEN is_won THEN 1 ELSE 0 END) AS won,
           SUM(CASE WHEN is_won THEN 0 ELSE 1 END) AS lost,
           SUM(CASE WHEN is_won THEN amount END) AS won_amount, COUNT(*) AS closed
    FROM opportunities_opportunity
    WHERE is_closed AND close_date >= %s AND close_date <= %s AND deleted_at IS NULL {owners}
    GROUP BY name
    UNION ALL
    SELECT name, SUM(CASE WHEN is_won THEN 1 ELSE 0 END),
           SUM(CASE WHEN is_won THEN 0 ELSE 1 END),
           SUM(CASE WHEN is_won THEN amount END), COUNT(*)
    FROM opportunities_opportunity
    WHERE is_closed AND close_date >= %s AND close_date <= %s AND deleted_at IS NULL
          AND owner_id IS NULL
    GROUP BY name
) parts
GROUP BY name ORDER BY total DESC, name LIMIT 100
"""
RAW_SPANS = """
WITH s AS (
    SELECT opportunity_id, stage_id, amount, probability, forecast_category, changed_at,
           LEAD(changed_at) OVER (PARTITION BY opportunity_id ORDER BY changed_at, id) AS until
    FROM opportunities_opportunityhistory WHERE changed_at < %s
), m(idx, moment_at) AS ({values})
SELECT m.idx, s.stage_id, s.forecast_category, COUNT(*), SUM(s.amount),
       SUM(s.amount * s.probability)
FROM s JOIN m ON s.changed_at < m.moment_at AND (s.until IS NULL OR s.until >= m.moment_at)
JOIN opportunities_stage st ON st.id = s.stage_id
WHERE {inside}
GROUP BY m.idx, s.stage_id, s.forecast_category
"""
# The summary as two aggregates, each a range of a covering index: the deals closed in the
# periods (won, lost, won amount, cycle) and today's open pipeline; a manager's once for her
# owners and once for the unowned deals (an OR would read all her deals).
RAW_SUMMARY_CLOSED = """
SELECT SUM(CASE WHEN is_won THEN 1 ELSE 0 END), SUM(CASE WHEN is_won THEN 0 ELSE 1 END),
       SUM(CASE WHEN is_won THEN amount END), SUM(CASE WHEN is_won THEN {cycle} END)
FROM opportunities_opportunity
WHERE deleted_at IS NULL AND is_closed AND close_date BETWEEN %s AND %s {owners}
"""
RAW_SUMMARY_OPEN = """
SELECT COUNT(*), SUM(amount) FROM opportunities_opportunity
WHERE deleted_at IS NULL AND NOT is_closed
  AND forecast_category IN ('pipeline', 'best_case', 'commit') {owners}
"""
# Per database: days from creation to conversion / close (the reports' averages), natively.
RAW_DAYS = {
    "sqlite": ("julianday(l.converted_at) - julianday(l.created_at)",
               "julianday(close_date) - julianday(date(created_at))"),
    "postgresql": ("EXTRACT(EPOCH FROM l.converted_at - l.created_at)",
                   "close_date - CAST(created_at AS DATE)"),
}  # fmt: skip
RAW_GROUPS = {"period": "{bucket}", "owner": "l.owner_id", "source": "l.source",
              "campaign": "l.campaign"}  # fmt: skip


RAW_SNAPSHOT = """
SELECT day, stage_id, forecast_category, SUM(count), SUM(amount), SUM(amount_x_probability)
FROM forecasting_pipelinesnapshot WHERE day IN ({days}) AND close_month IS NULL {owners}
GROUP BY day, stage_id, forecast_category
"""
# The changes' flows and first 500 changed deals by hand: the deals with a row in the window,
# probed for their newest row before each end, classified, grouped and listed at once.
RAW_CHANGED = """
{states}
), f AS (
    SELECT d.opportunity_id, d.name, d.b_id AS before_id, d.b_amount AS before_amount,
           d.amount AS after_amount,
           CASE WHEN d.b_id IS NOT NULL AND NOT sb.is_closed
                     AND d.b_category IN ('pipeline', 'best_case', 'commit')
                THEN 1 ELSE 0 END AS was_in,
           CASE WHEN NOT sa.is_closed
                     AND d.forecast_category IN ('pipeline', 'best_case', 'commit')
                THEN 1 ELSE 0 END AS now_in,
           CASE WHEN sa.is_closed
                     AND (d.b_id IS NULL OR NOT sb.is_closed OR sb.is_won <> sa.is_won)
                THEN CASE WHEN sa.is_won THEN 2 ELSE 1 END ELSE 0 END AS closed_now
    FROM d JOIN opportunities_stage sa ON sa.id = d.stage_id
    LEFT JOIN opportunities_stage sb ON sb.id = d.b_stage_id
), c AS (
    SELECT opportunity_id, name, before_amount, after_amount,
           CASE WHEN was_in = 1 AND (now_in = 1 OR closed_now > 0)
                THEN CASE WHEN COALESCE(after_amount, 0) <> COALESCE(before_amount, 0)
                          THEN 'amount_changed' END
                WHEN now_in = 1 OR closed_now > 0
                THEN CASE WHEN before_id IS NULL THEN 'new' ELSE 'moved_in' END
                WHEN was_in = 1 THEN 'moved_out' END AS kind,
           CASE closed_now WHEN 2 THEN 'won' WHEN 1 THEN 'lost' END AS closing
    FROM f
), k AS (SELECT * FROM c WHERE kind IS NOT NULL OR closing IS NOT NULL)
SELECT 0, kind, closing, COUNT(*), SUM(COALESCE(after_amount, 0) - COALESCE(before_amount, 0)),
       SUM(COALESCE(before_amount, 0)), SUM(COALESCE(after_amount, 0)), NULL, NULL
FROM k GROUP BY kind, closing
UNION ALL
SELECT * FROM (
    SELECT 1, k.kind, k.closing, k.opportunity_id, k.before_amount, k.after_amount,
           CAST(NULL AS NUMERIC),
           COALESCE(k.kind, k.closing), k.name
    FROM k ORDER BY COALESCE(k.kind, k.closing), k.name, k.opportunity_id LIMIT 500
) listed
"""
# The two states (and the name) of each such deal: by id on SQLite, lateral on PostgreSQL.
# The rows changed in the window with their values ({rows}), each deal's newest its state at
# the end: every deal's (the index on (changed_at, ...)), or (for a manager) those of her
# owners and the unowned ones, from the rows' copy of the deal's owner (a range per owner).
RAW_ROWS_ALL = """SELECT {columns} FROM opportunities_opportunityhistory{hint}
    WHERE changed_at >= %s AND changed_at < %s"""
RAW_ROWS_OWNED = """SELECT {columns} FROM opportunities_opportunityhistory
        WHERE deal_owner_id IN ({owner_ids}) AND changed_at >= %s AND changed_at < %s
    UNION ALL
    SELECT {columns} FROM opportunities_opportunityhistory
        WHERE deal_owner_id IS NULL AND changed_at >= %s AND changed_at < %s"""
RAW_ROW = "opportunity_id, changed_at, id, stage_id, amount, close_date, forecast_category"
RAW_STATES = {
    "sqlite": """
WITH x AS (
    SELECT y.opportunity_id, o.name FROM (SELECT DISTINCT opportunity_id FROM ({rows})) y
    JOIN opportunities_opportunity o ON o.id = y.opportunity_id AND {live}
), d AS (
    SELECT x.opportunity_id, x.name, a.stage_id, a.amount, a.forecast_category,
           b.id AS b_id, b.stage_id AS b_stage_id, b.amount AS b_amount,
           b.forecast_category AS b_category
    FROM x JOIN opportunities_opportunityhistory a INDEXED BY opp_history_states
         ON a.opportunity_id = x.opportunity_id AND (a.changed_at, +a.id) = (
            SELECT p.changed_at, p.id FROM opportunities_opportunityhistory p
            INDEXED BY opp_history_states
            WHERE p.opportunity_id = x.opportunity_id AND p.changed_at < %s
            ORDER BY p.changed_at DESC, p.id DESC LIMIT 1)
    LEFT JOIN opportunities_opportunityhistory b INDEXED BY opp_history_states
         ON b.opportunity_id = x.opportunity_id AND (b.changed_at, +b.id) = (
            SELECT p.changed_at, p.id FROM opportunities_opportunityhistory p
            INDEXED BY opp_history_states
            WHERE p.opportunity_id = x.opportunity_id AND p.changed_at < %s
            ORDER BY p.changed_at DESC, p.id DESC LIMIT 1)""",
    "postgresql": """
WITH e AS (
    SELECT DISTINCT ON (y.opportunity_id) y.*
    FROM ({rows}) y ORDER BY y.opportunity_id, y.changed_at DESC, y.id DESC
), d AS MATERIALIZED (
    SELECT e.opportunity_id, o.name, e.stage_id, e.amount, e.forecast_category,
           b.id AS b_id, b.stage_id AS b_stage_id, b.amount AS b_amount,
           b.forecast_category AS b_category
    FROM e JOIN opportunities_opportunity o ON o.id = e.opportunity_id AND {live}
    LEFT JOIN LATERAL (SELECT p.id, p.stage_id, p.amount, p.forecast_category
                       FROM opportunities_opportunityhistory p
                       WHERE p.opportunity_id = e.opportunity_id AND p.changed_at < %s
                       ORDER BY p.changed_at DESC, p.id DESC LIMIT 1) b ON TRUE""",
}
# Time in stage over the stored stays (forecasting/stays.py), with no dirty deal to merge:
# step one, counts and sums per stage and whole-day bucket ({bucket}) of the finished stays,
# one branch per owner condition ({owners}: each seeks the covering index), one bucket per
# stage for everything; step two (one statement, a SELECT per wanted rank), the stay at that
# rank of its bucket.
RAW_STAYS = """
SELECT stage_id, {bucket} AS bucket, COUNT(*), SUM(days) FROM {table}
WHERE left_at IS NOT NULL {owners} GROUP BY {grouped}
"""
# Win rates by stage reached: the closed deals' stored pipeline, furthest open stage,
# outcome and amount (forecasting_dealreach), grouped from its index alone (deal_reach_closed),
# with no dirty deal to read from history.
RAW_REACHED = """
SELECT pipeline_id, furthest_order,
       SUM(CASE WHEN is_won THEN 1 ELSE 0 END), SUM(CASE WHEN is_won THEN 0 ELSE 1 END),
       SUM(CASE WHEN is_won THEN amount END)
FROM forecasting_dealreach
WHERE closed_on IS NOT NULL AND closed_on >= %s AND closed_on <= %s {owners}
GROUP BY 1, 2
"""


def backfill_snapshots(since: dt.date | None) -> dict[str, float]:
    """The daily snapshots of every day from ``since`` to yesterday (``opportune snapshots
    backfill --since``), or of only the days the reports read, timed; then fresh statistics."""
    from django.db import connection

    from opportune.forecasting import snapshots

    if since is None:
        days = sorted({*TREND_DAYS, *CHANGES})
    else:
        days = [d for d in snapshots.history_days() if d >= since]
    started = time.perf_counter()
    built = snapshots.build(days)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE forecasting_pipelinesnapshot")
            cursor.execute("VACUUM ANALYZE forecasting_snapshotday")
        else:
            cursor.execute("ANALYZE")
    from opportune.forecasting.models import PipelineSnapshot

    return {
        "days": built,
        "seconds": seconds,
        "rows": PipelineSnapshot.objects.count(),
        **rebuild_stays(),
    }


def rebuild_stays() -> dict[str, float]:
    """Every deal's stage stays and reach stored again (``opportune snapshots stays``), timed,
    then fresh statistics."""
    from django.db import connection

    from opportune.forecasting import stays

    started = time.perf_counter()
    stay_rows = stays.rebuild()  # ``opportune snapshots stays``: the stays and the reach
    stay_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE forecasting_stagestay")
            cursor.execute("VACUUM ANALYZE forecasting_dealreach")
        else:
            cursor.execute("ANALYZE")
    return {"stays": stay_rows, "stays_seconds": stay_seconds}


def _analytics_reports(quarters: list[Any]) -> dict[str, Callable[[Any], object]]:
    """Each report as the API calls it: name -> function of the viewer."""
    from opportune.forecasting import analytics, asof

    return {
        "funnel": lambda u: analytics.funnel(u, quarters, "period"),
        "funnel by owner": lambda u: analytics.funnel(u, quarters, "owner"),
        "funnel by source": lambda u: analytics.funnel(u, quarters, "source"),
        "funnel by campaign": lambda u: analytics.funnel(u, quarters, "campaign"),
        "win rates by owner": lambda u: analytics.win_rates(u, quarters, "owner"),
        "win rates by source": lambda u: analytics.win_rates(u, quarters, "source"),
        "win rates by campaign": lambda u: analytics.win_rates(u, quarters, "campaign"),
        "win rates by name": lambda u: analytics.rate_table(u, quarters, "name", 100),
        "win rates by stage": lambda u: analytics.win_rates(u, quarters, "stage"),
        "summary": lambda u: analytics.sales_summary(u, quarters),
        "time in stage": analytics.time_in_stage,
        "pipeline trend (12)": lambda u: asof.pipeline_as_of(u, TREND_DAYS),
        "pipeline as of": lambda u: asof.pipeline_as_of(u, TREND_DAYS[-1:]),
        "pipeline changes": lambda u: asof.pipeline_changes(u, *CHANGES, limit=500),  # the API
    }


def _analytics_raw(
    quarters: list[Any], owners: str = "", owner_ids: str = ""
) -> dict[str, Callable[[], None]]:
    """The best raw SQL for each report, over everything (the admin's scope) or, for the
    pipeline reports, over ``owners`` (a condition on ``owner_id``: a manager's scope): plain
    grouped statements; the trend and as-of read the stored snapshot rows of their days; the
    changes read two days of them and the history of the deals changed in the window. The
    funnel, win rates and summary over ``owner_ids`` (the manager's owners, as the reports
    resolve them, and the unowned records) read the same covering indexes as the reports."""
    from django.db import connection

    from opportune.forecasting import history_sql
    from opportune.forecasting.asof import end_of_day

    start, end = quarters[0].start, quarters[-1].end

    def run(statement: str, params: list) -> None:  # type: ignore[type-arg]
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            cursor.fetchall()

    def windowed(days: list[dt.date]) -> None:
        moments = [end_of_day(d) for d in days]
        values, moment_params = history_sql.moments_values(moments)
        inside, inside_params = history_sql.open_pipeline_filter(None, None)
        run(
            RAW_SPANS.format(values=values, inside=inside),
            [history_sql.at(max(moments)), *moment_params, *inside_params],
        )

    def stored(days: list[dt.date]) -> None:
        marks = ", ".join(["%s"] * len(days))
        where = f"AND owner_id {owners}" if owners else ""
        run(RAW_SNAPSHOT.format(days=marks, owners=where), list(days))

    def changes() -> None:
        stored(list(CHANGES))
        moments = [history_sql.at(end_of_day(d)) for d in CHANGES]
        # The window's rows, their deals kept if visible (and their names): every deal's from
        # the index on (changed_at, ...); a manager's from the rows' owner, a range per owner.
        postgres = connection.vendor == "postgresql"
        window = [*moments, *moments] if owner_ids else moments
        hint = "" if postgres else " INDEXED BY opp_history_window"
        rows = (
            RAW_ROWS_OWNED.format(columns=RAW_ROW, owner_ids=owner_ids)
            if owner_ids
            else RAW_ROWS_ALL.format(columns=RAW_ROW, hint=hint)
        )
        live = "o.deleted_at IS NULL"
        if owner_ids:
            live += f" AND (o.owner_id IN ({owner_ids}) OR o.owner_id IS NULL)"
        states = RAW_STATES[connection.vendor].format(rows=rows, live=live)
        statement = RAW_CHANGED.format(states=states)
        probes = [moments[0]] if postgres else [moments[1], moments[0]]
        run(statement, [*window, *probes])

    def reached() -> None:  # one statement under the OR, as the report
        run(RAW_REACHED.format(owners=won_owners.replace("o.owner_id", "owner_id")), [start, end])

    def stays() -> None:
        if owner_ids:  # per whole-day bucket, on the (owner, stage, days) index
            bucket = (
                "CAST(FLOOR(days) AS INTEGER)"
                if connection.vendor == "postgresql"
                else "CAST(days AS INTEGER)"
            )
            grouped, within = f"stage_id, {bucket}", "AND days >= %s AND days < %s"
            branches = [f"AND owner_id IN ({owner_ids})", "AND owner_id IS NULL"]
        else:  # everything: one bucket per stage, walked on the (stage, days) index
            bucket, grouped, within, branches = "0", "stage_id", "", [""]
        table = "forecasting_stagestay"
        if owner_ids and connection.vendor == "sqlite":
            table += " INDEXED BY stage_stay_finished"
        with connection.cursor() as cursor:
            cursor.execute(
                " UNION ALL ".join(
                    RAW_STAYS.format(table=table, bucket=bucket, grouped=grouped, owners=where)
                    for where in branches
                ),
                [],
            )
            counts: dict[int, dict[int, int]] = {}
            for stage, bucket_of, count, _total in cursor.fetchall():
                found = counts.setdefault(stage, {})
                found[bucket_of] = found.get(bucket_of, 0) + count
        selects, params = [], []
        for stage, buckets in counts.items():
            n = sum(buckets.values())
            for rank in {(n + 1) // 2 - 1, (n + 2) // 2 - 1, (4 * n + 4) // 5 - 1}:
                for day in sorted(buckets):
                    if rank < buckets[day]:
                        break
                    rank -= buckets[day]
                inner = " UNION ALL ".join(
                    f"SELECT days FROM {table} WHERE left_at IS NOT NULL {where} "
                    f"AND stage_id = %s {within}"
                    for where in branches
                )
                selects.append(f"SELECT %s, days FROM ({inner} ORDER BY days LIMIT 1 OFFSET %s) w")
                bounds = [stage, day, day + 1] if owner_ids else [stage]
                params += [len(selects), *bounds * len(branches), rank]
        if selects:
            run(" UNION ALL ".join(selects), params)

    ids = f"({owner_ids})"
    won_owners = f"AND (o.owner_id IN {ids} OR o.owner_id IS NULL)" if owner_ids else ""
    # A manager's deals and leads in two parts, each a range of an index starting with the
    # owner, as the reports read them (``owners.visible_deals`` / ``visible_leads``).
    parts = [f"AND owner_id IN {ids}", "AND owner_id IS NULL"] if owner_ids else [""]
    to_convert, cycle = RAW_DAYS[connection.vendor]

    def funnel(by: str) -> None:
        bounds = [
            (
                history_sql.at(end_of_day(q.start - dt.timedelta(days=1))),
                history_sql.at(end_of_day(q.end)),
            )
            for q in quarters
        ]
        bucket = (
            "CASE "
            + " ".join(
                f"WHEN l.created_at >= %s AND l.created_at < %s THEN {i}"
                for i in range(len(bounds))
            )
            + " END"
        )
        params = [value for pair in bounds for value in pair] if by == "period" else []
        for part in parts:
            if by == "period" and connection.vendor == "sqlite":
                # one aggregate per quarter's range of the creation index (as the report):
                # grouped by the CASE, SQLite sorted the year's leads
                members = [
                    RAW_FUNNEL.format(
                        group=str(i),
                        won_owners=won_owners,
                        owners=part.replace("owner_id", "l.owner_id"),
                        to_convert=to_convert,
                    )
                    for i in range(len(bounds))
                ]
                run(
                    " UNION ALL ".join(members),
                    [value for pair in bounds for value in (False, *pair)],
                )
                continue
            statement = RAW_FUNNEL.format(
                group=RAW_GROUPS[by].format(bucket=bucket),
                won_owners=won_owners,
                owners=part.replace("owner_id", "l.owner_id"),
                to_convert=to_convert,
            )
            run(statement, [*params, False, bounds[0][0], bounds[-1][1]])

    def summary() -> None:
        for part in parts:
            run(RAW_SUMMARY_CLOSED.format(cycle=cycle, owners=part), [start, end])
            run(RAW_SUMMARY_OPEN.format(owners=part), [])

    def win_rates(column: str) -> None:
        if column == "name" and owner_ids:
            run(RAW_TOP_RATES_PARTS.format(owners=parts[0]), [start, end, start, end])
        elif column == "name":
            run(RAW_TOP_RATES.format(owners=""), [start, end])
        else:
            for part in parts:
                run(RAW_WIN_RATES.format(group=column, owners=part), [start, end])

    return {
        **{
            name: (lambda by=by: funnel(by))
            for name, by in (
                ("funnel", "period"),
                ("funnel by owner", "owner"),
                ("funnel by source", "source"),
                ("funnel by campaign", "campaign"),
            )
        },
        **{
            f"win rates by {by}": (lambda column=column: win_rates(column))
            for by, column in (
                ("owner", "owner_id"),
                ("source", "lead_source"),
                ("campaign", "campaign"),
                ("name", "name"),
            )
        },
        "summary": summary,
        "pipeline trend (12)": lambda: stored(TREND_DAYS),
        "pipeline as of": lambda: stored(TREND_DAYS[-1:]),
        "pipeline changes": changes,
        "time in stage": stays,
        "win rates by stage": reached,
        "replay trend (12)": lambda: windowed(TREND_DAYS),  # before: the history replayed
    }


def measure_analytics(repeat: int, only: set[str] | None = None) -> dict:  # type: ignore[type-arg]
    """Median milliseconds of each report for an admin (everything), a region's manager (a
    fifth) and a rep, with its statement count, and of its raw SQL where there is one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opportune.fiscal import parse_period
    from opportune.forecasting.periods import period_range
    from opportune.identity.models import Role, User

    quarters = period_range(parse_period(ANALYTICS_YEAR[0], 1).key, ANALYTICS_YEAR[1])
    viewers = {
        "admin": User.objects.get(username="admin"),
        "manager": User.objects.get(username="region0"),
        "rep": User.objects.filter(role=Role.SALES_REP).order_by("pk").first(),
    }
    from opportune.identity.visibility import scope_team_ids

    teams = ", ".join(str(t) for t in sorted(scope_team_ids(viewers["manager"])))
    manager_owners = f"IN (SELECT id FROM identity_user WHERE team_id IN ({teams}))"
    from opportune.identity.visibility import owner_scope

    manager = viewers["manager"]
    scope = owner_scope(manager) if manager is not None else None
    assert scope is not None
    owner_ids = ", ".join(str(pk) for pk in sorted(scope.owner_ids))
    raw = _analytics_raw(quarters)
    raw_manager = _analytics_raw(quarters, manager_owners, owner_ids)
    found: dict[str, dict[str, float]] = {}
    for name, report in _analytics_reports(quarters).items():
        if only and name not in only:
            continue
        found[name] = {}
        for who, viewer in viewers.items():

            def once(viewer=viewer, report=report) -> None:  # type: ignore[no-untyped-def]
                viewer.__dict__.pop("_visible_team_ids", None)  # a new request
                viewer.__dict__.pop("_visible_owner_ids", None)
                report(viewer)

            found[name][who] = _median_ms(once, repeat)
        with CaptureQueriesContext(connection) as queries:
            report(viewers["manager"])
        found[name]["queries"] = len(queries)
        if name in raw:
            found[name]["raw"] = _median_ms(raw[name], repeat)
        if name in raw_manager and name not in ("replay trend (12)",):
            found[name]["raw manager"] = _median_ms(raw_manager[name], repeat)
    if not only:
        found["replay trend (12)"] = {"raw": _median_ms(raw["replay trend (12)"], 1)}
    return found


def report_analytics(database: str, found: dict) -> None:  # type: ignore[type-arg]
    snap = found.get("snapshots")
    if snap and "days" in snap:
        print(f"  snapshot backfill: {snap['days']} days, {snap['rows']:,} rows in "
              f"{snap['seconds']:.1f} s")  # fmt: skip
    if snap:
        print(f"  stage stays rebuilt: {snap['stays']:,} rows in {snap['stays_seconds']:.1f} s")
    print(f"  analytics ({found['leads']:,} leads; ms, median):")
    print(f"    {'report':22s} {'admin':>8s} {'raw SQL':>8s} {'ratio':>6s} {'manager':>8s} "
          f"{'raw SQL':>8s} {'ratio':>6s} {'rep':>8s} {'queries':>7s}")  # fmt: skip
    for name, t in found["analytics"].items():
        if "admin" not in t:
            print(f"    {name:22s} {'':8s} {t['raw']:8.1f}  (the windowed replay, before)")
            continue
        cells = []
        for who, raw_key in (("admin", "raw"), ("manager", "raw manager")):
            raw = t.get(raw_key)
            cells.append(f"{t[who]:8.1f} " + (
                f"{raw:8.1f} {t[who] / raw:6.2f}" if raw else f"{'-':>8s} {'-':>6s}"
            ))  # fmt: skip
        print(f"    {name:22s} {' '.join(cells)} {t['rep']:8.1f} {int(t['queries']):7d}")


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


def measure_predicted(repeat: int, reuse_fit: bool = False) -> dict:  # type: ignore[type-arg]
    """Fit the model once (timed; or, with ``reuse_fit``, take the newest stored fit), then
    time the predicted forecast of this quarter and the next three for the admin and a
    region's manager, next to the raw SQL of the same reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opportune.forecasting.fitting import fit_all
    from opportune.forecasting.models import ForecastModel
    from opportune.forecasting.periods import current_period, period_range
    from opportune.forecasting.predicted import predicted_forecast
    from opportune.identity.models import User

    started, cpu = time.perf_counter(), time.process_time()
    stored = ForecastModel.objects.order_by("-fitted_at").first() if reuse_fit else None
    [fit] = [stored] if stored is not None else fit_all()
    fit_s, fit_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    if stored is not None:
        fit_s = fit_cpu_s = float("nan")  # not fitted in this run
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

    def selects(read: Callable[[], None]) -> tuple[list[str], int]:
        """The SELECTs a read runs, to replay them raw (and how many queries it runs)."""
        with CaptureQueriesContext(connection) as queries:
            read()
        found = [q["sql"] for q in queries.captured_queries]
        return [sql for sql in found if sql.lstrip().startswith("SELECT")], len(found)

    own, count = selects(admin_read)
    managers, manager_count = selects(manager_read)

    def replay(statements: list[str]) -> Callable[[], None]:
        def run() -> None:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement.replace("%", "%%"))
                    cursor.fetchall()

        return run

    return {
        "fit_s": fit_s,
        "fit_cpu_s": fit_cpu_s,
        "fit_history_rows": fit.history_rows,
        "fit_months": len(fit.parameters["errors"].get("month", [])),
        "admin": _median_ms(admin_read, repeat),
        "manager": _median_ms(manager_read, repeat),
        "raw": _median_ms(raw, repeat),
        "raw_own": _median_ms(replay(own), repeat),
        "raw_manager": _median_ms(replay(managers), repeat),
        "queries": count,
        "manager_queries": manager_count,
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
    print(f"    raw SQL, grouped by every field   {raw:8.1f} ms")
    own, mine = found["raw_own"], found["raw_manager"]
    print(f"    raw SQL, the admin read's queries {own:8.1f} ms   ratio {admin / own:5.2f}")
    print(f"    raw SQL, the manager's queries    {mine:8.1f} ms   ratio {manager / mine:5.2f}")
    queries = f"{found['queries']} / {found['manager_queries']}"
    print(f"    queries per read (admin/manager)  {queries:>8s}")


if __name__ == "__main__":
    main()
