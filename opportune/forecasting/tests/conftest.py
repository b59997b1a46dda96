"""Helpers shared by the forecasting tests, on top of the company world of /conftest.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from pytest_django import DjangoDbBlocker, Settings

from conftest import Company
from opportune.forecasting.fitted import Deals
from opportune.forecasting.maven import load_maven
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity

from .maven_world import LOADED, MAVEN_DIR, Row, csv_rows, unload

Q4 = dt.date(2026, 11, 15)  # a day inside 2026-Q4


@pytest.fixture(autouse=True)
def _calendar_year(settings: Settings) -> None:
    settings.OPPORTUNE_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture(autouse=True)
def _plain_static_files(settings: Settings) -> None:
    """Pages render without a collected manifest in tests."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def report_card(client: Client, path: str, report: str, query: dict[str, str] | None = None) -> str:
    """One report of an analytics page, as the page's placeholder asks for it (htmx, with the
    page's query and the report's name)."""
    response = client.get(path, {**(query or {}), "fragment": report}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def deal(
    company: Company,
    owner: User,
    stage: str,
    amount: str,
    close_date: dt.date = Q4,
    **fields: object,
) -> Opportunity:
    if stage == "closed_lost":
        fields.setdefault("lost_reason_key", "price")
    return company.opportunity(
        owner, stage_key=stage, amount=Decimal(amount), close_date=close_date, **fields
    )


@pytest.fixture(scope="session")
def _maven_unloaded_at_the_end(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[DjangoDbBlocker]:
    yield django_db_blocker
    if LOADED:
        with django_db_blocker.unblock():
            unload()
        LOADED.clear()


@pytest.fixture(scope="module")
def maven(_maven_unloaded_at_the_end: DjangoDbBlocker) -> list[Row]:
    """The Maven data with its CSV rows, loaded once for the test modules using it one after
    the other (they run first: HEAVY_FIRST in /conftest.py); removed before any other module
    runs, by /conftest.py's _no_maven_data_from_an_earlier_module, or at the end."""
    if not LOADED:
        with _maven_unloaded_at_the_end.unblock():
            load_maven(MAVEN_DIR)
        LOADED.append(csv_rows())
    return LOADED[0]


Step = tuple[dt.date, str, str, dt.date]  # day, stage key, amount, close date


def timeline(company: Company, owner: User, steps: list[Step], name: str = "Deal") -> Opportunity:
    """An opportunity whose history went through ``steps`` on past days (09:00 each), left in
    the last step's state."""
    from django.utils import timezone

    from opportune.opportunities.models import OpportunityHistory, Pipeline, Stage
    from opportune.opportunities.services import OpportunityDraft, open_opportunity

    def at(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))

    first_day, first_stage, first_amount, first_close = steps[0]
    opportunity = open_opportunity(
        company.ada,
        OpportunityDraft(
            name=name,
            account=company.account(owner),
            owner=owner,
            pipeline=Pipeline.default(),
            close_date=first_close,
            stage_key=first_stage,
            amount=Decimal(first_amount),
            lost_reason_key="price" if first_stage == "closed_lost" else None,
        ),
        now=at(first_day),
    )
    previous = (Decimal(first_amount), first_close)
    for day, stage_key, amount, close in steps[1:]:
        stage = Stage.objects.get(pipeline__is_default=True, key=stage_key)
        OpportunityHistory.objects.create(
            opportunity=opportunity,
            stage=stage,
            amount=Decimal(amount),
            probability=stage.default_probability,
            close_date=close,
            forecast_category=stage.forecast_category,
            previous_amount=previous[0],
            previous_close_date=previous[1],
            changed_at=at(day),
        )
        previous = (Decimal(amount), close)
        Opportunity.objects.filter(pk=opportunity.pk).update(
            stage=stage,
            amount=Decimal(amount),
            close_date=close,
            probability=stage.default_probability,
            forecast_category=stage.forecast_category,
            is_closed=stage.is_closed,
            is_won=stage.is_won,
            closed_at=at(day) if stage.is_closed else None,
        )
    Opportunity.objects.filter(pk=opportunity.pk).update(created_at=at(first_day))
    opportunity.refresh_from_db()
    return opportunity


def deal_alone(opportunity: Opportunity, win_percent: int | None = None) -> Deals:
    """One open deal as a group of its own (``fitted.Deals``): the reference the grouped
    reads of the predicted forecast are checked against."""
    from django.utils import timezone

    zone = timezone.get_current_timezone()
    amount = float(opportunity.amount or 0)
    entered = opportunity.stage_changed_at or opportunity.created_at
    return Deals(
        opportunity.stage_id,
        entered.astimezone(zone).date(),
        opportunity.created_at.astimezone(zone).date(),
        opportunity.close_date,
        opportunity.probability,
        amount,
        amount**2,
        1,
        win_percent,
    )


def viewers(company: Company) -> dict[str, User]:
    """One viewer of each kind of visibility, by name: the reports read by the stored stays
    and snapshots must equal their replays for each (test_stays, test_snapshots)."""
    return {
        "admin": company.ada,
        "manager": company.maria,
        "rep": company.alice,
        "rep in another team": company.charlie,
        "read-only": company.rita,
        "marketing": company.mark,
    }
