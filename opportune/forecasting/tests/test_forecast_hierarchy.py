"""The forecast hierarchy's rules (docs/forecasting.md), as in Salesforce's collaborative
forecasts: quotas roll up as team targets, adjustments replace the rolled-up figure upward,
the cumulative figures stay ordered, who may adjust, and the adjustments history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import Company
from opportune.errors import NotAllowed, RuleViolation
from opportune.fiscal import parse_period
from opportune.forecasting.forecast import (
    Forecast,
    OwnerForecast,
    TeamForecast,
    forecast_for,
    ordered,
)
from opportune.forecasting.services import adjust_forecast, set_quota
from opportune.identity.models import Role, User

from .conftest import deal

Q4 = [parse_period("2026-Q4")]
D = Decimal


@pytest.fixture
def vp(company: Company) -> User:
    """Victor, who manages Sales (East and West under it)."""
    victor = User.objects.create_user(
        "victor", first_name="Victor", role=Role.SALES_MANAGER, team=company.sales
    )
    company.sales.manager = victor
    company.sales.save()
    return victor


def teams(forecast: Forecast) -> dict[str, TeamForecast]:
    return {t.name: t for root in forecast.teams for t in root.walk()}


# --- quotas ---------------------------------------------------------------------------------


def test_a_managers_quota_is_the_teams_target_and_reps_quotas_are_not_added(
    company: Company, vp: User
) -> None:
    deal(company, company.alice, "closed_won", "9700")
    set_quota(vp, company.maria.pk, "2026-Q4", D("10000"))
    set_quota(company.maria, company.alice.pk, "2026-Q4", D("6000"))
    set_quota(company.maria, company.bob.pk, "2026-Q4", D("4000"))
    east = teams(forecast_for(company.ada, Q4))["East"]
    assert east.quota == D("10000")  # not 20,000
    assert east.members_quota == D("10000")  # the reps' quotas, shown beside it
    assert east.attainment == D("0.97")
    assert not east.quota_mismatch
    # Maria owns no deal: she is not listed as a member, her quota is East's.
    assert [m.name for m in east.members] == ["Alice", "Bob"]


def test_the_sum_of_the_quotas_below_is_information_and_a_mismatch_is_flagged(
    company: Company, vp: User
) -> None:
    set_quota(vp, company.maria.pk, "2026-Q4", D("12000"))
    set_quota(company.maria, company.alice.pk, "2026-Q4", D("6000"))
    east = teams(forecast_for(company.ada, Q4))["East"]
    assert (east.quota, east.members_quota, east.quota_mismatch) == (D("12000"), D("6000"), True)


def test_a_team_without_a_managers_quota_has_the_sum_of_the_quotas_one_level_down(
    company: Company, vp: User
) -> None:
    deal(company, company.charlie, "closed_won", "3000")
    set_quota(vp, company.maria.pk, "2026-Q4", D("10000"))
    set_quota(company.maria, company.alice.pk, "2026-Q4", D("9999"))
    set_quota(vp, company.charlie.pk, "2026-Q4", D("5000"))
    forecast = forecast_for(company.ada, Q4)
    by_name = teams(forecast)
    assert by_name["West"].quota == D("5000")  # West has no manager
    # Victor has no quota: Sales' target is East's (Maria's) + West's, not the reps'.
    assert by_name["Sales"].quota == D("15000")
    assert forecast.quota == D("15000")
    assert forecast.attainment == D("0.2")


# --- adjustments replace the figure upward --------------------------------------------------


def test_an_adjustment_replaces_the_adjusted_subtrees_figure_in_every_level_above(
    company: Company, vp: User
) -> None:
    deal(company, company.alice, "closed_won", "1000")
    deal(company, company.alice, "negotiation", "5000")
    deal(company, company.bob, "negotiation", "3000")
    deal(company, company.charlie, "negotiation", "700")
    adjust_forecast(vp, company.maria.pk, "2026-Q4", "commit", D("4000"), "East will slip")
    forecast = forecast_for(vp, Q4)
    by_name = teams(forecast)
    assert by_name["East"].figures.amount("commit") == D("9000")  # raw is kept
    assert by_name["East"].adjusted["commit"] == D("4000")  # replaced, not 9,000 + 4,000
    assert by_name["Sales"].adjusted["commit"] == D("4700")  # East's 4,000 + West's 700
    assert forecast.adjusted["commit"] == D("4700")


def test_an_adjustment_higher_up_replaces_the_adjustments_below_it(
    company: Company, vp: User
) -> None:
    deal(company, company.alice, "negotiation", "5000")
    deal(company, company.bob, "negotiation", "3000")
    adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", D("1000"))
    # Maria's number is her judgement of Alice plus Bob's raw figure.
    assert teams(forecast_for(company.maria, Q4))["East"].adjusted["commit"] == D("4000")
    adjust_forecast(vp, None, "2026-Q4", "commit", D("6000"), team_id=company.east.pk)
    by_name = teams(forecast_for(vp, Q4))
    assert by_name["East"].adjusted["commit"] == D("6000")
    assert by_name["Sales"].adjusted["commit"] == D("6000")
    # Maria does not see what her VP made of her number: hers stays.
    assert teams(forecast_for(company.maria, Q4))["East"].adjusted["commit"] == D("4000")


def test_an_adjustment_applies_to_its_period_only_within_a_range(company: Company) -> None:
    deal(company, company.alice, "negotiation", "5000")
    deal(company, company.alice, "negotiation", "200", close_date=dt.date(2027, 2, 1))
    adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", D("1000"))
    both = forecast_for(company.maria, [parse_period("2026-Q4"), parse_period("2027-Q1")])
    assert teams(both)["East"].adjusted["commit"] == D("1200")


# --- ordering -------------------------------------------------------------------------------


def test_a_higher_figure_is_raised_to_at_least_the_adjusted_lower_one() -> None:
    raw = {"closed": D("100"), "commit": D("300"), "best_case": D("500"), "pipeline": D("600")}
    assert ordered({**raw, "commit": D("900")}) == {
        "closed": D("100"), "commit": D("900"), "best_case": D("900"), "pipeline": D("800"),
    }  # fmt: skip
    # A commit below what is already closed is raised to closed.
    assert ordered({**raw, "commit": D("50")})["commit"] == D("100")
    # A best case below the commit is raised to the commit: it never lowers the commit.
    assert ordered({**raw, "best_case": D("200")})["best_case"] == D("300")


def test_adjusted_figures_stay_ordered_at_every_level(company: Company, vp: User) -> None:
    deal(company, company.alice, "closed_won", "1000")
    deal(company, company.alice, "negotiation", "2000")
    deal(company, company.alice, "proposal", "500")  # best case
    deal(company, company.bob, "closed_won", "400")
    adjust_forecast(vp, company.maria.pk, "2026-Q4", "commit", D("90000"))
    forecast = forecast_for(vp, Q4)
    nodes: list[TeamForecast | OwnerForecast] = [*teams(forecast).values(), *forecast.owners()]
    for node in nodes:
        adjusted = node.adjusted
        assert adjusted["closed"] <= adjusted["commit"] <= adjusted["best_case"]
        assert adjusted["best_case"] <= adjusted["closed"] + adjusted["pipeline"]
    east = teams(forecast)["East"]
    assert (east.adjusted["commit"], east.adjusted["best_case"]) == (D("90000"), D("90000"))


# --- who may adjust -------------------------------------------------------------------------


def test_anyone_above_a_node_adjusts_it_and_a_manager_adjusts_their_own_figure(
    company: Company, vp: User
) -> None:
    adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", D("1"))  # her rep
    adjust_forecast(company.maria, company.maria.pk, "2026-Q4", "commit", D("1"))  # her own
    adjust_forecast(company.maria, None, "2026-Q4", "commit", D("1"), team_id=company.east.pk)
    adjust_forecast(vp, company.alice.pk, "2026-Q4", "commit", D("1"))  # two levels down
    adjust_forecast(vp, company.maria.pk, "2026-Q4", "commit", D("1"))
    adjust_forecast(vp, None, "2026-Q4", "commit", D("1"), team_id=company.west.pk)
    adjust_forecast(company.ada, None, "2026-Q4", "commit", D("1"), team_id=company.sales.pk)


def test_nobody_adjusts_a_figure_above_or_beside_them(company: Company, vp: User) -> None:
    for actor in (company.bob, company.alice, company.rita, company.mark):
        with pytest.raises(NotAllowed):
            adjust_forecast(actor, company.alice.pk, "2026-Q4", "commit", D("1"))
    for user_id, team_id in ((vp.pk, None), (company.charlie.pk, None),
                             (None, company.sales.pk), (None, company.west.pk)):  # fmt: skip
        with pytest.raises(RuleViolation):
            adjust_forecast(company.maria, user_id, "2026-Q4", "commit", D("1"), team_id=team_id)
    with pytest.raises(RuleViolation) as both:
        adjust_forecast(vp, company.alice.pk, "2026-Q4", "commit", D("1"), team_id=1)
    assert "user_id" in both.value.errors


# --- history and who adjusted ---------------------------------------------------------------


def test_the_history_keeps_who_when_old_and_new_value_and_the_note(
    company: Company, vp: User
) -> None:
    deal(company, company.alice, "negotiation", "5000")
    first = adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", D("4000"), "a")
    second = adjust_forecast(vp, company.maria.pk, "2026-Q4", "commit", D("3000"), "b")
    withdrawn = adjust_forecast(vp, company.maria.pk, "2026-Q4", "commit", None, "c")
    assert (first.previous_amount, first.amount) == (D("5000"), D("4000"))
    assert (second.previous_amount, second.amount) == (D("4000"), D("3000"))
    assert (withdrawn.previous_amount, withdrawn.amount) == (D("3000"), None)
    history = forecast_for(vp, Q4).history
    assert [(a.subject, a.adjusted_by, a.note) for a in history] == [
        ("East", "Victor", "c"), ("East", "Victor", "b"), ("Alice", "Maria", "a"),
    ]  # fmt: skip
    assert history[0].created_at >= history[-1].created_at
    # Maria's history holds her own judgements only.
    assert [a.note for a in forecast_for(company.maria, Q4).history] == ["a"]


def test_each_level_shows_raw_adjusted_and_who_adjusted(company: Company, vp: User) -> None:
    deal(company, company.alice, "negotiation", "5000")
    adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "best_case", D("7000"))
    forecast = forecast_for(vp, Q4)
    [alice] = [o for o in forecast.owners() if o.name == "Alice"]
    assert alice.figures.amount("best_case") == D("5000")
    assert alice.adjusted["best_case"] == D("7000")
    assert [a.adjusted_by for a in alice.adjustments] == ["Maria"]
    east = teams(forecast)["East"]
    assert (east.figures.amount("best_case"), east.adjusted["best_case"]) == (D("5000"), D("7000"))
    assert east.adjustments == []  # East itself is not adjusted: Alice is


def test_the_worked_example_of_the_docs(company: Company, vp: User) -> None:
    """docs/forecasting.md, "Worked example", figure by figure."""
    deal(company, company.alice, "closed_won", "1000")
    deal(company, company.alice, "negotiation", "5000")
    deal(company, company.alice, "proposal", "500")
    deal(company, company.bob, "negotiation", "3000")
    deal(company, company.charlie, "closed_won", "2000")
    deal(company, company.charlie, "negotiation", "700")
    set_quota(vp, company.maria.pk, "2026-Q4", D("10000"))
    set_quota(company.maria, company.alice.pk, "2026-Q4", D("6000"))
    set_quota(company.maria, company.bob.pk, "2026-Q4", D("4000"))
    set_quota(vp, company.charlie.pk, "2026-Q4", D("5000"))
    by_name = teams(forecast_for(vp, Q4))
    east, west, sales = by_name["East"], by_name["West"], by_name["Sales"]
    assert [east.figures.amount(r) for r in ("closed", "commit", "best_case")] == [
        D("1000"), D("9000"), D("9500"),
    ]  # fmt: skip
    assert (east.quota, east.members_quota, east.attainment) == (D("10000"), D("10000"), D("0.1"))
    assert (west.quota, sales.quota, sales.attainment) == (D("5000"), D("15000"), D("0.2"))

    one = adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", D("4000"))
    assert teams(forecast_for(company.maria, Q4))["East"].adjusted["commit"] == D("7000")
    two = adjust_forecast(vp, company.maria.pk, "2026-Q4", "commit", D("8000"))
    by_name = teams(forecast_for(vp, Q4))
    assert (by_name["East"].adjusted["commit"], by_name["Sales"].adjusted["commit"]) == (
        D("8000"), D("10700"),
    )  # fmt: skip
    assert teams(forecast_for(company.maria, Q4))["East"].adjusted["commit"] == D("7000")
    three = adjust_forecast(vp, company.maria.pk, "2026-Q4", "commit", D("11000"))
    forecast = forecast_for(vp, Q4)
    east, sales = teams(forecast)["East"], teams(forecast)["Sales"]
    assert east.adjusted == {
        "closed": D("1000"), "commit": D("11000"), "best_case": D("11000"), "pipeline": D("10000"),
    }  # fmt: skip
    assert (sales.adjusted["commit"], sales.adjusted["best_case"]) == (D("13700"), D("13700"))
    assert [(a.previous_amount, a.amount) for a in (one, two, three)] == [
        (D("6000"), D("4000")), (D("7000"), D("8000")), (D("8000"), D("11000")),
    ]  # fmt: skip
    assert [(a.adjusted_by, a.subject) for a in forecast.history] == [
        ("Victor", "East"), ("Victor", "East"), ("Maria", "Alice"),
    ]  # fmt: skip
