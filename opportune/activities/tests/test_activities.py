"""Logging activities (PRODUCT.md section 1): tasks, calls, meetings, emails and notes about a
lead, contact, account or opportunity the user can see; done flags; the lead's last activity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db.models import Model

from conftest import Company
from opportune.activities.models import Activity
from opportune.activities.schemas import ActivityChanges, ActivityCreate
from opportune.activities.services import save_activity
from opportune.errors import NotAllowed, RuleViolation
from opportune.leads.conversion import convert_lead
from opportune.leads.schemas import ConversionOptions


def test_it_makes_the_creator_the_owner(company: Company) -> None:
    lead = company.lead(company.alice)
    call = save_activity(
        company.alice, ActivityCreate(kind="call", subject="Intro", lead_id=lead.pk)
    )
    assert call.owner == company.alice
    assert call.lead == lead


def test_it_assigns_the_given_owner(company: Company) -> None:
    lead = company.lead(company.alice)
    task = save_activity(
        company.maria,
        ActivityCreate(kind="task", subject="Call back", lead_id=lead.pk, owner_id=company.bob.pk),
    )
    assert task.owner == company.bob


@pytest.mark.parametrize("link", ["lead_id", "account_id", "contact_id", "opportunity_id"])
def test_it_logs_on_any_kind_of_record(company: Company, link: str) -> None:
    factories: dict[str, Callable[[], Model]] = {
        "lead_id": lambda: company.lead(company.alice),
        "account_id": lambda: company.account(company.alice),
        "contact_id": lambda: company.contact(company.alice, None),
        "opportunity_id": lambda: company.opportunity(company.alice),
    }
    record = factories[link]()
    note = save_activity(
        company.alice, ActivityCreate(kind="note", subject="Noted", **{link: record.pk})
    )
    assert getattr(note, link) == record.pk


def test_it_refuses_an_activity_about_no_record(company: Company) -> None:
    with pytest.raises(RuleViolation) as caught:
        save_activity(company.alice, ActivityCreate(kind="note", subject="Floating"))
    assert "lead_id" in caught.value.errors
    assert not Activity.objects.exists()


def test_it_refuses_to_unlink_the_last_record(company: Company) -> None:
    lead = company.lead(company.alice)
    note = save_activity(company.alice, ActivityCreate(kind="note", subject="N", lead_id=lead.pk))
    with pytest.raises(RuleViolation):
        save_activity(company.alice, ActivityChanges(lead_id=None), note)


@pytest.mark.parametrize("link", ["lead_id", "account_id", "contact_id", "opportunity_id"])
def test_it_refuses_a_record_out_of_view(company: Company, link: str) -> None:
    factories: dict[str, Callable[[], Model]] = {
        "lead_id": lambda: company.lead(company.charlie),
        "account_id": lambda: company.account(company.charlie),
        "contact_id": lambda: company.contact(company.charlie, None),
        "opportunity_id": lambda: company.opportunity(company.charlie),
    }
    record = factories[link]()
    with pytest.raises(RuleViolation) as caught:
        save_activity(company.alice, ActivityCreate(kind="call", subject="C", **{link: record.pk}))
    assert link in caught.value.errors
    assert not Activity.objects.exists()


def test_it_refuses_a_new_activity_on_a_converted_lead(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    convert_lead(company.alice, lead.pk, ConversionOptions())
    with pytest.raises(RuleViolation) as caught:
        save_activity(company.alice, ActivityCreate(kind="call", subject="C", lead_id=lead.pk))
    assert "lead_id" in caught.value.errors


def test_it_refuses_an_activity_from_a_read_only_user(company: Company) -> None:
    lead = company.lead(company.alice)
    with pytest.raises(NotAllowed):
        save_activity(company.rita, ActivityCreate(kind="call", subject="C", lead_id=lead.pk))


def test_it_refuses_a_meeting_that_ends_before_it_starts(company: Company) -> None:
    lead = company.lead(company.alice)
    start = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
    with pytest.raises(RuleViolation) as caught:
        save_activity(
            company.alice,
            ActivityCreate(
                kind="meeting",
                subject="Demo",
                lead_id=lead.pk,
                start_at=start,
                end_at=start - dt.timedelta(minutes=30),
            ),
        )
    assert "end_at" in caught.value.errors


def test_completing_a_task_stamps_done_at_and_reopening_clears_it(company: Company) -> None:
    lead = company.lead(company.alice)
    task = save_activity(
        company.alice, ActivityCreate(kind="task", subject="Send deck", lead_id=lead.pk)
    )
    assert task.done_at is None
    save_activity(company.alice, ActivityChanges(is_done=True), task)
    task.refresh_from_db()
    assert task.is_done and task.done_at is not None
    done_at = task.done_at
    save_activity(company.alice, ActivityChanges(subject="Send the deck"), task)
    task.refresh_from_db()
    assert task.done_at == done_at  # a later edit keeps when it was done
    save_activity(company.alice, ActivityChanges(is_done=False), task)
    task.refresh_from_db()
    assert not task.is_done and task.done_at is None


def test_logging_on_a_lead_moves_its_last_activity(company: Company) -> None:
    lead = company.lead(company.alice)
    assert lead.last_activity_at is None
    save_activity(company.alice, ActivityCreate(kind="call", subject="C", lead_id=lead.pk))
    lead.refresh_from_db()
    assert lead.last_activity_at is not None


@pytest.mark.parametrize("field", ["kind", "subject", "is_done"])
def test_it_refuses_to_null_a_required_field(company: Company, field: str) -> None:
    lead = company.lead(company.alice)
    note = save_activity(company.alice, ActivityCreate(kind="note", subject="N", lead_id=lead.pk))
    with pytest.raises(RuleViolation) as caught:
        save_activity(company.alice, ActivityChanges(**{field: None}), note)
    assert field in caught.value.errors
