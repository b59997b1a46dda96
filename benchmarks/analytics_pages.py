"""Every forecast and analytics page and endpoint, and My work, timed for a sales manager and an
admin on an existing database (e.g. the large demo data), with each one's statement count.

    OPPORTUNE_DATA_DIR=DIR python benchmarks/analytics_pages.py [--repeat 5]
    DATABASE_URL=postgres://... python benchmarks/analytics_pages.py

Load the data first: ``opportune init && opportune demo --size large``. Requests go through
Django's test client (the whole stack but the network: middleware, auth, templates, JSON);
each figure is the median of ``--repeat`` requests after one warm-up, with its statement count
(a status in brackets when the answer is not 200, e.g. [409] before any forecast fit). An
analytics page's reports and a manager's team blocks on My work (``?fragment=``) are asked for
as their placeholders ask, through htmx.
``--viewers`` names the users (by default the demo's East manager, VP of sales and admin).
A read token is issued for each of them for the run and deleted after.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGES = [
    "/forecast/",
    "/forecast/predicted/",
    "/forecast/backtest/",
    "/api/v1/forecast",
    "/api/v1/forecast/predicted",
    "/api/v1/forecast/backtest",
    "/analytics/",  # the page alone: each report comes by its own request (below)
    "/analytics/?fragment=summary",
    "/analytics/?fragment=funnel",
    "/analytics/?fragment=win_rates",
    "/analytics/?fragment=win_rates&rates_by=stage",
    "/analytics/?fragment=time_in_stage",
    "/analytics/pipeline/",
    "/analytics/pipeline/?fragment=trend",
    "/analytics/pipeline/?fragment=changes",
    "/my-work/",  # a manager's team blocks come by their own request (below)
    "/my-work/?fragment=team",
    "/api/v1/analytics/funnel",
    "/api/v1/analytics/win-rates",
    "/api/v1/analytics/win-rates?by=stage",
    "/api/v1/analytics/summary",
    "/api/v1/analytics/time-in-stage",
    "/api/v1/analytics/pipeline-as-of",
    "/api/v1/analytics/pipeline-trend",
    "/api/v1/analytics/pipeline-changes",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--viewers",
        default="maria,victor,admin",
        help="usernames to time as (the demo's East manager, its VP of sales, its admin)",
    )
    parser.add_argument(
        "--only", default="", help="time only the pages whose address contains this text"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from opportune.identity.models import ApiToken, TokenScope, User
    from opportune.opportunities.models import Opportunity, OpportunityHistory

    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # a 409 is printed below
    print(
        f"{connection.vendor}: {Opportunity.objects.count():,} opportunities, "
        f"{OpportunityHistory.objects.count():,} history rows; ms, median of {args.repeat}"
    )
    viewers = {
        user.username: user
        for user in User.objects.filter(username__in=args.viewers.split(","), is_active=True)
    }
    clients, tokens = {}, []
    for who, user in viewers.items():
        token, raw = ApiToken.issue(user, "analytics benchmark", TokenScope.READ)
        tokens.append(token)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.force_login(user)
        clients[who] = client
    header = " ".join(f"{f'{who} ({user.role})':>26s}" for who, user in viewers.items())
    print(f"  {'page':48s} {header}   statements")
    try:
        for path in [p for p in PAGES if args.only in p]:
            found, counts = [], []
            for who in viewers:
                client = clients[who]
                headers = {"HTTP_HX_REQUEST": "true"} if "fragment=" in path else {}
                status = client.get(path, **headers).status_code  # warm
                timings = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    with CaptureQueriesContext(connection) as queries:
                        client.get(path, **headers)
                    timings.append((time.perf_counter() - started) * 1000)
                median = f"{statistics.median(timings):.1f}"
                found.append(median if status == 200 else f"[{status}]")
                counts.append(str(len(queries)))
            figures = " ".join(f"{value:>26s}" for value in found)
            print(f"  {path:48s} {figures}   {'/'.join(counts)}")
    finally:
        for token in tokens:
            token.delete()


if __name__ == "__main__":
    main()
