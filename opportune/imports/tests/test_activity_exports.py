"""Activity exports of Salesforce, HubSpot and Pipedrive (``samples/``): each imports with zero
invalid rows, with its kind, dates, done state, owner and linked records where a user expects.

The samples have those exports' headers and standard values:
- Salesforce Data Loader exports of Task and Event (API names in capitals). Task: Id, WhoId
  (a lead or contact), WhatId (an account or opportunity), Subject, ActivityDate (the due
  date), Status ("Not Started", "In Progress", "Completed", "Waiting on someone else",
  "Deferred"), Priority, OwnerId, Description, Type ("Call", "Email", "Meeting", "Other"),
  IsClosed, AccountId, TaskSubtype ("Task", "Email", "ListEmail", "Cadence", "Call",
  "LinkedIn"), CompletedDateTime, CreatedDate:
  https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_task.htm
  Event: ActivityDateTime, ActivityDate, DurationInMinutes, StartDateTime, EndDateTime,
  Location, IsAllDayEvent, EventSubtype ("Event"):
  https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_event.htm
- HubSpot's activities export (property labels as headers: "Record ID", "Activity type" with
  the engagement types CALL, EMAIL, MEETING, NOTE, TASK, "Activity date", "Activity assigned
  to", "Task status", and the associated records' ids, several joined by ';'):
  https://legacydocs.hubspot.com/docs/methods/engagements/engagements-overview
  https://knowledge.hubspot.com/import-and-export/export-records
- Pipedrive's activities export ("Activity - Field" headers; the default activity types call,
  meeting, task, deadline, email, lunch; "Done"/"To do"; person, organization and deal by
  name): https://developers.pipedrive.com/docs/api/v1/Activities and
  https://support.pipedrive.com/en/article/exporting-data-from-pipedrive
"""

from __future__ import annotations

import datetime as dt

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.activities.models import Activity
from opportune.imports.tests.test_vendor_exports import _run, owners  # noqa: F401 (fixture)
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity

UTC = dt.UTC


def _name(record: Account | Opportunity | None) -> str:
    assert record is not None
    return record.name


def _activity(subject: str) -> Activity:
    return Activity.objects.select_related("owner", "lead", "contact", "account").get(
        subject=subject
    )


def test_salesforce_tasks_and_events_link_through_the_imported_salesforce_ids(
    owners: Company,  # noqa: F811
) -> None:
    mapping = "salesforce/owners.json"
    _run(owners, "salesforce/dataloader-accounts.csv", "accounts", mapping)
    _run(owners, "salesforce/dataloader-contacts.csv", "contacts", mapping)
    _run(
        owners,
        "salesforce/dataloader-opportunities.csv",
        "opportunities",
        "salesforce/opportunities.json",
    )
    _run(owners, "salesforce/dataloader-leads.csv", "leads", mapping)
    _run(owners, "salesforce/dataloader-tasks.csv", "activities", mapping)
    _run(owners, "salesforce/dataloader-events.csv", "activities", mapping)

    edge = Account.objects.get(name="Edge Communications")
    rose = Contact.objects.get(email="rose@edge.example")
    generator = Opportunity.objects.get(name="Edge Emergency Generator")
    call = _activity("Call Rose about the generator")
    assert (call.kind, call.is_done, call.owner, call.body) == (
        "call",
        True,
        owners.alice,
        "Wants a quote by Friday",
    )
    assert (call.contact, call.opportunity, call.account) == (rose, generator, edge)
    assert call.done_at == dt.datetime(2024, 3, 4, 15, 20, tzinfo=UTC)
    assert call.created_at == dt.datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert _activity("Email: quote sent").kind == "email"
    follow_up = _activity("Follow up with Jack")  # WhoId: a lead; no type: its subtype Task
    assert (follow_up.kind, follow_up.is_done, follow_up.done_at) == ("task", False, None)
    assert follow_up.lead == Lead.objects.get(email="jrogers@btca.example")
    assert str(follow_up.due_date) == "2026-12-10"
    contract = _activity("Send the contract")  # Type "Other", subtype Task
    assert (contract.kind, contract.owner, _name(contract.account)) == (
        "task",
        owners.bob,
        "Burlington Textiles Corp of America",
    )
    visit = _activity("Site visit in Austin")  # an Event is a meeting
    assert (visit.kind, visit.start_at, visit.end_at) == (
        "meeting",
        dt.datetime(2024, 3, 20, 14, tzinfo=UTC),
        dt.datetime(2024, 3, 20, 15, 30, tzinfo=UTC),
    )
    assert (visit.contact, visit.opportunity, visit.body) == (rose, generator, "Walk the plant")
    assert _name(_activity("Contract signing").opportunity) == (
        "Burlington Textiles Weaving Plant Generator"
    )


