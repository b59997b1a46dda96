"""What a page of GET /api/v1/leads costs, in queries and milliseconds, as the table grows.

    python benchmarks/api_lists.py [--rows 50,500,100000] [--database-url URL]

Prints, for each table size and page size, the queries a request runs, its median time,
and the median time of the raw SQL that reads the same page (the baseline), with the ratio.
Runs on a fresh SQLite database in a temporary directory unless --database-url is given.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="50,500,100000")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    os.environ["OPPORTUNE_DATA_DIR"] = tempfile.mkdtemp(prefix="opportune-bench-")
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    os.environ["OPPORTUNE_ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from opportune.identity.models import ApiToken, Role, User
    from opportune.leads.models import Lead, LeadStatus

    call_command("migrate", verbosity=0)
    Lead.objects.all().delete()
    owner, _ = User.objects.get_or_create(username="bench", defaults={"role": Role.SALES_REP})
    _, raw = ApiToken.issue(owner, "bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    status = LeadStatus.objects.get(key="new")
    raw_sql = (
        "SELECT l.*, s.key FROM leads_lead l JOIN leads_leadstatus s ON s.id = l.status_id "
        "WHERE l.owner_id = %s AND l.deleted_at IS NULL ORDER BY l.id DESC LIMIT %s"
    )

    def median_ms(run: object) -> float:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            run()  # type: ignore[operator]
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    print(f"database: {connection.vendor}")
    print(f"{'rows':>8} {'page':>5} {'queries':>8} {'api ms':>8} {'raw sql ms':>11} {'ratio':>6}")
    sorted_pages: list[tuple[int, float, float, float]] = []
    for total in [int(n) for n in args.rows.split(",")]:
        have = Lead.objects.count()
        Lead.objects.bulk_create(
            (
                Lead(
                    last_name=f"Lead {i}",
                    company=f"Company {i}",
                    email=f"lead{i}@example.com",
                    status=status,
                    owner=owner,
                )
                for i in range(have, total)
            ),
            batch_size=5000,
        )
        for page in (50, 200):
            client.get("/api/v1/leads", {"limit": page})
            queries: list[str] = []
            with connection.execute_wrapper(
                lambda execute, sql, *rest, seen=queries: seen.append(sql) or execute(sql, *rest)
            ):
                response = client.get("/api/v1/leads", {"limit": page})
            assert response.status_code == 200, response.content
            api_ms = median_ms(lambda page=page: client.get("/api/v1/leads", {"limit": page}))

            def raw_page(page: int = page) -> None:
                with connection.cursor() as cursor:
                    cursor.execute(raw_sql, [owner.pk, page + 1])
                    cursor.fetchall()

            raw_ms = median_ms(raw_page)
            print(
                f"{total:>8} {page:>5} {len(queries):>8} {api_ms:>8.2f} {raw_ms:>11.2f} "
                f"{api_ms / raw_ms:>6.1f}"
            )
        sorted_pages.append((total, *_sorted_walk(client, median_ms)))
    print("\nsort=company (a non-key column), 50 a page: first page and the 21st (20 cursor hops)")
    print(f"{'rows':>8} {'first ms':>9} {'21st ms':>8} {'filtered ms':>12}")
    for total, first_ms, deep_ms, filtered_ms in sorted_pages:
        print(f"{total:>8} {first_ms:>9.2f} {deep_ms:>8.2f} {filtered_ms:>12.2f}")


def _sorted_walk(client: object, median_ms: object) -> tuple[float, float, float]:
    """Median ms of the first and 21st page sorted by company, and of a filtered page."""
    get = client.get  # type: ignore[attr-defined]
    params = {"limit": 50, "sort": "company"}
    first_ms = median_ms(lambda: get("/api/v1/leads", params))  # type: ignore[operator]
    cursor = None
    for _ in range(20):
        page = get("/api/v1/leads", {**params, **({"cursor": cursor} if cursor else {})}).json()
        cursor = page["next"] or cursor
    deep = {**params, "cursor": cursor} if cursor else params
    deep_ms = median_ms(lambda: get("/api/v1/leads", deep))  # type: ignore[operator]
    filtered = {"limit": 50, "status": "open", "q": "company 1"}
    assert get("/api/v1/leads", filtered).status_code == 200
    filtered_ms = median_ms(lambda: get("/api/v1/leads", filtered))  # type: ignore[operator]
    return first_ms, deep_ms, filtered_ms


if __name__ == "__main__":
    main()
