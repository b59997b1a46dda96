"""Win rates, deal size, cycle, velocity, time in stage and the lead funnel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from conftest import Company
from opportune.fiscal import parse_period
from opportune.forecasting.analytics import funnel, sales_summary, time_in_stage, win_rates
from opportune.forecasting.periods import current_period
from opportune.leads.models import Lead, LeadStatus

from .conftest import deal, timeline

D = dt.date


def closed_deals(company: Company) -> None:
    timeline(
        company,
        company.alice,
        [
            (D(2026, 1, 1), "prospecting", "1000", D(2026, 3, 1)),
            (D(2026, 1, 15), "negotiation", "1000", D(2026, 3, 1)),
            (D(2026, 2, 20), "closed_won", "900", D(2026, 3, 1)),
        ],
        "Won by Alice",
    )
    timeline(
        company,
        company.alice,
        [
            (D(2026, 1, 1), "prospecting", "500", D(2026, 2, 1)),
            (D(2026, 1, 11), "closed_lost", "500", D(2026, 2, 1)),
        ],
        "Lost early",
    )
    timeline(
        company,
        company.bob,
        [
            (D(2026, 1, 1), "proposal", "300", D(2026, 2, 1)),
            (D(2026, 1, 21), "closed_lost", "300", D(2026, 2, 1)),
        ],
        "Lost late",
    )


def test_win_rate_is_won_over_closed_per_owner(company: Company) -> None:
    closed_deals(company)
    deal(company, company.alice, "negotiation", "5")  # open: not in any rate
    rows = {r.label: r for r in win_rates(company.ada, None, "owner")}
    assert (rows["Alice"].won, rows["Alice"].lost, rows["Alice"].win_rate) == (1, 1, Decimal("0.5"))
    assert rows["Bob"].win_rate == Decimal("0")
    assert rows["Alice"].average_deal_size == Decimal("900")


def test_win_rate_by_stage_reached_counts_every_stage_up_to_the_furthest(company: Company) -> None:
    closed_deals(company)
    rows = {r.key: (r.won, r.lost) for r in win_rates(company.ada, None, "stage")}
    assert rows["sales:prospecting"] == (1, 2)
    assert rows["sales:proposal"] == (1, 1)
    assert rows["sales:negotiation"] == (1, 0)


def test_win_rates_keep_to_the_close_dates_of_the_periods(company: Company) -> None:
    closed_deals(company)
    february = [parse_period("2026-02")]
    rows = {r.label: r for r in win_rates(company.ada, february, "owner")}
    assert (rows["Alice"].won, rows["Alice"].lost) == (0, 1)


def test_win_rates_respect_visibility(company: Company) -> None:
    closed_deals(company)
    assert [r.label for r in win_rates(company.bob, None, "owner")] == ["Bob"]
    assert win_rates(company.mark, None, "owner") == []


def test_deal_size_cycle_and_velocity(company: Company) -> None:
    closed_deals(company)
    deal(company, company.alice, "negotiation", "5")
    deal(company, company.bob, "prospecting", "7")
    summary = sales_summary(company.ada, [parse_period("2026-Q1")])
    assert (summary.won, summary.lost) == (1, 2)
    assert summary.average_deal_size == Decimal("900")
    assert summary.cycle_days == Decimal("59")  # 2026-01-01 to the close date 2026-03-01
    assert (summary.open_count, summary.open_amount) == (2, Decimal("12"))
    expected = (2 * Decimal("0.3333") * 900 / 59).quantize(Decimal("0.01"))
    assert summary.velocity_per_day == expected


def test_time_in_stage_measures_finished_stays(company: Company) -> None:
    closed_deals(company)
    stays = {s.label.split(": ")[1]: s for s in time_in_stage(company.ada)}
    assert stays["Prospecting"].stays == 2
    assert stays["Prospecting"].average_days == Decimal("12")  # 14 and 10 days
    assert stays["Negotiation / review"].average_days == Decimal("36")
    assert stays["Proposal / price quote"].median_days == Decimal("20")


def test_the_funnel_counts_each_step_a_lead_reached(company: Company) -> None:
    won = deal(company, company.alice, "closed_won", "10")
    status = {s.key: s for s in LeadStatus.objects.all()}
    company.lead(company.alice, source="web")
    company.lead(company.alice, source="web", status=status["working"])
    company.lead(company.alice, source="event", status=status["qualified"])
    company.lead(
        company.alice,
        source="event",
        status=status["unqualified"],
        disqualify_reason="no budget",
    )
    converted = company.lead(company.alice, source="event", status=status["converted"])
    Lead.objects.filter(pk=converted.pk).update(
        is_converted=True,
        converted_opportunity=won,
        converted_at=converted.created_at + dt.timedelta(days=3),
    )
    [row] = funnel(company.ada, [current_period()], "period")
    assert (row.created, row.worked, row.qualified, row.converted, row.won) == (5, 4, 2, 1, 1)
    assert row.conversion_rate == Decimal("0.2")
    assert row.days_to_convert == Decimal("3")
    by_source = {r.key: r for r in funnel(company.ada, [current_period()], "source")}
    assert (by_source["web"].created, by_source["event"].converted) == (2, 1)
    assert by_source["event"].label == "Event"
    # Marketing sees every lead but no opportunity: the lead converted, the win is not shown.
    [seen_by_marketing] = funnel(company.mark, [current_period()], "period")
    assert (seen_by_marketing.converted, seen_by_marketing.won) == (1, 0)


def test_the_funnel_keeps_to_the_creation_period(company: Company) -> None:
    lead = company.lead(company.alice)
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    company.lead(company.alice)
    [row] = funnel(company.ada, [current_period()], "period")
    assert row.created == 1
