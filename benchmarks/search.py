# ruff: noqa: E501
"""What global search costs with a million leads, next to its own SQL and a naive LIKE.

    python benchmarks/search.py [--leads 1000000] [--sqlite-dir DIR] [--reuse]
    DATABASE_URL=postgres://user:password@localhost:5432/any python benchmarks/search.py [--reuse]

Builds a throw-away installation (SQLite in a temporary directory by default; with
DATABASE_URL, a new PostgreSQL database beside the one named, dropped at the end), inserts
the leads in bulk (executemany on SQLite, COPY on PostgreSQL; the search index fills itself:
triggers on SQLite, the ``search_doc`` trigger and its GIN index on PostgreSQL), then runs the global search
(``opportune.search.engine.search``: every kind, 5 per kind, capped counts) as an admin and
as a rep for a name prefix, a full name, an email, a phone written another way, a company
word and a custom field's text. Beside each median: the raw SQL of the lead part alone as
the engine runs it (the index's 1,001 newest matches, then page and count; printed with its
plan for a common and a rare word, EXPLAIN ANALYZE on PostgreSQL), the previous shape that gathered every match first, and the naive ``LIKE '%term%'``
over the same columns (page and capped count), with the ratios.

Loading a million rows takes a while, so ``--sqlite-dir DIR`` keeps the SQLite database and
``--reuse`` times what an earlier run left there (on PostgreSQL, ``--reuse`` uses the
database DATABASE_URL names itself, filling it only when it does not hold the leads yet).
The load drops the lead index's triggers and refills the index in one statement afterwards
(``index.install``), as a fresh install would: one FTS insert per row through the triggers
took 1,164 s for a million leads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
FIRST = ["Sofia", "Liam", "Aisha", "Mateo", "Yuki", "Noah", "Priya", "Lucas", "Chloe", "Omar"]
FIRST += ["Elena", "Kofi", "Hana", "Diego", "Ingrid", "Ravi", "Zoe", "Felix", "Amara", "Jonas"]
LAST = ["Garcia", "Smith", "Okafor", "Tanaka", "Nguyen", "Müller", "Rossi", "Kowalski"]
LAST += ["Fernandez", "Johansson", "Haddad", "Patel", "Dubois", "Silva", "Kim", "Brown"]
WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne"]
WORDS += ["Tyrell", "Cyberdyne", "Soylent", "Wonka", "Gringotts", "Oscorp", "Monarch", "Aperture"]
SUFFIX = ["Labs", "Logistics", "Metals", "Foods", "Systems", "Biotech", "Partners", "Retail"]


def _setup(data_dir: str, reuse: bool) -> str:
    os.environ["OPPORTUNE_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    os.environ.setdefault("OPPORTUNE_SECRET_KEY", "benchmark")
    url = os.environ.get("DATABASE_URL", "")
    throwaway = ""
    if url.startswith("postgres") and not reuse:
        import psycopg

        throwaway = f"opportune_bench_search_{os.getpid()}"
        parts = urlsplit(url)
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {throwaway}")
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{throwaway}"))
    elif not url.startswith("postgres"):
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    call_command("migrate", verbosity=0)
    return throwaway


def _drop(throwaway: str, url: str) -> None:
    from django.db import connections

    connections.close_all()
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {throwaway}")


def _phone(rng: random.Random) -> tuple[str, str]:
    area, exchange, line = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    return f"({area}) {exchange}-{line:04d}", f"+1{area}{exchange}{line:04d}"


def _rows(count: int, reps: list[int], statuses: list[int]) -> tuple[list[str], Any]:
    from opportune.leads.models import Lead

    rng = random.Random(1)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    fields = [f for f in Lead._meta.concrete_fields if not f.primary_key]
    defaults: dict[str, Any] = {}
    for f in fields:
        value = None if f.null else f.get_default()
        defaults[f.column] = json.dumps(value) if isinstance(value, dict | list) else value
    columns = [f.column for f in fields]

    def generate() -> Any:
        for number in range(count):
            moment = start + dt.timedelta(seconds=number * 30)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = f"{rng.choice(WORDS)} {rng.choice(SUFFIX)} {number % 20_000}"
            phone, key = _phone(rng)
            row = dict(defaults)
            row.update(
                first_name=first,
                last_name=last,
                company=company,
                email=f"{first}.{last}{number}@{company.split()[0]}{number % 20_000}.example".lower(),
                phone=phone,
                phone_key=key,
                email_key="",
                name_key=f"{first} {last}".lower(),
                company_key=company.lower(),
                source="web",
                status_id=rng.choice(statuses),
                owner_id=rng.choice(reps),
                created_at=moment,
                updated_at=moment,
            )
            if number % 50 == 0:
                row["custom"] = json.dumps({"territory": f"Zanzibar {number % 7}"})
            yield [row[c] for c in columns]

    return columns, generate()


def _populate(count: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from opportune.identity.models import Role, Team, User
    from opportune.leads.models import Lead, LeadStatus

    team = Team.objects.create(name="Sales")
    User.objects.create_user("admin", password="x", role=Role.ADMIN, team=team)
    reps = [
        User.objects.create_user(f"rep{n}", password="x", role=Role.SALES_REP, team=team)
        for n in range(50)
    ]
    statuses = list(LeadStatus.objects.values_list("pk", flat=True))
    columns, rows = _rows(count, [r.pk for r in reps], statuses)
    table = Lead._meta.db_table
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # the index is refilled at once after the load
            for trigger in ("ai", "ad", "au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS search_lead_{trigger}")
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: COPY
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == 10_000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
    if connection.vendor == "sqlite":
        from opportune.search import index

        with transaction.atomic():
            index.install(connection)  # triggers back, the lead index refilled
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return _world()


def _world() -> dict[str, Any]:
    from opportune.identity.models import User
    from opportune.leads.models import Lead

    rep = User.objects.get(username="rep0")
    # A lead the rep owns, to search for by its email and phone.
    lead = Lead.objects.filter(owner=rep).order_by("-pk")[10]
    return {"admin": User.objects.get(username="admin"), "rep": rep, "lead": lead}


def _cache(connection: Any) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # 2 GB of page cache: the indexes stay in memory
            cursor.execute("PRAGMA cache_size = -2000000")


def _median_ms(action: Callable[[], object]) -> float:
    action()  # warm the caches once
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _raw(sql: str, params: list[Any]) -> Callable[[], object]:
    from django.db import connection

    def run() -> object:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def _window_sql(q: str, owner: int | None) -> tuple[str, list[Any], str, list[Any]]:
    """The lead part of a search as hand-written SQL, as the engine runs it: the index's
    1,001 newest matches (LIMIT on the index walk), then the visible ones among them,
    newest 5 and their count in one query."""
    from django.db import connection

    from opportune.search import index, words
    from opportune.search.terms import parse

    # As the engine asks it: PostgreSQL's prefixes as their whole words (search/words.py).
    terms = words.expand(connection, parse(q))
    ids_sql, ids_params = index.newest_ids("lead", terms, connection.vendor, 1001)
    where = f"deleted_at IS NULL AND id IN ({ids_sql})"
    params: list[Any] = list(ids_params)
    if owner is not None:
        where += " AND owner_id = %s"
        params.append(owner)
    page = (
        "SELECT id, first_name, last_name, company, email, phone, count(*) OVER () "
        f"FROM leads_lead WHERE {where} ORDER BY id DESC LIMIT 5"
    )
    return ids_sql, list(ids_params), page, params


def _index_sql(q: str, owner: int | None) -> Callable[[], object]:
    ids_sql, ids_params, page_sql, page_params = _window_sql(q, owner)
    ids, page = _raw(ids_sql, ids_params), _raw(page_sql, page_params)
    return lambda: (ids(), page())


def _all_sql(q: str, owner: int | None) -> Callable[[], object]:
    """The previous shape: every index match gathered (``id IN (all matches)``), newest 5,
    and a count capped at 1,001."""
    from django.db import connection

    from opportune.search import index
    from opportune.search.terms import parse

    match = index.matching_ids("lead", parse(q), connection.vendor)
    where = f"deleted_at IS NULL AND id IN ({match.sql})"
    params = list(match.params)
    if owner is not None:
        where += " AND owner_id = %s"
        params.append(owner)
    page = _raw(
        f"SELECT id, first_name, last_name, company, email, phone FROM leads_lead WHERE {where} ORDER BY id DESC LIMIT 5",
        params,
    )
    count = _raw(
        f"SELECT count(*) FROM (SELECT 1 FROM leads_lead WHERE {where} LIMIT 1001) AS c", params
    )
    return lambda: (page(), count())


def _show_sql(q: str, owner: int) -> None:
    """The raw SQL the figures time, and the database's plan for it (PostgreSQL: as run)."""
    from django.db import connection

    ids_sql, ids_params, page_sql, page_params = _window_sql(q, owner)
    explain = (
        "EXPLAIN (ANALYZE, BUFFERS)" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    )
    for sql, params in ((ids_sql, ids_params), (page_sql, page_params)):
        print(f"  {sql}\n    params {params}")
        with connection.cursor() as cursor:
            cursor.execute(f"{explain} {sql}", params)
            for row in cursor.fetchall():
                print(f"    | {row[-1]}")
    print()