def test_hubspot_activities_with_engagement_types_and_associated_ids(
    owners: Company,  # noqa: F811
) -> None:
    _run(owners, "hubspot/companies.csv", "accounts")
    _run(owners, "hubspot/contacts.csv", "contacts")
    _run(owners, "hubspot/deals.csv", "opportunities")
    _run(owners, "hubspot/activities.csv", "activities")

    maria = Contact.objects.get(email="mjohnson@hubspot-sample.example")
    biglytics = Account.objects.get(name="Biglytics")
    suite = Opportunity.objects.get(name="Biglytics - Analytics Suite")
    call = _activity("Discovery call")
    assert (call.kind, call.owner, call.contact, call.account, call.opportunity) == (
        "call",
        owners.alice,
        maria,
        biglytics,
        suite,
    )
    assert (str(call.due_date), call.body) == ("2024-03-18", "Talked about the analytics suite")
    assert call.created_at == dt.datetime(2024, 3, 18, 10, 45, tzinfo=UTC)
    assert _activity("Pricing sheet").contact == maria  # "51;52": the first
    assert _activity("Renewal review").kind == "meeting"
    note = _activity("Budget approved for next quarter")  # a note without title: its body
    assert (note.kind, _name(note.account), note.owner) == ("note", "Smarty Pants Inc", owners.bob)
    proposal = _activity("Send the proposal")
    assert (proposal.kind, proposal.is_done, proposal.opportunity) == ("task", False, suite)
    demo = _activity("Book the demo")  # Task status "Completed": done on its date
    assert (demo.is_done, demo.done_at) == (True, dt.datetime(2024, 3, 28, 12, tzinfo=UTC))


def test_pipedrive_activities_with_their_types_done_flags_and_names(
    owners: Company,  # noqa: F811
) -> None:
    _run(owners, "pipedrive/organizations.csv", "accounts")
    _run(owners, "pipedrive/persons.csv", "contacts")
    _run(owners, "pipedrive/deals.csv", "opportunities")
    _run(owners, "pipedrive/activities.csv", "activities")

    kinds = dict(Activity.objects.values_list("subject", "kind"))
    assert kinds == {
        "Intro call": "call",
        "Demo": "meeting",
        "Send the quote": "task",
        "Contract deadline": "task",
        "Follow-up email": "email",
        "Lunch with Milton": "meeting",
    }
    intro = _activity("Intro call")
    wile = Contact.objects.get(email="wile@acme-tools.example")
    assert (intro.contact, _name(intro.account), _name(intro.opportunity)) == (
        wile,
        "Acme Tools",
        "Acme Tools deal",
    )
    assert (intro.is_done, intro.done_at, intro.owner) == (
        True,
        dt.datetime(2024, 3, 15, 10, 35, tzinfo=UTC),
        owners.alice,
    )
    assert intro.body == "Interested in the pilot"
    quote = _activity("Send the quote")
    assert (quote.is_done, str(quote.due_date), quote.owner) == (False, "2026-12-05", owners.bob)
    assert _name(_activity("Lunch with Milton").opportunity) == "Initech upsell"
