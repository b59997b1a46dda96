"""A forecast holds what its viewer may see (PRODUCT.md section 8)."""

from __future__ import annotations

from decimal import Decimal

from pytest_django import Settings

from conftest import Company
from opportune.fiscal import parse_period
from opportune.forecasting.forecast import forecast_for

from .conftest import deal

Q4 = [parse_period("2026-Q4")]


def world(company: Company) -> None:
    deal(company, company.alice, "negotiation", "1")
    deal(company, company.bob, "negotiation", "10")
    deal(company, company.charlie, "negotiation", "100")


def test_a_rep_forecasts_their_own_deals(company: Company) -> None:
    world(company)
    forecast = forecast_for(company.bob, Q4)
    assert forecast.total.amount("commit") == Decimal("10")
    assert [row.name for row in forecast.owners()] == ["Bob"]


def test_reps_who_may_see_their_team_forecast_it(company: Company, settings: Settings) -> None:
    settings.OPPORTUNE_REPS_SEE_TEAM = True
    world(company)
    assert forecast_for(company.bob, Q4).total.amount("commit") == Decimal("11")


def test_a_manager_forecasts_their_team_and_not_the_others(company: Company) -> None:
    world(company)
    forecast = forecast_for(company.maria, Q4)
    assert forecast.total.amount("commit") == Decimal("11")
    [sales] = forecast.teams
    assert [t.name for t in sales.teams] == ["East"]


def test_a_manager_asking_for_another_team_gets_nothing_of_it(company: Company) -> None:
    world(company)
    forecast = forecast_for(company.maria, Q4, team_id=company.west.pk)
    assert forecast.total.amount("commit") == Decimal("0")


def test_read_only_users_see_their_teams_forecast(company: Company) -> None:
    world(company)
    assert forecast_for(company.rita, Q4).total.amount("commit") == Decimal("11")


def test_marketing_sees_no_forecast(company: Company) -> None:
    world(company)
    forecast = forecast_for(company.mark, Q4)
    assert forecast.total.count("pipeline") == 0
    assert forecast.teams == []


def test_admins_see_everything(company: Company) -> None:
    world(company)
    assert forecast_for(company.ada, Q4).total.amount("commit") == Decimal("111")