def _like_sql(q: str, owner: int | None) -> Callable[[], object]:
    """The naive search: every word somewhere in a column, LIKE '%word%' (no index helps)."""
    from django.db import connection

    op = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
    columns = ["first_name", "last_name", "company", "email", "phone"]
    where, params = ["deleted_at IS NULL"], []
    for word in q.split():
        where.append("(" + " OR ".join(f"{c} {op} %s" for c in columns) + ")")
        params += [f"%{word}%"] * len(columns)
    if owner is not None:
        where.append("owner_id = %s")
        params.append(owner)
    condition = " AND ".join(where)
    page = _raw(
        f"SELECT id, first_name, last_name, company, email, phone FROM leads_lead WHERE {condition} ORDER BY id DESC LIMIT 5",
        params,
    )
    count = _raw(
        f"SELECT count(*) FROM (SELECT 1 FROM leads_lead WHERE {condition} LIMIT 1001) AS c", params
    )
    return lambda: (page(), count())


def main() -> int:
    global RUNS
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per median")
    parser.add_argument("--sqlite-dir", help="keep the SQLite database in this folder")
    parser.add_argument(
        "--reuse", action="store_true", help="time the leads an earlier run left (same --leads)"
    )
    args = parser.parse_args()
    RUNS = args.runs
    url = os.environ.get("DATABASE_URL", "")
    if args.sqlite_dir:
        Path(args.sqlite_dir).mkdir(parents=True, exist_ok=True)
        database = Path(args.sqlite_dir) / "opportune.sqlite3"
        if not args.reuse and database.exists():
            database.unlink()
        _setup(args.sqlite_dir, args.reuse)
        return _run(args.leads, args.reuse)
    with tempfile.TemporaryDirectory(prefix="opportune-search-") as data_dir:
        throwaway = _setup(data_dir, args.reuse)
        try:
            return _run(args.leads, args.reuse)
        finally:
            if throwaway:
                _drop(throwaway, url)


