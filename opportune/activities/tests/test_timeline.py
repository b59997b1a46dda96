"""A record shows its activity timeline and its next open task (PRODUCT.md section 1)."""

from __future__ import annotations

import datetime as dt

from conftest import Company
from opportune.activities.models import Activity
from opportune.activities.services import next_open_task, timeline


def _log(company: Company, subject: str, **fields: object) -> Activity:
    values: dict[str, object] = {"kind": "note", "subject": subject, "owner": company.alice}
    values.update(fields)
    return Activity.objects.create(**values)


def test_a_timeline_lists_the_records_activities_newest_first(company: Company) -> None:
    lead = company.lead(company.alice)
    first = _log(company, "First", lead=lead)
    second = _log(company, "Second", lead=lead)
    _log(company, "Elsewhere", lead=company.lead(company.alice))
    assert list(timeline(company.alice, lead=lead)) == [second, first]


def test_an_accounts_timeline_includes_its_contacts_and_opportunities(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    peter = company.contact(company.alice, initech)
    deal = company.opportunity(company.alice, account=initech)
    on_account = _log(company, "Account", account=initech)
    on_contact = _log(company, "Contact", contact=peter)
    on_deal = _log(company, "Deal", opportunity=deal)
    _log(company, "Other", account=company.account(company.alice, "Hooli"))
    assert set(timeline(company.alice, account=initech)) == {on_account, on_contact, on_deal}


def test_a_timeline_shows_only_what_the_user_can_see(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    hidden_contact = company.contact(company.charlie, initech)
    visible = _log(company, "Mine", account=initech)
    _log(company, "Charlie's", contact=hidden_contact, owner=company.charlie)
    assert list(timeline(company.bob, account=initech)) == []
    assert list(timeline(company.alice, account=initech)) == [visible]


def test_the_next_open_task_is_the_earliest_due_undone_task(company: Company) -> None:
    lead = company.lead(company.alice)
    _log(company, "Done", kind="task", lead=lead, due_date=dt.date(2026, 1, 1), is_done=True)
    _log(company, "Later", kind="task", lead=lead, due_date=dt.date(2026, 3, 1))
    soonest = _log(company, "Soon", kind="task", lead=lead, due_date=dt.date(2026, 2, 1))
    _log(company, "A call", kind="call", lead=lead, due_date=dt.date(2025, 1, 1))
    assert next_open_task(company.alice, lead=lead) == soonest


def test_a_record_without_open_tasks_has_no_next_task(company: Company) -> None:
    lead = company.lead(company.alice)
    _log(company, "Done", kind="task", lead=lead, is_done=True)
    assert next_open_task(company.alice, lead=lead) is None


def test_an_undated_task_comes_after_dated_ones_on_every_database(company: Company) -> None:
    lead = company.lead(company.alice)
    _log(company, "Someday", kind="task", lead=lead, due_date=None)
    dated = _log(company, "Dated", kind="task", lead=lead, due_date=dt.date(2026, 6, 1))
    assert next_open_task(company.alice, lead=lead) == dated
