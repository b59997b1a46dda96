"""The forecast's figures: cumulative categories, the weighted pipeline and the team roll-up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from conftest import Company
from opportune.fiscal import parse_period
from opportune.forecasting.forecast import Forecast, OwnerForecast, forecast_for

from .conftest import deal

D = dt.date
Q4 = [parse_period("2026-Q4")]


def alice_quarter(company: Company) -> None:
    deal(company, company.alice, "closed_won", "1000")
    deal(company, company.alice, "negotiation", "2000")  # commit, 90 %
    deal(company, company.alice, "proposal", "4000")  # best case, 75 %
    deal(company, company.alice, "prospecting", "8000")  # pipeline, 10 %
    deal(company, company.alice, "closed_lost", "16000")  # omitted


def members(forecast: Forecast) -> dict[str, OwnerForecast]:
    return {row.name: row for row in forecast.owners()}


def test_categories_roll_up_cumulatively_and_omitted_is_left_out(company: Company) -> None:
    alice_quarter(company)
    figures = members(forecast_for(company.ada, Q4))["Alice"].figures
    assert figures.amount("closed") == Decimal("1000")
    assert figures.amount("commit") == Decimal("3000")
    assert figures.amount("best_case") == Decimal("7000")
    assert figures.amount("pipeline") == Decimal("14000")
    assert [figures.count(r) for r in ("closed", "commit", "best_case", "pipeline")] == [1, 2, 3, 3]
    assert figures.amounts["omitted"] == Decimal("16000")
    assert figures.counts["omitted"] == 1


def test_the_weighted_pipeline_is_the_expected_revenue_of_open_deals(company: Company) -> None:
    alice_quarter(company)
    figures = members(forecast_for(company.ada, Q4))["Alice"].figures
    assert figures.weighted == Decimal("2000") * Decimal("0.9") + Decimal("4000") * Decimal(
        "0.75"
    ) + Decimal("8000") * Decimal("0.1")


def test_an_overridden_category_moves_the_deal(company: Company) -> None:
    deal(company, company.bob, "prospecting", "500", forecast_category="commit", probability=40)
    figures = members(forecast_for(company.ada, Q4))["Bob"].figures
    assert figures.amount("commit") == Decimal("500")
    assert figures.amounts["pipeline"] == Decimal("0")
    assert figures.weighted == Decimal("200")


def test_the_period_includes_its_first_and_last_day_and_nothing_else(company: Company) -> None:
    deal(company, company.bob, "closed_won", "1", close_date=D(2026, 10, 1))
    deal(company, company.bob, "closed_won", "10", close_date=D(2026, 12, 31))
    deal(company, company.bob, "closed_won", "100", close_date=D(2026, 9, 30))
    deal(company, company.bob, "closed_won", "1000", close_date=D(2027, 1, 1))
    assert forecast_for(company.ada, Q4).total.amount("closed") == Decimal("11")


def test_teams_total_their_members_and_sub_teams(company: Company) -> None:
    alice_quarter(company)
    deal(company, company.bob, "negotiation", "300")
    deal(company, company.charlie, "closed_won", "50")
    deal(company, company.maria, "proposal", "7")
    forecast = forecast_for(company.ada, Q4)
    [sales] = forecast.teams
    assert sales.name == "Sales"
    east, west = sales.teams
    assert [m.name for m in east.members] == ["Alice", "Bob", "Maria"]
    assert east.figures.amount("commit") == Decimal("3300")
    assert east.figures.amount("best_case") == Decimal("7307")
    assert west.figures.amount("closed") == Decimal("50")
    assert sales.figures.amount("closed") == Decimal("1050")
    assert sales.figures.amount("pipeline") == Decimal("14307")
    assert forecast.total.amount("best_case") == Decimal("7357")
    assert forecast.total.weighted == sales.figures.weighted


def test_a_team_without_deals_is_left_out(company: Company) -> None:
    deal(company, company.charlie, "closed_won", "50")
    [sales] = forecast_for(company.ada, Q4).teams
    assert [t.name for t in sales.teams] == ["West"]


def test_one_team_shows_its_subtree_only(company: Company) -> None:
    alice_quarter(company)
    deal(company, company.charlie, "closed_won", "50")
    forecast = forecast_for(company.ada, Q4, team_id=company.east.pk)
    assert [t.name for t in forecast.teams] == ["East"]
    assert forecast.total.amount("closed") == Decimal("1000")
    whole = forecast_for(company.ada, Q4, team_id=company.sales.pk)
    assert whole.total.amount("closed") == Decimal("1050")


def test_a_range_totals_its_periods(company: Company) -> None:
    deal(company, company.bob, "closed_won", "1", close_date=D(2026, 1, 5))
    deal(company, company.bob, "negotiation", "10", close_date=D(2026, 5, 5))
    deal(company, company.bob, "proposal", "100", close_date=D(2026, 12, 5))
    deal(company, company.bob, "proposal", "1000", close_date=D(2027, 1, 5))
    periods = [parse_period(k) for k in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")]
    forecast = forecast_for(company.ada, periods)
    assert forecast.total.amount("best_case") == Decimal("111")
    assert [f.amount("best_case") for _, f in forecast.by_period] == [
        Decimal("1"),
        Decimal("10"),
        Decimal("0"),
        Decimal("100"),
    ]
    for period, figures in forecast.by_period:
        assert forecast_for(company.ada, [period]).total == figures


def test_unowned_deals_count_in_the_total_but_in_no_team(company: Company) -> None:
    from opportune.opportunities.models import Opportunity

    opportunity = deal(company, company.bob, "negotiation", "70")
    Opportunity.objects.filter(pk=opportunity.pk).update(owner=None)
    forecast = forecast_for(company.ada, Q4)
    assert forecast.teams == []
    assert [row.name for row in forecast.unassigned] == ["(no owner)"]
    assert forecast.total.amount("commit") == Decimal("70")