def _run(count: int, reuse: bool) -> int:
    from django.db import connection

    from opportune.leads.models import Lead
    from opportune.search import engine

    started = time.perf_counter()
    if reuse and Lead.objects.count() == count:
        world = _world()
        print(f"{count:,} leads reused ({connection.vendor})\n")
    else:
        world = _populate(count)
        print(
            f"{count:,} leads inserted and indexed in {time.perf_counter() - started:.1f}s ({connection.vendor})\n"
        )
    _cache(connection)
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    lead = world["lead"]
    area, exchange, line = lead.phone_key[2:5], lead.phone_key[5:8], lead.phone_key[8:]
    queries = [
        ("name prefix", "garc"),
        ("full name", "sofia garcia"),
        ("email", lead.email),
        ("phone, other format", f"+1 {area}.{exchange}.{line}"),
        ("company word", "globex"),
        ("company prefix + number", "wonka 1234"),
        ("custom text", "zanzibar"),
    ]
    for _, q in (queries[0], queries[5]):  # a common word, a rare pair
        print(f"The lead part's SQL for {q!r} as the rep, and its plan:")
        _show_sql(q, world["rep"].pk)
    print(
        "search: engine.search, all kinds; window: the SQL above (newest 1,001 index matches, "
        "then page and count); all: every match gathered first (the previous shape)\n"
    )
    head = f"{'query':<34} {'as':<5} {'found':>7} {'search ms':>9} {'window ms':>9} {'ratio':>6} {'all ms':>8} {'LIKE ms':>8} {'LIKE/search':>11}"
    print(head)
    for label, q in queries:
        for who in ("admin", "rep"):
            user = world[who]
            owner = None if who == "admin" else user.pk
            results = engine.search(user, q)
            leads = next((g for g in results.groups if g.kind == "lead"), None)
            total = leads.total_text if leads else "0"
            search_ms = _median_ms(lambda user=user, q=q: engine.search(user, q))
            raw_ms = _median_ms(_index_sql(q, owner))
            all_ms = _median_ms(_all_sql(q, owner))
            like_ms = _median_ms(_like_sql(q, owner))
            shown = f"{label} {q!r}"[:34]
            print(
                f"{shown:<34} {who:<5} {total:>7} {search_ms:>9.1f} {raw_ms:>9.1f} {search_ms / raw_ms:>6.2f} {all_ms:>8.1f} {like_ms:>8.1f} {like_ms / search_ms:>11.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
