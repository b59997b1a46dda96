"""Exporting every list and importing it into an empty installation with ``--match
external_id`` gives back the same records, field by field: leads of every status, accounts
and their parents, contacts and their accounts, opportunities of every pipeline, open, won and
lost; in CSV and in Excel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.activities.schemas import ActivityCreate
from opportune.activities.services import save_activity
from opportune.imports.export import COLUMNS, _records, csv_lines, export_queryset, xlsx_file
from opportune.imports.models import ExternalId, Target
from opportune.leads.models import Lead, LeadStatus
from opportune.leads.services import disqualify_lead
from opportune.opportunities.models import Opportunity, Pipeline, Stage
from opportune.opportunities.services import (
    OpportunityDraft,
    close_opportunity,
    open_opportunity,
)

from .helpers import run_import

# Imported in this order: a contact names its account, an opportunity its account, an
# activity the records it concerns.
ORDER = [Target.ACCOUNTS, Target.CONTACTS, Target.OPPORTUNITIES, Target.LEADS, Target.ACTIVITIES]
# An activity's links are the ids its records had: compared through their external ids.
LINKS = {
    "lead_id": Target.LEADS,
    "account_id": Target.ACCOUNTS,
    "contact_id": Target.CONTACTS,
    "opportunity_id": Target.OPPORTUNITIES,
}
# What an import does not bring back: the ids and the times of the new installation, and
# the stage's timing, which restarts when the record is created.
# A lead's last activity is its activities' latest date (they are imported after it).
NOT_COMPARED = {
    *("id", "created_at", "updated_at", "stage_changed_at", "closed_at"),
    "last_activity_at",
}


def _records_of(company: Company) -> None:
    parent = company.account(company.alice, "Initech Holdings", website="https://initech.example")
    initech = company.account(
        company.alice,
        "Initech",
        parent=parent,
        phone="+1 555 0100",
        industry="software",
        annual_revenue=Decimal("2500000.00"),
        employees=120,
        billing_city="Austin",
    )
    company.account(company.charlie, '=HYPERLINK("http://evil.example")')
    company.contact(
        company.alice,
        initech,
        email="cora@initech.example",
        title="-Head of =ops",
        phone="+44 20 7946 0000",
        mailing_city="London",
    )
    company.contact(company.bob, None, first_name="", last_name="Solo")
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    for order, (key, closed, won) in enumerate(
        [("quoted", False, False), ("renewed", True, True), ("churned", True, False)]
    ):
        Stage.objects.create(
            pipeline=renewals,
            key=key,
            label=key.title(),
            order=order,
            default_probability=100 if won else (0 if closed else 50),
            forecast_category="closed" if won else ("omitted" if closed else "pipeline"),
            is_closed=closed,
            is_won=won,
        )
    company.opportunity(company.alice, name="Open deal", account=initech, campaign="Spring")
    won_deal = company.opportunity(company.alice, name="Won deal", account=initech)
    close_opportunity(company.ada, won_deal, won=True)
    lost = company.opportunity(company.bob, name="Lost deal", account=initech, amount=None)
    close_opportunity(company.ada, lost, won=False, lost_reason_key="price")
    for name, stage, reason in [("Renewal open", "quoted", None), ("Lost", "churned", "price")]:
        draft = OpportunityDraft(
            name=f"Renewal {name}",
            account=initech,
            owner=company.alice,
            close_date=dt.date(2027, 3, 1),
            pipeline=renewals,
            stage_key=stage,
            amount=Decimal("-0.00") if reason else Decimal("900.50"),
            lost_reason_key=reason,
        )
        open_opportunity(company.ada, draft)
    company.lead(company.alice, email="new@globex.example", phone="+1 555 0199")
    company.lead(
        company.bob,
        last_name="Working",
        email="working@globex.example",
        status=LeadStatus.objects.get(key="working"),
        source="event",
        employees=15,
    )
    lost_lead = company.lead(company.alice, last_name="Gone", email="gone@globex.example")
    disqualify_lead(company.ada, lost_lead, "No budget this year")
    company.qualified_lead(company.alice, last_name="Ready", email="ready@globex.example")
    company.lead(None, last_name="Nobody's", email="", company="+1 Corp")
    company.lead(
        company.alice,
        last_name="Converted",
        email="converted@globex.example",
        status=LeadStatus.converted(),
        is_converted=True,
        converted_at=dt.datetime(2026, 5, 4, 10, 30, tzinfo=dt.UTC),
        converted_account=initech,
    )
    _activities_of(company, initech)


def _activities_of(company: Company, initech: Account) -> None:
    """A done call dated in the past, an open task, a meeting and a note, on every kind."""
    cora = Contact.objects.get(email="cora@initech.example")
    deal = Opportunity.objects.get(name="Open deal")
    lead = Lead.objects.get(email="working@globex.example")
    save_activity(
        company.alice,
        ActivityCreate(kind="call", subject="=Called Cora", is_done=True, contact_id=cora.pk),
        when=dt.datetime(2026, 2, 3, 10, 30, tzinfo=dt.UTC),
    )
    save_activity(
        company.bob,
        ActivityCreate(kind="task", subject="Chase", due_date=dt.date(2027, 1, 5), lead_id=lead.pk),
    )
    save_activity(
        company.alice,
        ActivityCreate(
            kind="meeting",
            subject="Review",
            body="Line one\nLine two",
            start_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
            end_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
            account_id=initech.pk,
            opportunity_id=deal.pk,
        ),
    )
    save_activity(company.ada, ActivityCreate(kind="note", subject="Note", account_id=initech.pk))


def _snapshot(company: Company, target: str) -> dict[str, dict[str, Any]]:
    """Every record's exported values by the id it had when exported (now an external id)."""
    headers = [header for header, _ in COLUMNS[Target(target)]]
    rows = {}
    records = _records(target, export_queryset(target, company.ada, {}))
    for row in records:
        values = dict(zip(headers, row, strict=True))
        rows[str(values["id"])] = {k: v for k, v in values.items() if k not in NOT_COMPARED}
    return rows


