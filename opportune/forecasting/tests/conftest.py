"""Helpers shared by the forecasting tests, on top of the company world of /conftest.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from opportune.forecasting.maven import load_maven
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity

from .maven_world import MAVEN_DIR, Row, csv_rows, unload

Q4 = dt.date(2026, 11, 15)  # a day inside 2026-Q4


@pytest.fixture(autouse=True)
def _calendar_year(settings) -> None:  # type: ignore[no-untyped-def]
    settings.OPPORTUNE_FISCAL_YEAR_START_MONTH = 1


def deal(
    company,  # type: ignore[no-untyped-def]
    owner: User,
    stage: str,
    amount: str,
    close_date: dt.date = Q4,
    **fields: object,
) -> Opportunity:
    if stage == "closed_lost":
        fields.setdefault("lost_reason_key", "price")
    return company.opportunity(  # type: ignore[no-any-return]
        owner, stage_key=stage, amount=Decimal(amount), close_date=close_date, **fields
    )


@pytest.fixture(scope="module")
def maven(django_db_setup, django_db_blocker) -> Iterator[list[Row]]:  # type: ignore[no-untyped-def]
    """The Maven data loaded once for a test module (and removed after it), with its CSV rows."""
    with django_db_blocker.unblock():
        load_maven(MAVEN_DIR)
        try:
            yield csv_rows()
        finally:
            unload()
