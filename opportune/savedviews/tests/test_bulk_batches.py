"""Bulk owner and stage changes of accounts, contacts and deals go through set-based batch
services (``reassign_accounts``, ``reassign_contacts``, ``reassign_opportunities``,
``move_opportunities``): the same rules and history as one record at a time, in a number
of queries that does not grow with the number of records; and a stage is a stage of each
deal's own pipeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.accounts.schemas import AccountChanges
from opportune.accounts.services import save_account
from opportune.audit.models import FieldChange
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity, OpportunityHistory, Pipeline, Stage
from opportune.opportunities.services import (
    OpportunityDraft,
    change_opportunity,
    move_opportunities,
    open_opportunity,
)
from opportune.savedviews.bulk import BulkChange, BulkRefused, apply_bulk

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _renewals(*keys: str) -> Pipeline:
    """A second pipeline whose open stages have the given keys (then won and lost)."""
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    for order, key in enumerate(keys):
        Stage.objects.create(
            pipeline=renewals,
            key=key,
            label=key.title(),
            order=order,
            default_probability=40,
            forecast_category="pipeline",
        )
    Stage.objects.create(
        pipeline=renewals,
        key="renewed",
        label="Renewed",
        order=10,
        default_probability=100,
        forecast_category="closed",
        is_closed=True,
        is_won=True,
    )
    return renewals


def _renewal_deal(company: Company, pipeline: Pipeline) -> Opportunity:
    draft = OpportunityDraft(
        name="Renewal",
        account=company.account(company.alice, "Renewing"),
        owner=company.alice,
        close_date=dt.date(2026, 12, 31),
        pipeline=pipeline,
    )
    return open_opportunity(company.ada, draft)


def test_a_bulk_stage_change_moves_each_deal_to_that_key_in_its_own_pipeline(
    company: Company,
) -> None:
    renewals = _renewals("quoted", "proposal")
    new_business = company.opportunity(company.alice, name="New business")
    renewal = _renewal_deal(company, renewals)
    apply_bulk(
        company.alice,
        "opportunities",
        [new_business.pk, renewal.pk],
        BulkChange("stage", stage="proposal"),
    )
    for deal in (new_business, renewal):
        deal.refresh_from_db()
        assert deal.stage.key == "proposal"
        assert deal.stage.pipeline_id == deal.pipeline_id
    assert (new_business.probability, renewal.probability) == (75, 40)


def test_a_deal_whose_pipeline_lacks_the_key_refuses_the_whole_stage_change_by_name(
    company: Company,
) -> None:
    renewals = _renewals("quoted")
    new_business = company.opportunity(company.alice, name="New business")
    renewal = _renewal_deal(company, renewals)
    with pytest.raises(BulkRefused) as refused:
        apply_bulk(
            company.alice,
            "opportunities",
            [new_business.pk, renewal.pk],
            BulkChange("stage", stage="negotiation"),
        )
    (refusal,) = refused.value.refusals
    assert (refusal.record_id, refusal.label) == (renewal.pk, "Renewal")
    assert "'renewals'" in refusal.reason and "own pipeline" in refusal.reason
    new_business.refresh_from_db()
    assert new_business.stage.key == "prospecting"  # all or nothing
    assert not OpportunityHistory.objects.filter(stage__key="negotiation").exists()


def _changes(record_id: int) -> list[tuple[str, str, str]]:
    return sorted(
        FieldChange.objects.filter(record_type="opportunity", record_id=record_id)
        .exclude(field="created")
        .values_list("field", "old_value", "new_value")
    )


def test_a_batch_stage_move_records_what_a_single_move_records(company: Company) -> None:
    one, batch = (company.opportunity(company.alice, name=n) for n in ("One", "Batch"))
    change_opportunity(company.alice, one, {"stage": "closed_lost", "lost_reason": "price"})
    (moved,) = move_opportunities(company.alice, [batch.pk], "closed_lost", "price", now=NOW)
    assert isinstance(moved, Opportunity)
    assert [row[0] for row in _changes(batch.pk)] == [row[0] for row in _changes(one.pk)]
    one.refresh_from_db()
    batch.refresh_from_db()
    for field in ("stage_id", "probability", "forecast_category", "is_closed", "is_won"):
        assert getattr(batch, field) == getattr(one, field)
    assert batch.lost_reason is not None and batch.lost_reason.key == "price"
    assert batch.close_date == dt.date(2026, 12, 1)  # closing dates the deal the day it closed
    rows = OpportunityHistory.objects.filter(opportunity=batch).order_by("pk")
    assert [row.stage.key for row in rows] == ["prospecting", "closed_lost"]
    assert rows.last().previous_close_date == dt.date(2026, 12, 31)  # type: ignore[union-attr]


def test_a_loss_without_a_reason_is_refused_deal_by_deal(company: Company) -> None:
    deals = [company.opportunity(company.alice, name=f"D{i}") for i in range(2)]
    results = move_opportunities(company.alice, [d.pk for d in deals], "closed_lost", now=NOW)
    assert all("lost reason" in str(getattr(r, "detail", "")) for r in results)
    assert not Opportunity.objects.filter(is_closed=True).exists()


def test_a_batch_owner_change_records_what_a_single_change_records(company: Company) -> None:
    one, batch = company.account(company.alice, "One"), company.account(company.alice, "Batch")
    save_account(company.maria, AccountChanges(owner_id=company.bob.pk), one)
    apply_bulk(company.maria, "accounts", [batch.pk], BulkChange("owner", company.bob.pk))
    rows = FieldChange.objects.filter(record_type="account", field="owner")
    assert sorted(rows.values_list("record_id", "old_value", "new_value", "changed_by")) == [
        (one.pk, str(company.alice.pk), str(company.bob.pk), company.maria.pk),
        (batch.pk, str(company.alice.pk), str(company.bob.pk), company.maria.pk),
    ]
    assert Account.objects.get(pk=batch.pk).owner == company.bob


def _queries(run: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def _accounts(company: Company, n: int) -> list[int]:
    return [company.account(company.alice, f"A{i}").pk for i in range(n)]


def _contacts(company: Company, n: int) -> list[int]:
    return [company.contact(company.alice, None, last_name=f"C{i}").pk for i in range(n)]


def _deals(company: Company, n: int) -> list[int]:
    return [company.opportunity(company.alice, name=f"D{i}").pk for i in range(n)]


@pytest.mark.parametrize(
    ("kind", "make", "change"),
    [
        ("accounts", _accounts, BulkChange("owner", owner_id=-1)),
        ("contacts", _contacts, BulkChange("owner", owner_id=-1)),
        ("opportunities", _deals, BulkChange("owner", owner_id=-1)),
        ("opportunities", _deals, BulkChange("stage", stage="proposal")),
        ("opportunities", _deals, BulkChange("stage", stage="closed_lost", reason="price")),
    ],
    ids=["account owner", "contact owner", "deal owner", "deal stage", "deal lost"],
)
def test_a_bulk_change_costs_the_same_queries_for_3_or_15_records(
    company: Company, kind: str, make: Callable[[Company, int], list[int]], change: BulkChange
) -> None:
    if change.owner_id == -1:
        change = BulkChange("owner", owner_id=company.bob.pk)
    # 15, not more: SQLite's bulk INSERT takes at most 999 parameters, so 142 history rows
    # (8 per lost deal) a statement; PostgreSQL has no such cut.
    few, many = make(company, 3), make(company, 15)
    counts = []
    for ids in (few, many):
        actor = User.objects.get(pk=company.maria.pk)  # the policy's team cache is cold
        counts.append(_queries(partial(apply_bulk, actor, kind, ids, change)))
    assert counts[0] == counts[1] <= 17
    owners = {
        "accounts": Account.objects.filter(pk__in=many).values_list("owner", flat=True),
        "contacts": Contact.objects.filter(pk__in=many).values_list("owner", flat=True),
        "opportunities": Opportunity.objects.filter(pk__in=many).values_list("owner", flat=True),
    }[kind]
    expected = company.bob if change.action == "owner" else company.alice
    assert set(owners) == {expected.pk}
