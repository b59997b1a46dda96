"""/api/v1/forecast, its quotas and adjustments: figures, roll-up, visibility, bad input."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from conftest import ApiClient, Company
from opportune.identity.models import User

from .conftest import deal


def test_the_forecast_rolls_up_and_reports_cumulative_categories(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal(company, company.alice, "closed_won", "1000")
    deal(company, company.alice, "negotiation", "2000")
    deal(company, company.charlie, "proposal", "400")
    response = api(company.ada).get("/api/v1/forecast", period="2026-Q4")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == "2026-Q4"
    assert body["periods"][0]["start"] == "2026-10-01"
    assert body["total"]["commit"] == {"amount": "3000.00", "count": 2}
    assert body["total"]["best_case"] == {"amount": "3400.00", "count": 3}
    assert body["total"]["raw"]["best_case"]["amount"] == "400.00"
    assert Decimal(body["total"]["weighted_pipeline"]) == Decimal("2100")
    [sales] = body["teams"]
    east, west = sales["teams"]
    assert [m["name"] for m in east["members"]] == ["Alice"]
    assert east["figures"]["closed"]["amount"] == "1000.00"
    assert west["figures"]["pipeline"]["amount"] == "400.00"


def test_a_range_lists_each_period(company: Company, api: Callable[[User], ApiClient]) -> None:
    deal(company, company.bob, "closed_won", "5")
    body = api(company.ada).get("/api/v1/forecast", period="2026-Q3", to="2026-Q4").json()
    assert body["to"] == "2026-Q4"
    assert [p["period"] for p in body["by_period"]] == ["2026-Q3", "2026-Q4"]
    assert [p["figures"]["closed"]["count"] for p in body["by_period"]] == [0, 1]


def test_a_team_is_named_by_id_or_name(company: Company, api: Callable[[User], ApiClient]) -> None:
    deal(company, company.bob, "closed_won", "5")
    deal(company, company.charlie, "closed_won", "7")
    client = api(company.ada)
    by_name = client.get("/api/v1/forecast", period="2026-Q4", team="West").json()
    by_id = client.get("/api/v1/forecast", period="2026-Q4", team=company.west.pk).json()
    assert by_name == by_id
    assert by_name["total"]["closed"]["amount"] == "7.00"


def test_a_rep_gets_their_own_forecast_only(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal(company, company.alice, "closed_won", "1")
    deal(company, company.bob, "closed_won", "10")
    body = api(company.bob).get("/api/v1/forecast", period="2026-Q4").json()
    assert body["total"]["closed"]["amount"] == "10.00"


def test_bad_parameters_are_422_problems_naming_them(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    client = api(company.ada)
    for params, field in [
        ({"period": "2026-Q5"}, "period"),
        ({"period": "2026-Q4", "to": "2026-Q1"}, "to"),
        ({"period": "2026-Q4", "to": "2027-01"}, "to"),
        ({"period": "2026-Q4", "team": "Nowhere"}, "team"),
    ]:
        response = client.get("/api/v1/forecast", **params)
        assert response.status_code == 422, params
        assert response["Content-Type"] == "application/problem+json"
        assert field in response.json()["errors"], response.json()


def test_without_a_period_it_forecasts_the_current_quarter(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    from opportune.forecasting.periods import current_period

    body = api(company.bob).get("/api/v1/forecast").json()
    assert body["period"] == current_period().key


def test_a_manager_sets_a_quota_and_sees_attainment(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal(company, company.alice, "closed_won", "500")
    maria = api(company.maria)
    body = {"user_id": company.alice.pk, "period": "2026-q4", "amount": "2000"}
    response = maria.post("/api/v1/forecast/quotas", body)
    assert response.status_code == 200, response.content
    assert response.json()["period"] == "2026-Q4"
    forecast = maria.get("/api/v1/forecast", period="2026-Q4").json()
    [alice] = forecast["teams"][0]["teams"][0]["members"]
    assert alice["quota"] == "2000.00"
    assert Decimal(alice["attainment"]) == Decimal("0.25")
    assert [q["amount"] for q in maria.get("/api/v1/forecast/quotas").json()] == ["2000.00"]
    assert api(company.charlie).get("/api/v1/forecast/quotas").json() == []
    removed = maria.post("/api/v1/forecast/quotas", {**body, "amount": None})
    assert removed.status_code == 204
    assert maria.get("/api/v1/forecast/quotas").json() == []


def test_quota_and_adjustment_rules_answer_problems(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    alice = api(company.alice)
    body = {"user_id": company.bob.pk, "period": "2026-Q4", "amount": "1"}
    assert alice.post("/api/v1/forecast/quotas", body).status_code == 403
    maria = api(company.maria)
    outside = maria.post("/api/v1/forecast/quotas", {**body, "user_id": company.charlie.pk})
    assert outside.status_code == 422
    assert "user_id" in outside.json()["errors"]
    negative = maria.post("/api/v1/forecast/quotas", {**body, "amount": "-5"})
    assert negative.status_code == 422
    assert "amount" in negative.json()["errors"]
    wrong = maria.post(
        "/api/v1/forecast/adjustments", {**body, "category": "closed", "amount": "1"}
    )
    assert wrong.status_code == 422
    assert "category" in wrong.json()["errors"]


def test_a_manager_adjusts_a_reports_commit(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal(company, company.alice, "negotiation", "2000")
    maria = api(company.maria)
    response = maria.post(
        "/api/v1/forecast/adjustments",
        {
            "user_id": company.alice.pk,
            "period": "2026-Q4",
            "category": "commit",
            "amount": "1200",
            "note": "Legal review will slip",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["adjusted_by_id"] == company.maria.pk
    body = maria.get("/api/v1/forecast", period="2026-Q4").json()
    assert body["total"]["commit"]["amount"] == "2000.00"
    assert body["adjusted"]["commit"] == "1200.00"
    [alice] = body["teams"][0]["teams"][0]["members"]
    assert alice["adjustments"][0]["note"] == "Legal review will slip"
    # Alice sees her raw figure and not her manager's adjustment.
    own = api(company.alice).get("/api/v1/forecast", period="2026-Q4").json()
    assert own["adjusted"]["commit"] == "2000.00"
    assert api(company.alice).get("/api/v1/forecast/adjustments").json() == []
    assert len(maria.get("/api/v1/forecast/adjustments", period="2026-Q4").json()) == 1


def test_the_api_shows_team_quotas_team_adjustments_and_the_history(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal(company, company.alice, "negotiation", "2000")
    ada = api(company.ada)
    for user, amount in ((company.maria, "3000"), (company.alice, "1000")):
        ada.post("/api/v1/forecast/quotas", {"user_id": user.pk, "period": "2026-Q4",
                                             "amount": amount})  # fmt: skip
    response = ada.post(
        "/api/v1/forecast/adjustments",
        {"team_id": company.east.pk, "period": "2026-Q4", "category": "commit", "amount": "500"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["previous_amount"] == "2000.00"
    body = ada.get("/api/v1/forecast", period="2026-Q4").json()
    east = body["teams"][0]["teams"][0]
    assert (east["quota"], east["members_quota"], east["quota_mismatch"]) == (
        "3000.00", "1000.00", True,
    )  # fmt: skip
    assert east["adjusted"]["commit"] == "500.00"
    assert east["adjustments"][0]["adjusted_by"] == "Ada"
    assert [(h["subject"], h["previous_amount"], h["amount"]) for h in body["history"]] == [
        ("East", "2000.00", "500.00")
    ]
    listed = ada.get("/api/v1/forecast/adjustments", team_id=company.east.pk).json()
    assert [row["team_id"] for row in listed] == [company.east.pk]
    neither = ada.post(
        "/api/v1/forecast/adjustments", {"period": "2026-Q4", "category": "commit", "amount": "1"}
    )
    assert neither.status_code == 422
