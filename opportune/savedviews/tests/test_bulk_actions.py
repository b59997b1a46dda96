"""Bulk actions on the lists: every record through its service and the policy, in one
transaction; one refusal and nothing is written, and the user learns which and why."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.audit.models import FieldChange
from opportune.leads.models import Lead, LeadStatus
from opportune.opportunities.models import Opportunity
from opportune.opportunities.services import close_opportunity
from opportune.savedviews.bulk import BulkChange, BulkRefused, apply_bulk
from opportune.web.testing import (
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_a_bulk_owner_change_writes_every_lead_and_its_history(company: Company) -> None:
    leads = [company.lead(company.alice, last_name=f"L{i}") for i in range(3)]
    done = apply_bulk(
        company.maria, "leads", [lead.pk for lead in leads], BulkChange("owner", company.bob.pk)
    )
    assert done == 3
    assert set(Lead.objects.values_list("owner", flat=True)) == {company.bob.pk}
    assert FieldChange.objects.filter(field="owner").count() == 3


def test_one_refused_lead_and_no_lead_changes(company: Company) -> None:
    leads = [company.lead(company.alice, last_name=f"L{i}") for i in range(2)]
    converted = company.lead(
        company.alice,
        last_name="Done",
        status=LeadStatus.objects.get(is_converted=True),
        is_converted=True,
    )
    with pytest.raises(BulkRefused) as refused:
        apply_bulk(
            company.maria,
            "leads",
            [*(lead.pk for lead in leads), converted.pk],
            BulkChange("owner", company.bob.pk),
        )
    assert [r.record_id for r in refused.value.refusals] == [converted.pk]
    assert "converted" in refused.value.refusals[0].reason
    assert not Lead.objects.filter(owner=company.bob).exists()
    assert not FieldChange.objects.filter(field="owner").exists()


def test_a_record_outside_the_user_s_view_is_refused_not_skipped(company: Company) -> None:
    mine = company.account(company.alice, "Mine")
    theirs = company.account(company.charlie, "Theirs")
    with pytest.raises(BulkRefused) as refused:
        apply_bulk(
            company.alice, "accounts", [mine.pk, theirs.pk], BulkChange("owner", company.bob.pk)
        )
    assert [r.record_id for r in refused.value.refusals] == [theirs.pk]
    assert Account.objects.get(pk=mine.pk).owner == company.alice


def test_a_policy_refusal_rolls_back_the_deletes_already_done(company: Company) -> None:
    """A rep may not delete a won deal: the open one deleted before it is restored too."""
    open_deal = company.opportunity(company.alice, name="Open")
    won = close_opportunity(company.ada, company.opportunity(company.alice, name="Won"), won=True)
    with pytest.raises(BulkRefused) as refused:
        apply_bulk(company.alice, "opportunities", [open_deal.pk, won.pk], BulkChange("delete"))
    assert [r.label for r in refused.value.refusals] == ["Won"]
    assert Opportunity.objects.filter(pk__in=[open_deal.pk, won.pk]).count() == 2


def test_bulk_stage_and_delete_go_through_the_services(company: Company) -> None:
    deals = [company.opportunity(company.alice, name=f"D{i}") for i in range(2)]
    apply_bulk(
        company.alice, "opportunities", [d.pk for d in deals], BulkChange("stage", stage="proposal")
    )
    assert set(Opportunity.objects.values_list("stage__key", flat=True)) == {"proposal"}
    contacts = [company.contact(company.alice, None, last_name=f"C{i}") for i in range(2)]
    apply_bulk(company.alice, "contacts", [c.pk for c in contacts], BulkChange("delete"))
    assert not Contact.objects.filter(pk__in=[c.pk for c in contacts]).exists()
    assert Contact.with_deleted.filter(pk__in=[c.pk for c in contacts]).count() == 2


def test_read_only_users_cannot_bulk_change(company: Company) -> None:
    lead = company.lead(company.alice)
    from opportune.errors import NotAllowed

    with pytest.raises(NotAllowed):
        apply_bulk(company.rita, "leads", [lead.pk], BulkChange("owner", company.bob.pk))


@pytest.mark.parametrize("rows", [5, 50])
def test_a_bulk_lead_owner_change_costs_the_same_queries_for_5_or_50(
    company: Company, rows: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ids = [company.lead(company.alice, last_name=f"L{i}").pk for i in range(rows)]
    # Set-based (update_leads): the visible rows, their locks, owners, statuses, one
    # UPDATE, one history INSERT, the score hook; whatever the number of leads.
    with django_assert_max_num_queries(16):
        apply_bulk(company.maria, "leads", ids, BulkChange("owner", company.bob.pk))
    assert Lead.objects.filter(owner=company.bob).count() == rows


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/accounts/", "accounts"), ("/contacts/", "contacts"), ("/opportunities/", "opportunities")],
)
def test_every_list_offers_bulk_actions_and_applies_them(
    company: Company, client: Client, path: str, kind: str
) -> None:
    if kind == "accounts":
        record: Account | Contact | Opportunity = company.account(company.alice, "Bulky")
    elif kind == "contacts":
        record = company.contact(company.alice, None, last_name="Bulky")
    else:
        record = company.opportunity(company.alice, name="Bulky")
    client = logged_in(client, company.maria)
    page = client.get(path).content.decode()
    assert 'name="bulk-ids"' in page and f"/lists/{kind}/bulk/" in page
    response = client.post(
        f"/lists/{kind}/bulk/",
        {
            "bulk-action": "assign",
            "bulk-owner": company.bob.pk,
            "bulk-ids": [record.pk],
            "return_to": path,
        },
        follow=True,
    )
    assert next(str(m) for m in response.context["messages"]).startswith("Updated 1 ")
    assert type(record).objects.get(pk=record.pk).owner == company.bob


def test_the_user_sees_which_records_were_refused_and_why(company: Company, client: Client) -> None:
    mine = company.opportunity(company.alice, name="Open deal")
    won = close_opportunity(
        company.ada, company.opportunity(company.alice, name="Won deal"), won=True
    )
    response = logged_in(client, company.alice).post(
        "/lists/opportunities/bulk/",
        {"bulk-action": "delete", "bulk-ids": [mine.pk, won.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0] == "Nothing was changed: 1 of the 2 selected opportunities was refused."
    assert messages[1].startswith("Won deal: ")
    assert Opportunity.objects.filter(pk=mine.pk).exists()
