"""Real export files of Salesforce, HubSpot and Pipedrive (``samples/``): each imports with
zero invalid rows, every value where a user expects it.

The samples have the exact headers and standard picklist values of those exports:
- Salesforce: a Lightning lead report exported "Details Only" (labels as headers, US dates),
  and Data Loader exports of Lead, Account, Contact and Opportunity (API names in capitals,
  ids, ISO dates). Standard values: LeadStatus ("Open - Not Contacted", "Working -
  Contacted", "Closed - Converted", "Closed - Not Converted"), LeadSource ("Web", "Phone
  Inquiry", "Partner Referral", "Purchased List", "Other", …), Rating, OpportunityStage
  ("Prospecting" … "Closed Won", "Closed Lost"), Type and ForecastCategoryName:
  https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-leadstatus.html
  https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-opportunitystage.html
- HubSpot: the contacts, companies and deals "Export view" files (property labels as headers:
  "Record ID", "Lifecycle Stage", "Lead Status", "Original Source", "Deal Stage", "Pipeline").
  Lifecycle stages, 8 by default:
  https://developers.hubspot.com/changelog/upcoming-customized-lifecycle-stages-for-contacts-and-companies
  Original source values:
  https://knowledge.hubspot.com/properties/understand-source-properties
  The default deal pipeline ("Sales Pipeline", id "default") and its stages:
  https://developers.hubspot.com/docs/methods/pipelines/pipelines_overview
- Pipedrive: the leads, people, organizations and deals exports ("Entity - Field" headers,
  "Person - Email - Work"). Lead sources: https://developers.pipedrive.com/docs/api/v1/LeadSources
  People, organizations and deals: https://support.pipedrive.com/hc/en-us/articles/206770039
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.imports.models import ImportJob
from opportune.imports.services import create_job, run_job, store_file
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def owners(company: Company) -> Company:
    """The owners the exports name: "Alice Adams" and "Bob Brown"."""
    for user, last in ((company.alice, "Adams"), (company.bob, "Brown")):
        user.last_name = last
        user.save()
    return company


def _run(
    company: Company, sample: str, target: str, mapping: str = "", **options: Any
) -> ImportJob:
    """A dry run that must find nothing to report, then the real import."""
    path = SAMPLES / sample
    given = json.loads((SAMPLES / mapping).read_text()) if mapping else None
    jobs = []
    for dry_run in (True, False):
        with path.open("rb") as source:
            job = create_job(
                company.ada,
                target,
                store_file(source),
                path.name,
                mapping=given,
                dry_run=dry_run,
                **options,
            )
        jobs.append(run_job(job.pk))
    dry, real = jobs
    rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
    reported = list(real.row_errors.values_list("line", "column", "reason"))
    assert (dry.invalid, dry.created, dry.rows_done) == (0, rows, rows), reported
    assert (real.status, real.invalid, real.created) == ("done", 0, rows), reported
    assert not reported
    return real


def _lead(email: str) -> Lead:
    return Lead.objects.select_related("status", "owner").get(email=email)


def test_a_salesforce_lead_report_lands_where_a_user_expects(owners: Company) -> None:
    _run(owners, "salesforce/lead-report.csv", "leads")
    jack = _lead("jrogers@btca.example")
    assert (jack.company, jack.status.key, jack.source, jack.rating) == (
        "Burlington Textiles Corp of America",
        "working",
        "web",
        "warm",
    )
    assert (jack.postal_code, jack.employees, jack.annual_revenue, jack.state) == (
        "27215",
        9000,
        Decimal("350000000"),
        "NC",
    )
    assert jack.owner == owners.alice
    patricia = _lead("pat@is.example")
    assert (patricia.status.key, patricia.source, patricia.rating) == ("new", "referral", "hot")
    assert _lead("ksynder@tnr.example").source == "event"  # Trade Show
    brenda = _lead("brenda@cardinal.example")
    assert (brenda.status.key, brenda.disqualify_reason) == (
        "unqualified",
        "Closed - Not Converted (before import)",
    )
    assert brenda.source == "other"


def test_a_salesforce_data_loader_lead_export(owners: Company) -> None:
    _run(owners, "salesforce/dataloader-leads.csv", "leads", "salesforce/owners.json")
    jack = _lead("jrogers@btca.example")
    assert (jack.first_name, jack.last_name, jack.owner, jack.status.key) == (
        "Jack",
        "Rogers",
        owners.alice,
        "working",
    )
    assert (jack.annual_revenue, jack.employees) == (Decimal("350000000"), 9000)
    assert _lead("ksynder@tnr.example").source == "cold_call"  # Phone Inquiry
    assert _lead("ksynder@tnr.example").email_opt_out is True
    assert _lead("pat@is.example").do_not_call is True
    assert _lead("brenda@cardinal.example").source == "other"  # Purchased List
    assert Lead.objects.filter(pk__in=_imported_ids("leads", "00Q5g00000AbC01EAF")).exists()


def _imported_ids(target: str, external_id: str) -> list[int]:
    from opportune.imports.models import ExternalId

    return list(
        ExternalId.objects.filter(target=target, external_id=external_id).values_list(
            "record_id", flat=True
        )
    )


def test_salesforce_data_loader_accounts_contacts_and_opportunities(owners: Company) -> None:
    _run(owners, "salesforce/dataloader-accounts.csv", "accounts", "salesforce/owners.json")
    edge = Account.objects.get(name="Edge Communications")
    assert (edge.billing_city, edge.employees, edge.owner, edge.industry) == (
        "Austin",
        1000,
        owners.alice,
        "Electronics",
    )

    _run(owners, "salesforce/dataloader-contacts.csv", "contacts", "salesforce/owners.json")
    rose = Contact.objects.get(email="rose@edge.example")
    assert (rose.account, rose.lead_source, rose.title, rose.owner) == (
        edge,
        "event",
        "SVP, Procurement",
        owners.alice,
    )
    assert Contact.objects.get(email="a_young@btca.example").email_opt_out is True

    _run(
        owners,
        "salesforce/dataloader-opportunities.csv",
        "opportunities",
        "salesforce/opportunities.json",
    )
    deals = {o.name: o for o in Opportunity.objects.select_related("stage", "account")}
    generator = deals["Edge Emergency Generator"]
    assert (generator.stage.key, generator.account, generator.type) == (
        "id_decision_makers",
        edge,
        "existing_upgrade",
    )
    assert (generator.amount, generator.probability, generator.lead_source) == (
        Decimal("75000"),
        60,
        "referral",
    )
    won = deals["Burlington Textiles Weaving Plant Generator"]
    assert (won.stage.key, won.is_won, won.type) == ("closed_won", True, "new_business")
    assert deals["United Oil Refinery Generators"].stage.key == "proposal"
    lost = deals["United Oil Standby Generators"]
    assert (lost.stage.key, lost.lost_reason.key if lost.lost_reason else None) == (
        "closed_lost",
        "other",
    )


def test_hubspot_contacts_as_leads_with_lead_status_and_lifecycle_stage(owners: Company) -> None:
    _run(owners, "hubspot/contacts.csv", "leads")
    maria = _lead("mjohnson@hubspot-sample.example")
    assert (maria.company, maria.status.key, maria.source, maria.owner) == (
        "Biglytics",
        "new",
        "web",
        owners.alice,
    )
    assert (maria.title, maria.street, maria.state, maria.postal_code, maria.country) == (
        "Head of Data",
        "2 Canal Park",
        "MA",
        "02141",
        "US",
    )
    assert _lead("bh@hubspot-sample.example").status.key == "working"  # In Progress
    assert _lead("bh@hubspot-sample.example").source == "email_campaign"
    assert _lead("dharmesh@hubspot-sample.example").status.key == "qualified"  # Open Deal
    robot = _lead("coolrobot@hubspot-sample.example")  # no lead status: its lifecycle stage
    assert (robot.status.key, robot.source) == ("nurturing", "other")
    jane = _lead("jane@hubspot-sample.example")
    assert (jane.status.key, jane.source) == ("unqualified", "advertisement")
    assert _lead("sam@hubspot-sample.example").status.key == "working"


def test_hubspot_companies_contacts_and_deals(owners: Company) -> None:
    _run(owners, "hubspot/companies.csv", "accounts")
    biglytics = Account.objects.get(name="Biglytics")
    assert (biglytics.website, biglytics.industry, biglytics.employees) == (
        "biglytics.example",
        "Computer Software",
        250,
    )
    assert (biglytics.billing_street, biglytics.billing_postal_code, biglytics.owner) == (
        "2 Canal Park",
        "02141",
        owners.alice,
    )
    _run(owners, "hubspot/contacts.csv", "contacts")
    assert Contact.objects.get(email="mjohnson@hubspot-sample.example").account == biglytics
    _run(owners, "hubspot/deals.csv", "opportunities")
    deals = {o.name: o for o in Opportunity.objects.select_related("stage", "pipeline")}
    suite = deals["Biglytics - Analytics Suite"]
    assert (suite.stage.key, suite.pipeline.is_default, suite.amount, suite.account) == (
        "qualification",
        True,
        Decimal("12000"),
        biglytics,
    )
    assert str(suite.close_date) == "2026-12-15"
    assert deals["Smarty Pants - Renewal"].stage.key == "negotiation"
    assert deals["Smarty Pants - Renewal"].type == "existing_upgrade"
    assert deals["Robot Works - Pilot"].is_won
    lost = deals["Biglytics - Add-on"]
    assert (lost.stage.key, lost.lost_reason.key if lost.lost_reason else None) == (
        "closed_lost",
        "price",
    )
    assert deals["Smarty Pants - Workshop"].stage.key == "needs_analysis"


def test_pipedrive_leads_with_title_value_and_labels(owners: Company) -> None:
    _run(owners, "pipedrive/leads.csv", "leads")
    wile = _lead("wile@acme-tools.example")
    assert (wile.first_name, wile.last_name, wile.company, wile.phone) == (
        "Wile E.",
        "Coyote",
        "Acme Tools",
        "+1 505 555 0101",
    )
    assert (wile.need_description, wile.budget_amount, wile.rating, wile.source) == (
        "Acme Tools lead",
        Decimal("5000"),
        "hot",
        "web",
    )
    assert (str(wile.expected_purchase_date), wile.owner) == ("2026-09-30", owners.alice)
    assert (_lead("hank@globex.example").rating, _lead("hank@globex.example").source) == (
        "warm",
        "other",
    )
    assert _lead("aspencer@umbrella.example").source == "web"  # Leadbooster


def test_pipedrive_organizations_persons_and_deals(owners: Company) -> None:
    _run(owners, "pipedrive/organizations.csv", "accounts")
    acme = Account.objects.get(name="Acme Tools")
    assert (acme.billing_street, acme.owner) == (
        "1 Road Runner Way, Albuquerque, NM 87101, USA",
        owners.alice,
    )
    _run(owners, "pipedrive/persons.csv", "contacts")
    wile = Contact.objects.get(email="wile@acme-tools.example")
    assert (wile.first_name, wile.last_name, wile.account, wile.owner) == (
        "Wile E.",
        "Coyote",
        acme,
        owners.alice,
    )
    _run(owners, "pipedrive/deals.csv", "opportunities")
    deals = {o.name: o for o in Opportunity.objects.select_related("stage", "owner")}
    assert (deals["Acme Tools deal"].stage.key, deals["Acme Tools deal"].amount) == (
        "qualification",
        Decimal("5000"),
    )
    assert deals["Globex deal"].stage.key == "closed_won"  # status won
    lost = deals["Initech deal"]
    assert (lost.stage.key, lost.lost_reason.key if lost.lost_reason else None) == (
        "closed_lost",
        "price",
    )
    upsell = deals["Initech upsell"]
    assert (upsell.stage.key, upsell.probability, upsell.owner) == (
        "needs_analysis",
        50,
        owners.bob,
    )
