"""The rules, seen through the API: status codes, problem documents and field names."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from conftest import ApiClient, Company
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity


def test_it_refuses_a_lead_with_a_bad_email_naming_the_field(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    response = api(company.alice).post(
        "/api/v1/leads", {"last_name": "Doe", "company": "Initech", "email": "not-an-email"}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["email"]
    assert not Lead.objects.exists()


def test_it_requires_last_name_and_company(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    response = api(company.alice).post("/api/v1/leads", {"first_name": "Jo"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"last_name", "company"}


def test_it_refuses_to_set_the_converted_status_by_editing(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.lead(company.alice)
    response = api(company.alice).patch(f"/api/v1/leads/{lead.pk}", {"status": "converted"})
    assert response.status_code == 422
    assert "status" in response.json()["errors"]


def test_it_requires_a_reason_to_disqualify(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.lead(company.alice)
    client = api(company.alice)
    refused = client.patch(f"/api/v1/leads/{lead.pk}", {"status": "unqualified"})
    assert refused.status_code == 422
    assert "disqualify_reason" in refused.json()["errors"]
    accepted = client.patch(
        f"/api/v1/leads/{lead.pk}", {"status": "unqualified", "disqualify_reason": "Student"}
    )
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "unqualified"


def test_read_only_users_get_403_on_writes(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.lead(company.alice)
    client = api(company.rita)
    assert client.get(f"/api/v1/leads/{lead.pk}").status_code == 200
    response = client.patch(f"/api/v1/leads/{lead.pk}", {"title": "CTO"})
    assert response.status_code == 403
    assert response.json()["title"] == "Not allowed"


def test_a_rep_cannot_delete_a_converted_lead(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.qualified_lead(company.alice)
    client = api(company.alice)
    assert client.post(f"/api/v1/leads/{lead.pk}/convert").status_code == 200
    refused = client.delete(f"/api/v1/leads/{lead.pk}")
    assert refused.status_code == 403
    assert "converted lead" in refused.json()["detail"]


def test_conversion_into_an_account_the_user_cannot_see_is_refused(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.qualified_lead(company.alice)
    charlies = company.account(company.charlie, "West Corp")
    response = api(company.alice).post(
        f"/api/v1/leads/{lead.pk}/convert", {"account_id": charlies.pk}
    )
    assert response.status_code == 422
    assert "account_id" in response.json()["errors"]
    lead.refresh_from_db()
    assert not lead.is_converted


def test_a_rep_may_not_override_the_qualification_policy(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.lead(company.alice)
    response = api(company.alice).post(
        f"/api/v1/leads/{lead.pk}/convert", {"override_qualification": True}
    )
    assert response.status_code == 403


def test_a_manager_may_override_the_qualification_policy(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.lead(company.alice)
    response = api(company.maria).post(
        f"/api/v1/leads/{lead.pk}/convert", {"override_qualification": True}
    )
    assert response.status_code == 200, response.content


def test_conversion_candidates_list_matching_accounts_and_contacts(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    account = company.account(company.alice, "GLOBEX Corp.", website="https://www.globex.example")
    contact = company.contact(company.alice, account, email="lena@globex.example")
    lead = company.lead(company.alice, company="Globex", website="globex.example")
    body = api(company.alice).get(f"/api/v1/leads/{lead.pk}/conversion-candidates").json()
    assert [a["id"] for a in body["accounts"]] == [account.pk]
    assert [c["id"] for c in body["contacts"]] == [contact.pk]


def test_stages_are_referred_to_by_key(company: Company, api: Callable[[User], ApiClient]) -> None:
    account = company.account(company.alice)
    client = api(company.alice)
    created = client.post(
        "/api/v1/opportunities",
        {
            "name": "Big deal",
            "account_id": account.pk,
            "close_date": "2026-12-31",
            "stage": "proposal",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["stage"], body["probability"], body["forecast_category"]) == (
        "proposal",
        75,
        "best_case",
    )
    unknown = client.patch(f"/api/v1/opportunities/{body['id']}", {"stage": "haggling"})
    assert unknown.status_code == 422
    assert "stage" in unknown.json()["errors"]


def test_closing_lost_with_a_reason_and_no_override_once_closed(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    opportunity = company.opportunity(company.alice)
    client = api(company.alice)
    url = f"/api/v1/opportunities/{opportunity.pk}"
    lost = client.patch(url, {"stage": "closed_lost", "lost_reason": "price"})
    assert lost.status_code == 200, lost.content
    assert lost.json()["is_closed"] is True
    assert lost.json()["lost_reason"] == "price"
    override = client.patch(url, {"probability": 40})
    assert override.status_code == 422
    assert "probability" in override.json()["errors"]
    assert Opportunity.objects.get(pk=opportunity.pk).probability == 0


def test_history_lists_every_change_of_the_five_tracked_values(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    opportunity = company.opportunity(company.alice)
    client = api(company.alice)
    url = f"/api/v1/opportunities/{opportunity.pk}"
    client.patch(url, {"amount": "12000.00"})
    client.patch(url, {"next_step": "Send the proposal"})
    client.patch(url, {"close_date": "2027-01-31"})
    rows = client.get(f"{url}/history").json()
    assert len(rows) == 3
    assert rows[1]["previous_amount"] == "10000.00"
    assert rows[1]["amount"] == "12000.00"
    assert rows[2]["previous_close_date"] == "2026-12-31"
    assert rows[2]["changed_by_id"] == company.alice.pk


def test_an_activity_must_concern_a_record(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    response = api(company.alice).post("/api/v1/activities", {"kind": "call", "subject": "Hi"})
    assert response.status_code == 422
    assert response.json()["errors"]


def test_a_contact_cannot_be_attached_to_an_invisible_account(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    charlies = company.account(company.charlie, "West Corp")
    response = api(company.alice).post(
        "/api/v1/contacts", {"last_name": "Ng", "account_id": charlies.pk}
    )
    assert response.status_code == 422
    assert "account_id" in response.json()["errors"]


def test_lists_page_with_a_cursor(company: Company, api: Callable[[User], ApiClient]) -> None:
    for i in range(5):
        company.lead(company.alice, last_name=f"L{i}")
    client = api(company.alice)
    first = client.get("/api/v1/leads", limit=3).json()
    assert len(first["items"]) == 3
    second = client.get("/api/v1/leads", limit=3, cursor=first["next"]).json()
    assert len(second["items"]) == 2
    assert second["next"] is None
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)


def test_me_tells_the_user_and_role(company: Company, api: Callable[[User], ApiClient]) -> None:
    body = api(company.maria).get("/api/v1/me").json()
    assert (body["username"], body["role"], body["team"]["name"]) == (
        "maria",
        "sales_manager",
        "East",
    )


def test_openapi_and_docs_are_served(client: Client) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200
