"""Lists do set-based work: the number of queries of a page does not grow with its rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient, Company
from opportune.accounts.models import Account, Contact
from opportune.activities.models import Activity
from opportune.identity.models import User
from opportune.leads.models import Lead, LeadStatus
from opportune.opportunities.models import Opportunity, Pipeline

from .endpoints import authenticated_endpoints

LIST_ENDPOINTS = [
    e.path
    for e in authenticated_endpoints()
    if e.method == "get"
    and not e.params
    # not lists; the predicted forecast's reads are counted in forecasting's own tests, the
    # global search's (a query per kind, a capped count per full kind) in search's own
    and e.path.split("/")[-1] not in {"me", "predicted", "backtest", "search"}
]


# Pipeline changes also asks which days have stored snapshots and reads their rows
# (opportune/forecasting/snapshots.py) beside the window's history. The summary reads closed
# and open deals apart for each part of what a manager sees (forecasting/analytics.py); the
# pipeline reads the deals as they stand today in those parts too (forecasting/asof.py),
# after asking for a stored day to start today from (forecasting/today.py: none here).
MOST_QUERIES = {
    "/api/v1/analytics/pipeline-changes": 9,
    "/api/v1/analytics/summary": 8,
    "/api/v1/analytics/pipeline-as-of": 8,
    "/api/v1/analytics/pipeline-trend": 8,
}


def populate(company: Company, rows: int) -> None:
    """``rows`` records of every kind, owned by Alice, written in bulk."""
    owner = company.alice
    status = LeadStatus.objects.get(key="new")
    Lead.objects.bulk_create(
        Lead(last_name=f"Lead {i}", company=f"Company {i}", status=status, owner=owner)
        for i in range(rows)
    )
    accounts = Account.objects.bulk_create(
        Account(name=f"Account {i}", normalized_name=f"account {i}", owner=owner)
        for i in range(rows)
    )
    Contact.objects.bulk_create(
        Contact(last_name=f"Contact {i}", account=accounts[i], owner=owner) for i in range(rows)
    )
    pipeline = Pipeline.default()
    stage = pipeline.first_open_stage()
    opportunities = Opportunity.objects.bulk_create(
        Opportunity(
            name=f"Deal {i}",
            account=accounts[i],
            owner=owner,
            pipeline=pipeline,
            stage=stage,
            amount=Decimal(1000 + i),
            probability=stage.default_probability,
            forecast_category=stage.forecast_category,
            close_date=date(2026, 12, 31),
        )
        for i in range(rows)
    )
    Activity.objects.bulk_create(
        Activity(kind="task", subject=f"Call {i}", owner=owner, opportunity=opportunities[i])
        for i in range(rows)
    )


def count_queries(client: ApiClient, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, limit=200)
    assert response.status_code == 200, response.content
    return len(queries)


ADMIN_ONLY = "/api/v1/webhooks"  # a 403 for other roles (tests/api/test_visibility_everywhere.py)


@pytest.mark.parametrize(
    ("user", "path"),
    [
        (user, path)
        for user in ("alice", "maria", "ada")
        for path in LIST_ENDPOINTS
        if user == "ada" or not path.startswith(ADMIN_ONLY)
    ],
)
def test_a_list_costs_the_same_queries_for_5_and_50_rows(
    company: Company, api: Callable[[User], ApiClient], path: str, user: str
) -> None:
    client = api(getattr(company, user))
    client.get("/api/v1/me")  # the token's first use records last_used_at: not a list's cost
    populate(company, 5)
    few = count_queries(client, path)
    populate(company, 45)
    many = count_queries(client, path)
    assert many == few, f"{path}: {few} queries for 5 rows, {many} for 50"
    assert many <= MOST_QUERIES.get(path, 6), f"{path}: {many} queries"
