"""``/my-work/`` alone, timed for some users on an existing database (e.g. the 1M copy), with
its statement count: the whole analytics benchmark takes many minutes at 1M deals.

    OPPORTUNE_DATA_DIR=DIR python benchmarks/my_work_page.py region0,admin [repeat]
    DATABASE_URL=postgres://... python benchmarks/my_work_page.py region0,admin 3

Each figure is the median of ``repeat`` requests (3 by default) after one warm-up, through
Django's test client (middleware, auth, templates), with the load average when it ended.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    logging.disable(logging.WARNING)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from opportune.identity.models import User

    settings.ALLOWED_HOSTS = ["*"]
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for name in sys.argv[1].split(","):
        client = Client()
        client.force_login(User.objects.get(username=name))
        client.get("/my-work/")
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                answer = client.get("/my-work/")
                times.append(time.perf_counter() - start)
        print(
            f"{connection.vendor} {name:10} /my-work/ {statistics.median(times) * 1000:8.0f} ms"
            f"  {len(queries.captured_queries)} statements  [{answer.status_code}]"
            f"  load {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
