"""Assignment rules: the first matching rule assigns a new lead from any channel unless an
owner is given; round robin takes fair turns, also under concurrency (PRODUCT.md section 6)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from conftest import ApiClient, Company
from opportune.capture.models import AssignmentRule
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadCreate
from opportune.leads.services import create_lead


def _new(company: Company, **fields: object) -> Lead:
    values = {"last_name": "Lo", "company": "Globex", **fields}
    return create_lead(company.mark, LeadCreate.model_validate(values))


def test_the_first_matching_rule_in_order_assigns(company: Company) -> None:
    AssignmentRule.objects.create(
        name="India events", order=2, sources="event", assign_to=company.bob
    )
    AssignmentRule.objects.create(
        name="India", order=1, countries="IN, India", assign_to=company.alice
    )
    assert _new(company, source="event", country="india").owner == company.alice
    assert _new(company, source="event", country="France").owner == company.bob
    assert _new(company, source="web", country="France").owner == company.mark


def test_ranges_of_employees_and_revenue_bound_a_rule(company: Company) -> None:
    AssignmentRule.objects.create(
        name="Mid-market",
        employees_min=100,
        employees_max=999,
        annual_revenue_min=Decimal("1000000"),
        assign_to=company.charlie,
    )
    assert _new(company, employees=500, annual_revenue="2000000").owner == company.charlie
    assert _new(company, employees=5000, annual_revenue="2000000").owner == company.mark
    assert _new(company, employees=500).owner == company.mark


def test_a_given_owner_wins_over_the_rules(company: Company) -> None:
    AssignmentRule.objects.create(name="All", assign_to=company.bob)
    assert _new(company, owner_id=company.alice.pk).owner == company.alice
    assert _new(company).owner == company.bob


def test_round_robin_takes_turns_among_the_teams_active_reps(company: Company) -> None:
    AssignmentRule.objects.create(name="East", round_robin_team=company.east)
    owners = [_new(company).owner for _ in range(4)]
    assert owners == [company.alice, company.bob, company.alice, company.bob]
    company.bob.is_active = False
    company.bob.save()
    assert {_new(company).owner for _ in range(2)} == {company.alice}


def test_inactive_rules_and_unusable_targets_are_skipped(company: Company) -> None:
    AssignmentRule.objects.create(name="Off", order=1, is_active=False, assign_to=company.bob)
    AssignmentRule.objects.create(name="Nobody", order=2, round_robin_team=company.sales)
    AssignmentRule.objects.create(name="Charlie", order=3, assign_to=company.charlie)
    assert _new(company).owner == company.charlie


def test_the_api_tells_which_rule_would_assign_a_lead(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    rule = AssignmentRule.objects.create(name="East", round_robin_team=company.east, sources="web")
    client = api(company.maria)
    response = client.post("/api/v1/assignment-rules/test", {"source": "web"})
    assert response.json() == {
        "rule_id": rule.pk,
        "rule_name": "East",
        "owner_id": company.alice.pk,
        "owner": "Alice",
    }
    # Testing takes no turn.
    assert client.post("/api/v1/assignment-rules/test", {"source": "web"}).json()["owner_id"] == (
        company.alice.pk
    )
    assert (
        client.post("/api/v1/assignment-rules/test", {"source": "event"}).json()["rule_id"] is None
    )
    assert api(company.alice).post("/api/v1/assignment-rules/test", {}).status_code == 403


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_leads_never_get_the_same_turn(company: Company) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers, there is no race to test")
    AssignmentRule.objects.create(name="East", round_robin_team=company.east)
    owners: list[int | None] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def make_leads() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                owners.append(_new(company).owner_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=make_leads) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Counter(owners) == {company.alice.pk: 15, company.bob.pk: 15}
    assert AssignmentRule.objects.get().turn == 30
