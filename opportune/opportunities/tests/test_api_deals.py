"""The API of deals without a lead (issue 14): opening with field errors (422 naming the
field), contact roles, and PATCH {"pipeline", "stage"}; the same services as the pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import ApiClient, Company
from opportune.identity.models import User
from opportune.opportunities.models import Pipeline, Stage

pytestmark = pytest.mark.django_db


def test_post_opens_a_deal_on_an_account_with_its_primary_role(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    account = company.account(company.alice, "Initech")
    ann = company.contact(company.alice, account)
    response = api(company.alice).post(
        "/api/v1/opportunities",
        {
            "name": "Initech renewal",
            "account_id": account.pk,
            "close_date": "2026-12-31",
            "primary_contact_id": ann.pk,
            "type": "existing_upgrade",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["contact_roles"] == [
        {"id": body["contact_roles"][0]["id"], "contact_id": ann.pk, "role": "", "is_primary": True}
    ]


def test_post_with_an_unknown_stage_is_a_422_naming_it(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    account = company.account(company.alice, "Initech")
    response = api(company.alice).post(
        "/api/v1/opportunities",
        {"name": "X", "account_id": account.pk, "close_date": "2026-12-31", "stage": "nope"},
    )
    assert response.status_code == 422
    assert "stage" in response.json()["errors"]


def test_contact_roles_round_trip_with_one_primary(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal = company.opportunity(company.alice)
    ann = company.contact(company.alice, deal.account, first_name="Ann")
    ben = company.contact(company.alice, deal.account, first_name="Ben")
    client = api(company.alice)
    url = f"/api/v1/opportunities/{deal.pk}/contact-roles"
    first = client.post(url, {"contact_id": ann.pk, "role": "evaluator"}).json()
    second = client.post(url, {"contact_id": ben.pk}).json()
    assert (first["is_primary"], second["is_primary"]) == (True, False)
    changed = client.patch(f"{url}/{second['id']}", {"is_primary": True, "role": "economic_buyer"})
    assert changed.status_code == 200 and changed.json()["is_primary"]
    roles = client.get(url).json()
    assert [(r["contact_id"], r["is_primary"]) for r in roles] == [(ben.pk, True), (ann.pk, False)]
    assert client.get(f"/api/v1/opportunities/{deal.pk}").json()["primary_contact_id"] == ben.pk
    refused = client.delete(f"{url}/{second['id']}")
    assert refused.status_code == 422 and "is_primary" in refused.json()["errors"]
    assert client.delete(f"{url}/{first['id']}").status_code == 204
    assert client.patch(f"{url}/{first['id']}", {"role": "other"}).status_code == 404


def test_a_read_only_user_may_not_add_a_role(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal = company.opportunity(company.alice)
    ann = company.contact(company.alice, deal.account)
    response = api(company.rita).post(
        f"/api/v1/opportunities/{deal.pk}/contact-roles", {"contact_id": ann.pk}
    )
    assert response.status_code == 403


def test_patch_pipeline_maps_the_stage_and_keeps_a_won_deal_won(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    for order, (key, closed, is_won) in enumerate(
        [("proposal", False, False), ("renewed", True, True)]
    ):
        Stage.objects.create(
            pipeline=renewals,
            key=key,
            label=key,
            order=order,
            default_probability=100 if is_won else 60,
            forecast_category="closed" if closed else "best_case",
            is_closed=closed,
            is_won=is_won,
        )
    client = api(company.alice)
    deal = company.opportunity(company.alice, stage_key="proposal")
    moved = client.patch(f"/api/v1/opportunities/{deal.pk}", {"pipeline": "renewals"}).json()
    assert (moved["pipeline"], moved["stage"]) == ("renewals", "proposal")
    won = company.opportunity(company.alice, stage_key="closed_won")
    moved = client.patch(f"/api/v1/opportunities/{won.pk}", {"pipeline": "renewals"}).json()
    assert (moved["stage"], moved["is_won"]) == ("renewed", True)
    bad = client.patch(f"/api/v1/opportunities/{won.pk}", {"pipeline": "nowhere"})
    assert bad.status_code == 422 and "pipeline" in bad.json()["errors"]


def test_a_role_without_a_contact_is_a_422_naming_it(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal = company.opportunity(company.alice)
    response = api(company.alice).post(f"/api/v1/opportunities/{deal.pk}/contact-roles", {})
    assert response.status_code == 422
    assert "contact_id" in response.json()["errors"]
