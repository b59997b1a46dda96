"""Open deals dated from the file: an imported open opportunity with a created date column
(Salesforce's CREATEDDATE, HubSpot's "Create Date", Pipedrive's "Deal - Deal created", our
export's created_at) is created then, and its one history row is dated from it, so the
pipeline as of an earlier day holds it; won and lost deals stay dated by their close date."""

from __future__ import annotations

import datetime as dt

from conftest import Company
from opportune.forecasting.asof import pipeline_as_of
from opportune.imports.tests.helpers import issues, run_import
from opportune.opportunities.models import Opportunity, OpportunityHistory

ACCOUNTS = "Name\nAcme Corporation\n"
DEALS = (
    "Name,Account,Stage,Amount,Close Date,Create Date,Lost Reason\n"
    "Acme renewal,Acme Corporation,qualification,1000,2099-06-30,2024-02-01 09:30,\n"
    "Acme pilot,Acme Corporation,closed_won,500,2024-05-31,2024-01-10,\n"
    "Acme undated,Acme Corporation,qualification,700,2099-06-30,,\n"
)


def _history(name: str) -> list[dt.datetime]:
    rows = OpportunityHistory.objects.filter(opportunity__name=name)
    return list(rows.values_list("changed_at", flat=True))


def test_an_open_deal_is_created_and_enters_its_stage_on_the_files_created_date(
    company: Company,
) -> None:
    assert run_import(company.ada, ACCOUNTS, "accounts").created == 1
    job = run_import(company.ada, DEALS, "opportunities")
    assert (job.created, job.invalid, issues(job)) == (3, 0, [])

    opened = dt.datetime(2024, 2, 1, 9, 30, tzinfo=dt.UTC)
    renewal = Opportunity.objects.get(name="Acme renewal")
    assert renewal.created_at == opened
    assert _history("Acme renewal") == [opened]
    # A won deal's history row stays dated by its close date; it was created on the file's day.
    assert _history("Acme pilot") == [dt.datetime(2024, 5, 31, 12, tzinfo=dt.UTC)]
    pilot = Opportunity.objects.get(name="Acme pilot")
    assert pilot.created_at == dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
    # Without a created date, a deal enters its stage at the import.
    undated = Opportunity.objects.get(name="Acme undated")
    assert _history("Acme undated")[0].date() == undated.created_at.date() > opened.date()


def test_the_pipeline_as_of_an_earlier_day_holds_the_deal_dated_from_the_file(
    company: Company,
) -> None:
    run_import(company.ada, ACCOUNTS, "accounts")
    run_import(company.ada, DEALS, "opportunities")
    before, after = pipeline_as_of(company.ada, [dt.date(2024, 1, 31), dt.date(2024, 3, 1)])
    assert (before.total.count, after.total.count) == (0, 1)
    assert str(after.total.amount) == "1000.00"


def test_a_created_date_that_is_no_date_is_reported_at_its_row(company: Company) -> None:
    run_import(company.ada, ACCOUNTS, "accounts")
    bad = (
        "Name,Account,Stage,Close Date,CreatedDate\n"
        "X,Acme Corporation,qualification,2099-01-01,soon\n"
    )
    job = run_import(company.ada, bad, "opportunities")
    assert (job.created, issues(job)) == (0, [(2, "CreatedDate", "invalid")])
    assert job.row_errors.get().reason == "'soon' is not a date."
