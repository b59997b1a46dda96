"""The Maven data set, loaded once per test module, and figures computed straight from its CSV.

Tests using it are skipped, with the reason, when ../shared/data/maven-crm is absent.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from django.conf import settings

from opportune.accounts.models import Account
from opportune.forecasting.maven import NO_ACCOUNT, PIPELINE_KEY
from opportune.identity.models import Team, User
from opportune.opportunities.models import Opportunity, Pipeline

MAVEN_DIR = (Path(settings.BASE_DIR).parent / "shared" / "data" / "maven-crm").resolve()
needs_maven = pytest.mark.skipif(
    not (MAVEN_DIR / "sales_pipeline.csv").is_file(),
    reason=f"The Maven CRM data set is not at {MAVEN_DIR} (../shared/data/maven-crm).",
)


T = TypeVar("T")


@dataclass
class Row:
    agent: str
    product: str
    account: str
    stage: str
    engage: dt.date | None
    close: dt.date | None
    value: Decimal | None


def known(value: T | None) -> T:
    """A value the CSV always has for the rows at hand (a won deal's dates and value)."""
    assert value is not None
    return value


def csv_rows() -> list[Row]:
    with (MAVEN_DIR / "sales_pipeline.csv").open(newline="") as handle:
        return [
            Row(
                r["sales_agent"],
                {"GTXPro": "GTX Pro"}.get(r["product"], r["product"]),
                r["account"],
                r["deal_stage"],
                dt.date.fromisoformat(r["engage_date"]) if r["engage_date"] else None,
                dt.date.fromisoformat(r["close_date"]) if r["close_date"] else None,
                Decimal(r["close_value"]) if r["close_value"] else None,
            )
            for r in csv.DictReader(handle)
        ]


def csv_offices() -> dict[str, str]:
    with (MAVEN_DIR / "sales_teams.csv").open(newline="") as handle:
        return {r["sales_agent"]: r["regional_office"] for r in csv.DictReader(handle)}


def win_rates(rows: list[Row], key: Callable[[Row], str]) -> dict[str, float]:
    won: dict[str, int] = defaultdict(int)
    closed: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.stage in ("Won", "Lost"):
            closed[key(row)] += 1
            won[key(row)] += row.stage == "Won"
    return {k: won[k] / closed[k] for k in closed}


LOADED: list[list[Row]] = []  # the CSV rows while the data set is in the test database


def unload_if_loaded(request: pytest.FixtureRequest) -> None:
    """Remove the data set if a module left it loaded (see /conftest.py)."""
    if LOADED:
        with request.getfixturevalue("django_db_blocker").unblock():
            unload()
        LOADED.clear()


def unload() -> None:
    """Remove what the loader wrote, so later test modules start from an empty database."""
    pipeline = Pipeline.objects.filter(key=PIPELINE_KEY).first()
    if pipeline is None:
        return
    Opportunity.objects.filter(pipeline=pipeline).delete()
    Account.objects.filter(opportunities__isnull=True, parent__isnull=False).delete()
    Account.objects.filter(opportunities__isnull=True).delete()
    User.objects.filter(email__endswith="@maven.example").delete()
    Team.objects.filter(name__startswith="Team ").delete()
    Team.objects.filter(name__endswith=" office").delete()
    pipeline.delete()
    Account.objects.filter(name=NO_ACCOUNT).delete()
