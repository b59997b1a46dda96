"""The access policy (identity/policy.py): what each role may do to the records it sees.

Seeing is the visibility rule's (test_visibility.py); these tests guard the 403 side, and
that every entry point (API, UI, imports) answers the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from conftest import ApiClient, Company
from opportune.activities.models import Activity
from opportune.identity import policy
from opportune.identity.models import User
from opportune.identity.policy import Verb
from opportune.imports.models import ImportMapping
from opportune.leads.models import Lead
from opportune.web.testing import (
    logged_in,
    plain_static_files,  # noqa: F401
)

# --- the rules, one role at a time ------------------------------------------------------


def test_read_only_users_change_nothing(company: Company) -> None:
    lead = company.lead(company.alice)
    assert not policy.may(company.rita, Verb.CHANGE, lead)
    assert not policy.may(company.rita, Verb.CREATE, Lead)
    assert not policy.may_write(company.rita)


def test_reps_and_managers_change_what_they_see(company: Company) -> None:
    lead = company.lead(company.alice)
    assert policy.may(company.alice, Verb.CHANGE, lead)
    assert policy.may(company.maria, Verb.CHANGE, lead)


def test_a_rep_may_not_delete_a_converted_lead_or_a_won_deal_but_a_manager_may(
    company: Company,
) -> None:
    converted = company.lead(company.alice, is_converted=True)
    won = company.opportunity(company.alice, stage_key="closed_won")
    assert won.is_won
    for record in (converted, won):
        assert not policy.may(company.alice, Verb.DELETE, record)
        assert policy.may(company.maria, Verb.DELETE, record)
    assert policy.may(company.alice, Verb.DELETE, company.lead(company.alice))


def test_only_admins_purge(company: Company) -> None:
    lead = company.lead(company.alice)
    assert policy.may(company.ada, Verb.PURGE, lead)
    assert not policy.may(company.maria, Verb.PURGE, lead)
    assert not policy.may(company.alice, Verb.PURGE, lead)


def test_marketing_changes_only_its_own_and_unassigned_leads(company: Company) -> None:
    assert policy.may(company.mark, Verb.CHANGE, company.lead(company.mark))
    assert policy.may(company.mark, Verb.CHANGE, company.lead(None))
    reps = company.lead(company.alice)
    assert not policy.may(company.mark, Verb.CHANGE, reps)
    assert not policy.may(company.mark, Verb.DELETE, reps)
    assert not policy.may(company.mark, Verb.CONVERT, company.lead(company.mark))


def test_marketing_reads_accounts_but_creates_only_leads(company: Company) -> None:
    assert policy.may_create(company.mark, policy.LEAD)
    assert not policy.may_create(company.mark, policy.ACCOUNT)
    assert not policy.may_create(company.mark, policy.OPPORTUNITY)
    assert not policy.may(company.mark, Verb.CHANGE, company.account(company.mark))


def test_marketing_logs_activities_on_leads_only(company: Company) -> None:
    on_lead = Activity(kind="note", subject="Met at the fair", owner=company.mark)
    on_lead.lead = company.lead(company.alice)
    assert policy.may(company.mark, Verb.CREATE, on_lead)
    on_account = Activity(kind="note", subject="x", owner=company.mark)
    on_account.account = company.account(company.mark)
    assert not policy.may(company.mark, Verb.CREATE, on_account)


def test_a_record_is_restored_by_its_owner_its_deleter_or_an_admin(company: Company) -> None:
    lead = company.lead(company.alice)
    lead.deleted_by_id = company.maria.pk
    assert policy.may(company.alice, Verb.RESTORE, lead)
    assert policy.may(company.maria, Verb.RESTORE, lead)
    assert policy.may(company.ada, Verb.RESTORE, lead)
    assert not policy.may(company.bob, Verb.RESTORE, lead)


def test_owners_are_users_who_may_own_that_kind(company: Company) -> None:
    assert policy.may_own(company.mark, policy.LEAD)
    assert not policy.may_own(company.mark, policy.OPPORTUNITY)
    assert not policy.may_own(company.rita, policy.LEAD)
    owners = set(policy.possible_owners(policy.OPPORTUNITY).values_list("username", flat=True))
    assert owners == {"ada", "maria", "alice", "bob", "charlie"}


def test_an_inactive_user_may_do_nothing(company: Company) -> None:
    company.ada.is_active = False
    assert not policy.may(company.ada, Verb.CHANGE, company.lead(None))
    assert not policy.sees_kind(company.ada, policy.LEAD)


# --- the same answers at every entry point ----------------------------------------------


def test_marketing_gets_a_404_on_an_opportunity_in_the_api_and_the_ui(
    company: Company, api: Callable[[User], ApiClient], client: Client
) -> None:
    deal = company.opportunity(company.alice)
    assert api(company.mark).get(f"/api/v1/opportunities/{deal.pk}").status_code == 404
    assert logged_in(client, company.mark).get(f"/opportunities/{deal.pk}/").status_code == 404


def test_an_opportunity_cannot_be_given_to_a_user_who_may_not_own_it(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal = company.opportunity(company.alice)
    for user in (company.mark, company.rita):
        answer = api(company.maria).patch(f"/api/v1/opportunities/{deal.pk}", {"owner_id": user.pk})
        assert answer.status_code == 422
        assert "owner_id" in answer.json()["errors"]
    deal.refresh_from_db()
    assert deal.owner_id == company.alice.pk


def test_marketing_cannot_reassign_a_reps_lead(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.lead(company.alice)
    answer = api(company.mark).patch(f"/api/v1/leads/{lead.pk}", {"owner_id": company.mark.pk})
    assert answer.status_code == 403
    lead.refresh_from_db()
    assert lead.owner_id == company.alice.pk


def test_marketing_hands_its_own_lead_to_a_rep(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.lead(company.mark)
    answer = api(company.mark).patch(f"/api/v1/leads/{lead.pk}", {"owner_id": company.bob.pk})
    assert answer.status_code == 200
    assert answer.json()["owner_id"] == company.bob.pk


def test_marketing_gets_a_403_page_editing_a_reps_lead_in_the_ui(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice, city="Boston")
    response = logged_in(client, company.mark).post(
        f"/leads/{lead.pk}/edit/", {"last_name": "Changed", "company": "Globex Corporation"}
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.last_name == "Lead"


def test_marketing_lists_no_activity_about_a_deal(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal = company.opportunity(company.alice)
    lead = company.lead(company.alice)
    Activity.objects.create(kind="call", subject="Deal call", owner=company.mark, opportunity=deal)
    on_lead = Activity.objects.create(
        kind="call", subject="Lead call", owner=company.mark, lead=lead
    )
    listed = api(company.mark).get("/api/v1/activities").json()["items"]
    assert [a["id"] for a in listed] == [on_lead.pk]
    by_deal = api(company.mark).get("/api/v1/activities", opportunity_id=deal.pk)
    assert by_deal.status_code == 200
    assert by_deal.json()["items"] == []


# --- saved import mappings belong to someone --------------------------------------------


MAPPING = {"name": "Admin leads mapping", "target": "leads", "columns": {"Given": "first_name"}}


def test_a_rep_cannot_overwrite_an_admins_shared_mapping(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    created = api(company.ada).post("/api/v1/import-mappings", {**MAPPING, "is_shared": True})
    assert created.status_code == 201
    hijack = {**MAPPING, "defaults": {"owner": "alice"}}
    answer = api(company.alice).post("/api/v1/import-mappings", hijack)
    assert answer.status_code == 403
    assert ImportMapping.objects.get(name=MAPPING["name"]).defaults == {}


def test_a_private_mapping_is_neither_seen_nor_overwritten_by_others(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    mine = api(company.ada).post("/api/v1/import-mappings", MAPPING).json()
    assert [m["id"] for m in api(company.alice).get("/api/v1/import-mappings").json()] == []
    answer = api(company.alice).post("/api/v1/import-mappings", MAPPING)
    assert answer.status_code == 422
    assert "name" in answer.json()["errors"]
    assert ImportMapping.objects.get(pk=mine["id"]).created_by == company.ada


def test_the_owner_changes_their_mapping(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    api(company.alice).post("/api/v1/import-mappings", MAPPING)
    changed = api(company.alice).post(
        "/api/v1/import-mappings", {**MAPPING, "defaults": {"company": "(none)"}}
    )
    assert changed.status_code == 201
    assert ImportMapping.objects.get(name=MAPPING["name"]).defaults == {"company": "(none)"}


@pytest.mark.parametrize("role_user", ["mark", "alice"])
def test_importing_with_someone_elses_private_mapping_is_a_404(
    company: Company, api: Callable[[User], ApiClient], role_user: str
) -> None:
    mine = api(company.ada).post("/api/v1/import-mappings", MAPPING).json()
    user = getattr(company, role_user)
    answer = api(user).client.post(
        "/api/v1/imports",
        {"file": _csv("Given,Last Name,Company\nA,B,C\n"), "mapping_id": mine["id"]},
    )
    assert answer.status_code == 404


def _csv(text: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("leads.csv", text.encode(), content_type="text/csv")


@pytest.mark.parametrize(
    "path", ["/leads/{lead}/edit/", "/leads/{lead}/status/", "/leads/{lead}/convert/"]
)
def test_a_form_the_user_may_not_submit_is_a_403_page_already_on_get(
    company: Company, client: Any, path: str
) -> None:
    lead = company.qualified_lead(company.alice)
    url = path.format(lead=lead.pk)
    for user in (company.mark, company.rita):
        response = logged_in(client, user).get(url)
        assert response.status_code == 403, (user, url)
    assert logged_in(client, company.alice).get(url).status_code == 200


def test_read_only_users_get_a_403_page_on_record_forms(company: Company, client: Any) -> None:
    deal = company.opportunity(company.alice)
    account = company.account(company.alice, "Umbrella")
    for url in (f"/opportunities/{deal.pk}/edit/", f"/accounts/{account.pk}/edit/"):
        assert logged_in(client, company.rita).get(url).status_code == 403, url
        assert logged_in(client, company.maria).get(url).status_code == 200, url


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/forecast",
        "/api/v1/forecast/quotas",
        "/api/v1/forecast/adjustments",
        "/api/v1/analytics/win-rates",
        "/api/v1/analytics/summary",
        "/api/v1/analytics/time-in-stage",
        "/api/v1/analytics/pipeline-as-of",
    ],
)
def test_deal_reports_do_not_exist_for_marketing_in_the_api_as_on_the_pages(
    company: Company, api: Callable[[User], ApiClient], path: str
) -> None:
    assert api(company.mark).get(path).status_code == 404
    assert api(company.maria).get(path).status_code == 200


def test_marketing_reads_the_lead_funnel(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    assert api(company.mark).get("/api/v1/analytics/funnel").status_code == 200
