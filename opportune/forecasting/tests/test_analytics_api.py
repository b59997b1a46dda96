"""/api/v1/analytics: answers for every user, respects visibility, names bad parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from conftest import ApiClient, Company
from opportune.identity.models import User

from .conftest import deal, timeline

D = dt.date
ENDPOINTS = [
    "funnel",
    "win-rates",
    "summary",
    "time-in-stage",
    "pipeline-as-of",
    "pipeline-trend",
    "pipeline-changes",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_report_answers_without_parameters(
    company: Company, api: Callable[[User], ApiClient], endpoint: str
) -> None:
    deal(company, company.alice, "negotiation", "10")
    response = api(company.bob).get(f"/api/v1/analytics/{endpoint}")
    assert response.status_code == 200, response.content


def test_win_rates_by_name(company: Company, api: Callable[[User], ApiClient]) -> None:
    deal(company, company.alice, "closed_won", "10", name="GTX Pro")
    deal(company, company.alice, "closed_lost", "10", name="GTX Pro")
    deal(company, company.alice, "closed_won", "10", name="MG Special")
    body = api(company.alice).get("/api/v1/analytics/win-rates", by="name").json()
    rates = {r["key"]: r["win_rate"] for r in body["rows"]}
    assert rates == {"GTX Pro": "0.5000", "MG Special": "1.0000"}
    assert api(company.bob).get("/api/v1/analytics/win-rates", by="name").json()["rows"] == []


def test_win_rates_give_the_groups_with_most_closed_deals_up_to_the_limit_and_count_them_all(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    for name, stages in [
        ("Three", ["closed_won", "closed_lost", "closed_lost"]),
        ("One", ["closed_won"]),
        ("Two", ["closed_won", "closed_won"]),
    ]:
        for stage in stages:
            deal(company, company.alice, stage, "10", name=name)
    client = api(company.alice)
    body = client.get("/api/v1/analytics/win-rates", by="name", limit=2).json()
    assert [(r["key"], r["won"], r["lost"]) for r in body["rows"]] == [
        ("Three", 1, 2),
        ("Two", 2, 0),
    ]
    assert body["groups"] == 3
    everything = client.get("/api/v1/analytics/win-rates", by="name").json()
    assert [r["key"] for r in everything["rows"]] == ["Three", "Two", "One"]
    assert everything["groups"] == 3
    refused = client.get("/api/v1/analytics/win-rates", by="name", limit=0)
    assert refused.status_code == 422 and "limit" in refused.text


def test_pipeline_as_of_and_changes(company: Company, api: Callable[[User], ApiClient]) -> None:
    timeline(
        company,
        company.alice,
        [
            (D(2026, 1, 10), "prospecting", "100", D(2026, 3, 31)),
            (D(2026, 2, 15), "closed_won", "90", D(2026, 3, 31)),
        ],
    )
    client = api(company.maria)
    snapshot = client.get("/api/v1/analytics/pipeline-as-of", date="2026-01-31").json()
    assert snapshot["total"]["amount"] == "100.00"
    assert snapshot["by_stage"][0]["label"] == "Sales: Prospecting"
    changes = client.get(
        "/api/v1/analytics/pipeline-changes", **{"from": "2026-01-31", "to": "2026-02-28"}
    ).json()
    assert changes["from"] == "2026-01-31"
    assert changes["won"]["amount"] == "90.00"
    assert changes["amount_changed"]["amount"] == "-10.00"
    assert changes["end"]["count"] == 0
    assert changes["changes"][0]["kinds"] == ["amount_changed", "won"]
    trend = client.get("/api/v1/analytics/pipeline-trend", period="2026-01", to="2026-03").json()
    assert [(p["period"], p["date"], p["open"]["count"]) for p in trend] == [
        ("2026-01", "2026-01-31", 1),
        ("2026-02", "2026-02-28", 0),
        ("2026-03", "2026-03-31", 0),
    ]


@pytest.mark.parametrize(
    ("endpoint", "params", "field"),
    [
        ("funnel", {"by": "colour"}, "by"),
        ("funnel", {"period": "2026-Q9"}, "period"),
        ("win-rates", {"period": "2026-Q1", "to": "2025-Q1"}, "to"),
        ("pipeline-as-of", {"date": "31/01/2026"}, "date"),
        ("pipeline-changes", {"from": "2026-03-01", "to": "2026-01-01"}, "from"),
        ("pipeline-trend", {"period": "2020-01", "to": "2026-01"}, "to"),
    ],
)
def test_bad_parameters_are_422_problems(
    company: Company,
    api: Callable[[User], ApiClient],
    endpoint: str,
    params: dict[str, str],
    field: str,
) -> None:
    response = api(company.ada).get(f"/api/v1/analytics/{endpoint}", **params)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"], response.json()
