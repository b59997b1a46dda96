"""Opportunity history (PRODUCT.md section 4): creation writes the first row; every later
change of stage, amount, probability, close date or forecast category appends exactly one,
with all five values after the change, the previous amount and close date, who and when.
History is never edited. Every change is also kept in the field history (section 8)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import Company
from opportune.audit.models import FieldChange
from opportune.errors import RuleViolation
from opportune.opportunities.models import Opportunity, OpportunityHistory
from opportune.opportunities.services import change_opportunity

CREATED = {
    "stage_key": "needs_analysis",
    "amount": Decimal("10000.00"),
    "close_date": dt.date(2026, 3, 31),
}


def _rows(opportunity: Opportunity) -> list[OpportunityHistory]:
    return list(OpportunityHistory.objects.filter(opportunity=opportunity).order_by("pk"))


def _values(row: OpportunityHistory) -> tuple[object, ...]:
    return (
        row.stage.key,
        row.amount,
        row.probability,
        row.close_date,
        row.forecast_category,
        row.previous_amount,
        row.previous_close_date,
    )


def test_creation_writes_the_first_row(company: Company) -> None:
    before = timezone.now()
    opportunity = company.opportunity(company.alice, **CREATED)
    (row,) = _rows(opportunity)
    assert _values(row) == (
        "needs_analysis",
        Decimal("10000.00"),
        20,
        dt.date(2026, 3, 31),
        "pipeline",
        None,
        None,
    )
    assert row.changed_by == company.ada  # the fixture opens opportunities as Ada
    assert row.changed_at >= before


@pytest.mark.parametrize(
    ("change", "after"),
    [
        (
            {"stage": "proposal"},
            ("proposal", Decimal("10000.00"), 75, dt.date(2026, 3, 31), "best_case"),
        ),
        (
            {"amount": Decimal("12500.00")},
            ("needs_analysis", Decimal("12500.00"), 20, dt.date(2026, 3, 31), "pipeline"),
        ),
        (
            {"probability": 35},
            ("needs_analysis", Decimal("10000.00"), 35, dt.date(2026, 3, 31), "pipeline"),
        ),
        (
            {"close_date": dt.date(2026, 6, 30)},
            ("needs_analysis", Decimal("10000.00"), 20, dt.date(2026, 6, 30), "pipeline"),
        ),
        (
            {"forecast_category": "best_case"},
            ("needs_analysis", Decimal("10000.00"), 20, dt.date(2026, 3, 31), "best_case"),
        ),
    ],
    ids=["stage", "amount", "probability", "close_date", "forecast_category"],
)
def test_each_tracked_change_appends_one_row_with_all_five_values(
    company: Company, change: dict[str, object], after: tuple[object, ...]
) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    before = timezone.now()
    change_opportunity(company.maria, opportunity, change)
    first, row = _rows(opportunity)
    assert _values(row) == (*after, Decimal("10000.00"), dt.date(2026, 3, 31))
    assert row.changed_by == company.maria
    assert row.changed_at >= before >= first.changed_at


def test_a_change_of_several_tracked_fields_appends_a_single_row(company: Company) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    change_opportunity(
        company.alice,
        opportunity,
        {"stage": "negotiation", "amount": Decimal("9000.00"), "close_date": dt.date(2026, 2, 1)},
    )
    rows = _rows(opportunity)
    assert len(rows) == 2
    assert _values(rows[1]) == (
        "negotiation",
        Decimal("9000.00"),
        90,
        dt.date(2026, 2, 1),
        "commit",
        Decimal("10000.00"),
        dt.date(2026, 3, 31),
    )


def test_successive_changes_chain_the_previous_values(company: Company) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    change_opportunity(company.alice, opportunity, {"amount": Decimal("11000.00")})
    change_opportunity(company.alice, opportunity, {"close_date": dt.date(2026, 9, 30)})
    rows = _rows(opportunity)
    assert [(r.previous_amount, r.previous_close_date) for r in rows] == [
        (None, None),
        (Decimal("10000.00"), dt.date(2026, 3, 31)),
        (Decimal("11000.00"), dt.date(2026, 3, 31)),
    ]
    assert [r.amount for r in rows] == [
        Decimal("10000.00"),
        Decimal("11000.00"),
        Decimal("11000.00"),
    ]


def test_closing_appends_a_row_in_the_closed_stage(company: Company) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    change_opportunity(company.alice, opportunity, {"stage": "closed_lost", "lost_reason": "price"})
    assert _values(_rows(opportunity)[-1])[:5] == (
        "closed_lost",
        Decimal("10000.00"),
        0,
        timezone.localdate(),
        "omitted",
    )


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Globex expansion"},
        {"next_step": "Send the proposal"},
        {"description": "Two sites"},
        {"type": "new_business"},
        {"campaign": "Spring Expo"},
        {"owner_id": "bob"},
    ],
    ids=["name", "next_step", "description", "type", "campaign", "owner"],
)
def test_a_change_of_other_fields_appends_no_row(
    company: Company, change: dict[str, object]
) -> None:
    if change.get("owner_id") == "bob":
        change = {"owner_id": company.bob.pk}
    opportunity = company.opportunity(company.alice, **CREATED)
    change_opportunity(company.alice, opportunity, change)
    assert len(_rows(opportunity)) == 1


def test_setting_a_tracked_field_to_its_current_value_appends_no_row(company: Company) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    change_opportunity(
        company.alice,
        opportunity,
        {"stage": "needs_analysis", "amount": Decimal("10000"), "close_date": dt.date(2026, 3, 31)},
    )
    assert len(_rows(opportunity)) == 1


def test_a_refused_change_appends_no_row(company: Company) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    with pytest.raises(RuleViolation):
        change_opportunity(company.alice, opportunity, {"stage": "closed_lost"})
    assert len(_rows(opportunity)) == 1


def test_a_history_row_cannot_be_edited(company: Company) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    (row,) = _rows(opportunity)
    row.amount = Decimal("1.00")
    with pytest.raises(ValueError):
        row.save()
    row.refresh_from_db()
    assert row.amount == Decimal("10000.00")


def test_a_history_row_cannot_be_deleted(company: Company) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    (row,) = _rows(opportunity)
    with pytest.raises(ValueError):
        row.delete()
    assert OpportunityHistory.objects.filter(pk=row.pk).exists()


def test_history_cannot_be_rewritten_in_bulk(company: Company) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    rows = OpportunityHistory.objects.filter(opportunity=opportunity)
    with pytest.raises(ValueError):
        rows.update(amount=Decimal("1.00"))
    with pytest.raises(ValueError):
        rows.delete()
    assert rows.get().amount == Decimal("10000.00")


def test_deleting_an_opportunity_takes_its_history_with_it(company: Company) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    opportunity.delete()
    assert not OpportunityHistory.objects.exists()


def test_every_change_is_kept_in_the_field_history(company: Company) -> None:
    opportunity = company.opportunity(company.alice, **CREATED)
    change_opportunity(
        company.maria, opportunity, {"name": "Globex expansion", "stage": "proposal"}
    )
    rows = {
        r.field: (r.old_value, r.new_value, r.changed_by)
        for r in FieldChange.objects.filter(record_type="opportunity", record_id=opportunity.pk)
    }
    assert rows["name"] == ("Globex renewal", "Globex expansion", company.maria)
    assert rows["probability"] == ("20", "75", company.maria)
    assert rows["forecast_category"] == ("pipeline", "best_case", company.maria)
    assert "stage_id" in rows
