"""Each history row carries its deal's owner *today* (``deal_owner``): the key by which a
manager's reports find her deals' rows (forecasting/changes.py). Written with the row, and
given to every row of a deal whenever the deal changes owner, by whichever service does it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from conftest import Company
from opportune.audit.bin import delete_record
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity, OpportunityHistory
from opportune.opportunities.services import change_opportunity, reassign_opportunities

CREATED = {"stage_key": "needs_analysis", "amount": Decimal("1000.00")}


def _owners(deal: Opportunity) -> list[int | None]:
    return list(
        OpportunityHistory.objects.filter(opportunity=deal)
        .order_by("pk")
        .values_list("deal_owner_id", flat=True)
    )


def _with_rows(company: Company, owner: User | None, changes: int = 2) -> Opportunity:
    """A deal of ``owner`` with its first row and ``changes`` more (amount changes)."""
    deal = company.opportunity(owner, **CREATED)
    for step in range(changes):
        deal = change_opportunity(company.ada, deal, {"amount": Decimal(2000 + step)})
    return deal


def test_the_rows_a_deal_writes_carry_its_owner(company: Company) -> None:
    deal = _with_rows(company, company.alice)
    assert _owners(deal) == [company.alice.pk] * 3
    unowned = _with_rows(company, None, changes=1)
    assert _owners(unowned) == [None, None]


def test_a_row_written_directly_takes_its_deals_owner_whatever_it_was_given(
    company: Company,
) -> None:
    deal = company.opportunity(company.bob, **CREATED)
    row = OpportunityHistory(
        opportunity=deal,
        deal_owner=company.alice,
        stage=deal.stage,
        amount=deal.amount,
        probability=deal.probability,
        close_date=deal.close_date,
        forecast_category=deal.forecast_category,
        changed_at=deal.created_at + dt.timedelta(days=1),
    )
    row.save()
    assert _owners(deal) == [company.bob.pk, company.bob.pk]


def test_changing_a_deals_owner_gives_all_its_rows_the_new_owner(company: Company) -> None:
    deal = _with_rows(company, company.alice)
    other = _with_rows(company, company.alice)
    change_opportunity(company.ada, deal, {"owner_id": company.charlie.pk})
    assert _owners(deal) == [company.charlie.pk] * 3  # no new row: the owner is not tracked
    assert _owners(other) == [company.alice.pk] * 3
    change_opportunity(company.ada, deal, {"owner_id": None, "amount": Decimal("9")})
    assert _owners(deal) == [None] * 4


def test_a_bulk_reassignment_moves_the_rows_of_the_deals_it_reassigned_only(
    company: Company,
) -> None:
    mine = _with_rows(company, company.alice)
    already = _with_rows(company, company.bob, changes=0)
    gone = _with_rows(company, company.charlie)
    delete_record(company.ada, gone)  # in the bin: refused, left as it is
    results = reassign_opportunities(company.maria, [mine.pk, already.pk, gone.pk], company.bob.pk)
    assert [isinstance(r, Opportunity) for r in results] == [True, True, False]
    assert _owners(mine) == [company.bob.pk] * 3
    assert _owners(already) == [company.bob.pk]
    assert _owners(gone) == [company.charlie.pk] * 3


def test_deleting_the_owner_empties_the_rows_owner_as_the_deals(company: Company) -> None:
    deal = _with_rows(company, company.bob)
    company.bob.delete()
    deal.refresh_from_db()
    assert deal.owner_id is None
    assert _owners(deal) == [None] * 3
