# ruff: noqa: E501
"""PostgreSQL: global search with prefixes kept ``:*`` against asked as their whole words.

    DATABASE_URL=postgres://user:password@localhost:5432/db python benchmarks/search_prefixes.py [q ...]

Runs ``engine.search`` as the first admin of an existing database (the one
``benchmarks/search.py --reuse`` fills with a million leads) with ``words.MAX_EXPANSION``
at 0 (every prefix kept), 100 and 1000, alternating, so both see the same load; prints
the median of 5 per query (docs/search.md, "Prefixes as whole words on PostgreSQL").
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["garc", "sofia garcia", "amara.silva999346@umbrella1234.example", "globex"]
QUERIES += ["wonka 1234", "zanzibar", "so ga", "ka"]
LIMITS = (0, 100, 1000)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    os.environ.setdefault("OPPORTUNE_SECRET_KEY", "benchmark")
    import django

    django.setup()
    from opportune.identity.models import User
    from opportune.search import engine, words

    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    admin = admin or User.objects.order_by("pk").first()
    assert admin is not None, "no user: fill the database with benchmarks/search.py first"
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for q in sys.argv[1:] or QUERIES:
        times: dict[int, list[float]] = {n: [] for n in LIMITS}
        for _ in range(5):
            for n in LIMITS:
                words.MAX_EXPANSION = n
                start = time.perf_counter()
                engine.search(admin, q)
                times[n].append((time.perf_counter() - start) * 1000)
        medians = "  ".join(f"N={n}: {statistics.median(v):6.1f}" for n, v in times.items())
        print(f"{q[:30]:32} {medians} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
