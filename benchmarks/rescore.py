"""Re-scoring a million open leads after a fit, next to a raw-SQL UPDATE of constants.

    python benchmarks/rescore.py [--leads 1000000] [--database-url URL]

Loads X Education's leads as benchmarks/scoring.py does (a fresh SQLite file, or the empty
database of --database-url), fits, copies the held-out open leads with INSERT ... SELECT
until there are --leads open ones (the same values: each still costs a full feature read,
encoding, tree walk and reasons), then times ``score_open`` (what a fit runs) and the raw
baseline: one ``UPDATE`` setting every open lead's score and reasons to constants. Also
prints the score-on-write hook's time per lead.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--data-dir", help="a copy of benchmarks/scoring.py's --data-dir: skips import and fit"
    )
    args = parser.parse_args()
    if args.data_dir:
        os.environ["OPPORTUNE_DATA_DIR"] = args.data_dir
        os.environ.pop("DATABASE_URL", None)
    elif args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ["OPPORTUNE_DATA_DIR"] = tempfile.mkdtemp(prefix="opportune-rescore-")
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("OPPORTUNE_SECRET_KEY", "benchmark")
    os.environ["DJANGO_SETTINGS_MODULE"] = "opportune.settings"
    import django

    django.setup()
    import datetime as dt

    import scoring as bench  # benchmarks/scoring.py
    from django.core.management import call_command
    from django.db import connection, transaction

    from opportune.identity.models import User
    from opportune.leads.models import Lead, LeadStatus
    from opportune.scoring import leads as scoring

    if not args.data_dir:
        call_command("migrate", verbosity=0)
        bench.load_file(args.data or bench.DEFAULT_DATA, seed=12)
        bench.exclude_leaking(User.objects.get(username="bench-admin"))
        scoring.fit_leads(bench.T0 + dt.timedelta(days=30), rescore=False)
    new = LeadStatus.default()
    table = connection.ops.quote_name(Lead._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(str(f.column))
        for f in Lead._meta.concrete_fields
        if f.name != "id"
    )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        while (have := Lead.objects.filter(status=new).count()) < args.leads:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} "
                f"WHERE status_id = %s ORDER BY id LIMIT %s",
                [new.pk, min(have, args.leads - have)],
            )
    print(
        f"Copied the open leads up to {have:,} in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {table}")

    began = time.perf_counter()
    scored = scoring.score_open()
    seconds = time.perf_counter() - began
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET score = 50, score_reasons = %s WHERE status_id = %s",
            ['[{"feature": "x", "text": "x (+1)", "points": 1}]', new.pk],
        )
        raw_rows = cursor.rowcount
    raw = time.perf_counter() - began
    print(
        f"Full re-score ({connection.vendor}): {scored:,} open leads in {seconds:.1f} s = "
        f"{scored / seconds:,.0f} leads/s; raw-SQL UPDATE of constants on the same "
        f"{raw_rows:,} rows {raw:.1f} s (ratio {seconds / raw:.1f}x)"
    )
    bench.write_timing()


if __name__ == "__main__":
    main()
