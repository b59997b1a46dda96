"""Undoing a stage move or close: only its author, only within 10 seconds, only while it is
still the deal's last change; the undo is a new history row, never a deletion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import Company
from opportune.errors import Conflict, NotAllowed, RuleViolation
from opportune.opportunities.models import Opportunity, OpportunityHistory
from opportune.opportunities.services import (
    UNDO_WINDOW,
    change_opportunity,
    undo_stage_change,
)

pytestmark = pytest.mark.django_db


def _last_change(opportunity: Opportunity) -> OpportunityHistory:
    return OpportunityHistory.objects.filter(opportunity=opportunity).order_by(
        "-changed_at", "-pk"
    )[0]


def test_undo_within_ten_seconds_puts_the_deal_back_and_appends_a_history_row(
    company: Company,
) -> None:
    deal = company.opportunity(company.alice, stage_key="qualification")
    before = Opportunity.objects.get(pk=deal.pk)
    moved = change_opportunity(company.alice, deal, {"stage": "proposal"})
    change = _last_change(moved)
    undone = undo_stage_change(company.alice, moved, change.pk, change.changed_at + UNDO_WINDOW)
    assert undone.stage.key == "qualification"
    assert (undone.probability, undone.forecast_category) == (
        before.probability,
        before.forecast_category,
    )
    assert undone.stage_changed_at == before.stage_changed_at
    rows = list(OpportunityHistory.objects.filter(opportunity=deal).order_by("changed_at", "pk"))
    assert [r.stage.key for r in rows] == ["qualification", "proposal", "qualification"]
    assert rows[-1].changed_by == company.alice


def test_undo_after_ten_seconds_is_refused(company: Company) -> None:
    deal = company.opportunity(company.alice)
    moved = change_opportunity(company.alice, deal, {"stage": "proposal"})
    change = _last_change(moved)
    too_late = change.changed_at + UNDO_WINDOW + dt.timedelta(milliseconds=1)
    with pytest.raises(RuleViolation, match="Too late"):
        undo_stage_change(company.alice, moved, change.pk, too_late)
    assert Opportunity.objects.get(pk=deal.pk).stage.key == "proposal"
    assert OpportunityHistory.objects.filter(opportunity=deal).count() == 2


def test_only_the_user_who_moved_the_deal_may_undo_it(company: Company) -> None:
    deal = company.opportunity(company.alice)
    moved = change_opportunity(company.maria, deal, {"stage": "proposal"})
    change = _last_change(moved)
    with pytest.raises(NotAllowed):
        undo_stage_change(company.alice, moved, change.pk, change.changed_at)
    assert Opportunity.objects.get(pk=deal.pk).stage.key == "proposal"


def test_a_later_change_by_someone_else_blocks_the_undo(company: Company) -> None:
    deal = company.opportunity(company.alice)
    moved = change_opportunity(company.alice, deal, {"stage": "proposal"})
    change = _last_change(moved)
    change_opportunity(company.maria, moved, {"amount": Decimal("12345")})
    with pytest.raises(Conflict):
        undo_stage_change(company.alice, moved, change.pk, change.changed_at)
    deal.refresh_from_db()
    assert (deal.stage.key, deal.amount) == ("proposal", Decimal("12345"))


def test_a_later_edit_outside_the_stage_history_blocks_the_undo(company: Company) -> None:
    deal = company.opportunity(company.alice)
    moved = change_opportunity(company.alice, deal, {"stage": "proposal"})
    change = _last_change(moved)
    change_opportunity(company.maria, moved, {"name": "Renamed by Maria"})
    with pytest.raises(Conflict):
        undo_stage_change(company.alice, moved, change.pk, change.changed_at)
    assert Opportunity.objects.get(pk=deal.pk).stage.key == "proposal"


def test_undoing_a_close_won_reopens_the_deal_with_its_close_date_and_amount(
    company: Company,
) -> None:
    deal = company.opportunity(company.alice, stage_key="negotiation", amount=Decimal("5000"))
    won = change_opportunity(
        company.alice,
        deal,
        {"stage": "closed_won", "amount": Decimal("6000"), "close_date": dt.date(2026, 1, 5)},
    )
    assert won.is_closed and won.is_won
    change = _last_change(won)
    reopened = undo_stage_change(company.alice, won, change.pk, change.changed_at)
    assert not reopened.is_closed and not reopened.is_won and reopened.closed_at is None
    assert reopened.stage.key == "negotiation"
    assert (reopened.amount, reopened.close_date) == (Decimal("5000"), dt.date(2026, 12, 31))


def test_undoing_a_reopening_closes_it_lost_again_with_its_reason(company: Company) -> None:
    deal = company.opportunity(company.alice)
    lost = change_opportunity(
        company.alice, deal, {"stage": "closed_lost", "lost_reason": "competitor"}
    )
    closed_at = lost.closed_at
    reopened = change_opportunity(company.alice, lost, {"stage": "proposal"})
    change = _last_change(reopened)
    again = undo_stage_change(company.alice, reopened, change.pk, change.changed_at)
    assert again.is_closed and not again.is_won and again.closed_at == closed_at
    assert again.lost_reason is not None and again.lost_reason.key == "competitor"


def test_an_undo_cannot_be_undone_twice_nor_applied_to_an_older_move(company: Company) -> None:
    deal = company.opportunity(company.alice)
    first = change_opportunity(company.alice, deal, {"stage": "qualification"})
    older = _last_change(first)
    second = change_opportunity(company.alice, first, {"stage": "proposal"})
    with pytest.raises(Conflict):
        undo_stage_change(company.alice, second, older.pk, older.changed_at)
    latest = _last_change(second)
    undo_stage_change(company.alice, second, latest.pk, latest.changed_at)
    with pytest.raises(Conflict):
        undo_stage_change(company.alice, second, latest.pk, latest.changed_at)


def test_a_change_that_moved_no_stage_is_not_undone(company: Company) -> None:
    deal = company.opportunity(company.alice)
    changed = change_opportunity(company.alice, deal, {"amount": Decimal("1")})
    change = _last_change(changed)
    with pytest.raises(RuleViolation, match="did not move"):
        undo_stage_change(company.alice, changed, change.pk, change.changed_at)