def _empty_installation() -> None:
    for model in (Opportunity, Contact, Lead):
        model.with_deleted.all().delete()
    Account.with_deleted.filter(parent__isnull=False).delete()
    Account.with_deleted.all().delete()
    Pipeline.objects.filter(is_default=False).update()  # pipelines are settings: they stay
    ExternalId.objects.all().delete()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_list_exported_and_imported_into_an_empty_installation_is_the_same(
    company: Company, file_format: str
) -> None:
    _records_of(company)
    before = {target: _snapshot(company, target) for target in ORDER}
    files: dict[str, str | bytes] = {}
    for target in ORDER:
        queryset = export_queryset(target, company.ada, {})
        if file_format == "csv":
            files[target] = "".join(csv_lines(target, queryset))
        else:
            with xlsx_file(target, queryset) as out:
                files[target] = out.read()
    _empty_installation()

    counts = {}
    for target in ORDER:
        job = run_import(company.ada, files[target], target, match_key="external_id")
        reasons = list(job.row_errors.values_list("line", "column", "reason"))
        assert (job.invalid, reasons) == (0, []), target
        counts[target] = job.created
    assert counts == {target: len(before[target]) for target in ORDER}

    new_ids = {(e.target, e.external_id): str(e.record_id) for e in ExternalId.objects.all()}
    for target in ORDER:
        after = _snapshot(company, target)
        for old_id, values in before[target].items():
            if target == Target.LEADS and values["owner"] is None:
                # An unassigned lead is assigned on import (the rules, else the importer).
                values = {**values, "owner": "ada"}
            if target == Target.ACTIVITIES:
                values = {
                    k: new_ids[(LINKS[k], str(v))] if k in LINKS and v is not None else v
                    for k, v in values.items()
                }
                values = {
                    k: int(v) if k in LINKS and v is not None else v for k, v in values.items()
                }
            assert after[new_ids[(target, old_id)]] == values, (target, old_id)


def test_a_lead_converted_before_import_lands_closed_and_read_only_with_its_date(
    company: Company,
) -> None:
    job = run_import(
        company.ada,
        "Last Name,Company,Status,Converted Date\nLee,Acme,converted,2025-11-03\n"
        "Kim,Acme,converted,\n",
    )
    assert (job.created, job.invalid) == (2, 0)
    lee = Lead.objects.get(last_name="Lee")
    assert lee.is_converted and lee.status.is_converted and lee.status.is_closed
    assert lee.converted_at == dt.datetime(2025, 11, 3, tzinfo=dt.UTC)
    assert Lead.objects.get(last_name="Kim").converted_at is None
    client = Client()
    client.force_login(company.ada)
    page = client.get(reverse("leads:detail", args=[lee.pk])).content.decode()
    assert "converted before import" in page
    assert reverse("leads:edit", args=[lee.pk]) not in page  # read-only


def test_a_deal_won_or_lost_before_import_has_one_history_row_dated_its_close_date(
    company: Company,
) -> None:
    company.account(company.alice, "Acme")
    deals = (
        "id,name,account,stage,amount,close_date,lost_reason,owner\n"
        "1,Won,Acme,closed_won,100.00,2025-06-30,,alice\n"
        "2,Lost,Acme,closed_lost,50.00,2025-07-15,price,alice\n"
    )
    job = run_import(company.ada, deals, "opportunities")
    assert (job.created, job.invalid) == (2, 0)
    for name, day in [("Won", dt.date(2025, 6, 30)), ("Lost", dt.date(2025, 7, 15))]:
        deal = Opportunity.objects.get(name=name)
        assert deal.is_closed
        history = list(deal.history.values_list("changed_at", flat=True))
        assert history == [dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)]
        assert deal.closed_at == history[0]
    assert Opportunity.objects.get(name="Lost").lost_reason.key == "price"  # type: ignore[union-attr]
