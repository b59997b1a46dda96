"""The pipeline as of a past day and its changes between two days, rebuilt from history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import Company
from opportune.fiscal import parse_period
from opportune.forecasting.asof import pipeline_as_of, pipeline_changes
from opportune.opportunities.models import Opportunity

from .conftest import timeline

D = dt.date
Q1 = parse_period("2026-Q1")


@pytest.fixture
def deals(company: Company) -> dict[str, Opportunity]:
    """A won after a proposal; B's close date slips out of Q1; C is new in March; D was lost in
    February; E's close date moves into Q1."""
    return {
        "A": timeline(
            company,
            company.alice,
            [
                (D(2026, 1, 10), "prospecting", "100", D(2026, 3, 31)),
                (D(2026, 2, 15), "proposal", "120", D(2026, 3, 31)),
                (D(2026, 3, 20), "closed_won", "110", D(2026, 3, 31)),
            ],
            "A",
        ),
        "B": timeline(
            company,
            company.alice,
            [
                (D(2026, 2, 1), "negotiation", "50", D(2026, 3, 31)),
                (D(2026, 3, 5), "negotiation", "50", D(2026, 5, 15)),
            ],
            "B",
        ),
        "C": timeline(
            company, company.bob, [(D(2026, 3, 10), "prospecting", "30", D(2026, 3, 31))], "C"
        ),
        "D": timeline(
            company,
            company.charlie,
            [
                (D(2026, 1, 5), "proposal", "70", D(2026, 2, 28)),
                (D(2026, 2, 20), "closed_lost", "70", D(2026, 2, 28)),
            ],
            "D",
        ),
        "E": timeline(
            company,
            company.alice,
            [
                (D(2026, 1, 20), "prospecting", "10", D(2026, 6, 30)),
                (D(2026, 3, 1), "prospecting", "10", D(2026, 3, 25)),
            ],
            "E",
        ),
    }


def test_the_pipeline_of_a_past_day_holds_the_deals_open_then(
    company: Company, deals: dict[str, Opportunity]
) -> None:
    [snapshot] = pipeline_as_of(company.ada, [D(2026, 2, 28)])
    assert (snapshot.total.count, snapshot.total.amount) == (3, Decimal("180"))
    assert snapshot.total.weighted == Decimal("136")
    assert {k: v.amount for k, v in snapshot.by_category.items()} == {
        "best_case": Decimal("120"),
        "commit": Decimal("50"),
        "pipeline": Decimal("10"),
    }


def test_a_period_keeps_the_deals_closing_in_it(
    company: Company, deals: dict[str, Opportunity]
) -> None:
    [snapshot] = pipeline_as_of(company.ada, [D(2026, 2, 28)], Q1)
    assert snapshot.total.amount == Decimal("170")


def test_a_day_includes_what_changed_on_it_and_nothing_after(
    company: Company, deals: dict[str, Opportunity]
) -> None:
    before, on, early = pipeline_as_of(company.ada, [D(2026, 2, 14), D(2026, 2, 15), D(2026, 1, 9)])
    # A moved from prospecting at 100 to a proposal at 120 on 2026-02-15.
    assert (before.total.count, before.total.amount) == (4, Decimal("230"))
    assert (on.total.count, on.total.amount) == (4, Decimal("250"))
    assert (early.total.count, early.total.amount) == (1, Decimal("70"))


def test_the_changes_between_two_days_add_up(
    company: Company, deals: dict[str, Opportunity]
) -> None:
    changes = pipeline_changes(company.ada, D(2026, 2, 28), D(2026, 3, 31), Q1)
    flows = {kind: (t.count, t.amount) for kind, t in changes.flows.items()}
    assert changes.start.amount == Decimal("170")
    assert flows == {
        "new": (1, Decimal("30")),
        "moved_in": (1, Decimal("10")),
        "moved_out": (1, Decimal("50")),
        "won": (1, Decimal("110")),
        "lost": (0, Decimal("0")),
        "amount_changed": (1, Decimal("-10")),
    }
    assert changes.end.amount == Decimal("40")
    assert changes.balance() == changes.end.amount
    kinds = {c.name: c.kinds for c in changes.changes}
    assert kinds == {
        "A": ["amount_changed", "won"],
        "B": ["moved_out"],
        "C": ["new"],
        "E": ["moved_in"],
    }


def test_without_a_period_the_lost_deal_counts(
    company: Company, deals: dict[str, Opportunity]
) -> None:
    changes = pipeline_changes(company.ada, D(2026, 1, 31), D(2026, 2, 28))
    assert (changes.flows["lost"].count, changes.flows["lost"].amount) == (1, Decimal("70"))
    assert changes.balance() == changes.end.amount


def test_history_respects_visibility(company: Company, deals: dict[str, Opportunity]) -> None:
    [snapshot] = pipeline_as_of(company.bob, [D(2026, 3, 31)])
    assert (snapshot.total.count, snapshot.total.amount) == (1, Decimal("30"))
    [nothing] = pipeline_as_of(company.mark, [D(2026, 3, 31)])
    assert nothing.total.count == 0
    assert pipeline_changes(company.maria, D(2026, 1, 31), D(2026, 2, 28)).flows["lost"].count == 0
