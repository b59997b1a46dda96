"""Quotas, attainment and managers' adjustments of their reports' commit and best case."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import Company
from opportune.errors import NotAllowed, RuleViolation
from opportune.fiscal import parse_period
from opportune.forecasting.forecast import Forecast, OwnerForecast, forecast_for
from opportune.forecasting.services import adjust_forecast, set_quota

from .conftest import deal

Q4 = [parse_period("2026-Q4")]


def owners(forecast: Forecast) -> dict[str, OwnerForecast]:
    return {row.name: row for row in forecast.owners()}


def test_attainment_is_closed_over_quota(company: Company) -> None:
    deal(company, company.alice, "closed_won", "2500")
    deal(company, company.alice, "negotiation", "9999")
    set_quota(company.maria, company.alice.pk, "2026-Q4", Decimal("10000"))
    alice = owners(forecast_for(company.ada, Q4))["Alice"]
    assert alice.quota == Decimal("10000")
    assert alice.attainment == Decimal("0.25")


def test_a_team_without_a_managers_quota_sums_its_members_and_attainment_follows(
    company: Company,
) -> None:
    deal(company, company.alice, "closed_won", "3000")
    deal(company, company.charlie, "closed_won", "1000")
    set_quota(company.ada, company.alice.pk, "2026-Q4", Decimal("4000"))
    set_quota(company.ada, company.bob.pk, "2026-Q4", Decimal("6000"))
    set_quota(company.ada, company.charlie.pk, "2026-Q4", Decimal("10000"))
    forecast = forecast_for(company.ada, Q4)
    [sales] = forecast.teams
    east, _ = sales.teams
    assert east.quota == Decimal("10000")
    assert east.attainment == Decimal("0.3")
    assert sales.quota == Decimal("20000")
    assert forecast.attainment == Decimal("0.2")
    # Bob has a quota and no deal: he is listed, at zero.
    assert owners(forecast)["Bob"].attainment == Decimal("0")


def test_a_quarter_quota_adds_up_month_quotas_when_none_is_set_for_it(company: Company) -> None:
    for month in ("2026-10", "2026-11", "2026-12"):
        set_quota(company.ada, company.bob.pk, month, Decimal("100"))
    set_quota(company.ada, company.alice.pk, "2026-10", Decimal("100"))
    set_quota(company.ada, company.alice.pk, "2026-Q4", Decimal("250"))
    by_name = owners(forecast_for(company.ada, Q4))
    assert by_name["Bob"].quota == Decimal("300")
    assert by_name["Alice"].quota == Decimal("250")


def test_setting_a_quota_again_replaces_it(company: Company) -> None:
    set_quota(company.ada, company.bob.pk, "2026-Q4", Decimal("100"))
    set_quota(company.ada, company.bob.pk, "2026-q4", Decimal("200"))
    assert owners(forecast_for(company.ada, Q4))["Bob"].quota == Decimal("200")


def test_an_adjustment_replaces_the_reports_figure_and_keeps_the_raw_one(company: Company) -> None:
    deal(company, company.alice, "closed_won", "1000")
    deal(company, company.alice, "negotiation", "2000")
    deal(company, company.bob, "negotiation", "500")
    adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", Decimal("1500"), "slips")
    forecast = forecast_for(company.maria, Q4)
    alice = owners(forecast)["Alice"]
    assert alice.figures.amount("commit") == Decimal("3000")
    assert alice.adjusted["commit"] == Decimal("1500")
    assert alice.adjusted["best_case"] == Decimal("3000")
    assert [a.note for a in alice.adjustments] == ["slips"]
    [sales] = forecast.teams
    [east] = sales.teams
    assert east.figures.amount("commit") == Decimal("3500")
    assert east.adjusted["commit"] == Decimal("2000")
    assert forecast.adjusted["commit"] == Decimal("2000")


def test_the_newest_adjustment_is_in_force_and_none_withdraws_it(company: Company) -> None:
    deal(company, company.alice, "negotiation", "2000")
    adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", Decimal("1"))
    adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", Decimal("2"))
    assert owners(forecast_for(company.maria, Q4))["Alice"].adjusted["commit"] == Decimal("2")
    adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", None, "back to raw")
    alice = owners(forecast_for(company.maria, Q4))["Alice"]
    assert alice.adjusted["commit"] == Decimal("2000")
    assert alice.adjustments == []


def test_an_adjustment_of_another_period_does_not_apply(company: Company) -> None:
    deal(company, company.alice, "negotiation", "2000")
    adjust_forecast(company.maria, company.alice.pk, "2026-11", "commit", Decimal("1"))
    adjust_forecast(company.maria, company.alice.pk, "2027-Q1", "commit", Decimal("1"))
    assert owners(forecast_for(company.maria, Q4))["Alice"].adjusted["commit"] == Decimal("2000")


def test_a_rep_does_not_see_adjustments_of_their_own_forecast(company: Company) -> None:
    deal(company, company.alice, "negotiation", "2000")
    adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", Decimal("1"))
    alice = owners(forecast_for(company.alice, Q4))["Alice"]
    assert alice.adjusted["commit"] == Decimal("2000")
    assert alice.adjustments == []


def test_only_a_reports_manager_or_an_admin_adjusts(company: Company) -> None:
    with pytest.raises(NotAllowed):
        adjust_forecast(company.bob, company.alice.pk, "2026-Q4", "commit", Decimal("1"))
    with pytest.raises(NotAllowed):
        adjust_forecast(company.rita, company.alice.pk, "2026-Q4", "commit", Decimal("1"))
    with pytest.raises(RuleViolation) as outside:
        adjust_forecast(company.maria, company.charlie.pk, "2026-Q4", "commit", Decimal("1"))
    assert "user_id" in outside.value.errors
    adjust_forecast(company.ada, company.maria.pk, "2026-Q4", "best_case", Decimal("1"))


def test_only_commit_and_best_case_are_adjusted(company: Company) -> None:
    with pytest.raises(RuleViolation) as refused:
        adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "closed", Decimal("1"))
    assert "category" in refused.value.errors


def test_only_managers_set_quotas_of_their_reports(company: Company) -> None:
    with pytest.raises(NotAllowed):
        set_quota(company.alice, company.alice.pk, "2026-Q4", Decimal("1"))
    with pytest.raises(RuleViolation):
        set_quota(company.maria, company.charlie.pk, "2026-Q4", Decimal("1"))
    with pytest.raises(RuleViolation) as bad_period:
        set_quota(company.maria, company.alice.pk, "Q4", Decimal("1"))
    assert "period" in bad_period.value.errors
