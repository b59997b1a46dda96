"""The conversion walk-through of issue 2, through the API: refuse, convert, 409, stages."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from conftest import ApiClient, Company
from opportune.identity.models import User


def test_the_lead_to_won_walkthrough(company: Company, api: Callable[[User], ApiClient]) -> None:
    alice = api(company.alice)
    created = alice.post(
        "/api/v1/leads",
        {"last_name": "Lovelace", "company": "Analytical Engines Ltd", "email": "ADA@AE.example"},
    )
    assert created.status_code == 201, created.content
    lead = created.json()
    assert lead["status"] == "new"
    assert lead["email"] == "ada@ae.example"
    assert lead["owner_id"] == company.alice.pk

    refused = alice.post(f"/api/v1/leads/{lead['id']}/convert")
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert set(refused.json()["errors"]) == {
        "need_identified",
        "budget_confirmed",
        "authority_confirmed",
    }

    qualified = alice.patch(
        f"/api/v1/leads/{lead['id']}",
        {
            "status": "qualified",
            "need_identified": True,
            "budget_confirmed": True,
            "budget_amount": "48000.00",
            "authority_confirmed": True,
        },
    )
    assert qualified.status_code == 200, qualified.content

    converted = alice.post(f"/api/v1/leads/{lead['id']}/convert")
    assert converted.status_code == 200, converted.content
    result = converted.json()
    assert result["lead"]["status"] == "converted"
    assert result["opportunity_id"] is not None

    again = alice.post(f"/api/v1/leads/{lead['id']}/convert")
    assert again.status_code == 409
    edit = alice.patch(f"/api/v1/leads/{lead['id']}", {"title": "CEO"})
    assert edit.status_code == 409

    opp_url = f"/api/v1/opportunities/{result['opportunity_id']}"
    opportunity = alice.get(opp_url).json()
    assert opportunity["stage"] == "prospecting"
    assert opportunity["amount"] == "48000.00"

    moved = alice.patch(opp_url, {"stage": "negotiation"})
    assert moved.status_code == 200, moved.content
    assert moved.json()["probability"] == 90
    assert moved.json()["forecast_category"] == "commit"

    lost = alice.patch(opp_url, {"stage": "closed_lost"})
    assert lost.status_code == 422
    assert "lost_reason" in lost.json()["errors"]

    history = alice.get(f"{opp_url}/history").json()
    assert [row["stage"] for row in history] == ["prospecting", "negotiation"]
    assert history[1]["previous_amount"] == "48000.00"


def test_it_answers_401_without_a_valid_token(db: None, client: Client) -> None:
    response = client.get("/api/v1/leads", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert response.json()["status"] == 401
