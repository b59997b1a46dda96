"""Helpers shared by the forecasting tests, on top of the company world of /conftest.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from opportune.identity.models import User
from opportune.opportunities.models import Opportunity

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
