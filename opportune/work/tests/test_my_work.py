"""My work: a salesperson's open tasks by due date, recent records and pipeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.activities.models import Activity
from opportune.web.testing import (
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_my_work_groups_open_tasks_by_due_date(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    today = timezone.localdate()
    for subject, due, done in [
        ("Late", today - dt.timedelta(days=2), False),
        ("Now", today, False),
        ("Soon", today + dt.timedelta(days=2), False),
        ("Someday", None, False),
        ("Finished", today, True),
    ]:
        Activity.objects.create(
            kind="task", subject=subject, due_date=due, is_done=done, owner=company.alice, lead=lead
        )
    Activity.objects.create(
        kind="task", subject="Bobs", due_date=today, owner=company.bob, lead=lead
    )
    response = logged_in(client, company.alice).get("/my-work/")
    tasks = response.context["tasks"]
    assert [t.subject for t in tasks["overdue"]] == ["Late"]
    assert [t.subject for t in tasks["today"]] == ["Now"]
    assert [t.subject for t in tasks["upcoming"]] == ["Soon", "Someday"]
    assert "Lena Lead" in response.content.decode()


def test_my_work_shows_my_recently_changed_records(company: Company, client: Client) -> None:
    company.lead(company.alice, last_name="Mine")
    company.lead(company.bob, last_name="Theirs")
    company.opportunity(company.alice, name="My deal")
    response = logged_in(client, company.alice).get("/my-work/")
    assert [lead.last_name for lead in response.context["recent_leads"]] == ["Mine"]
    assert [o.name for o in response.context["recent_opportunities"]] == ["My deal"]
    assert response.context["pipeline"]["total"] == 10000


def test_marketing_my_work_has_no_deals(company: Company, client: Client) -> None:
    response = logged_in(client, company.mark).get("/my-work/")
    assert "recent_opportunities" not in response.context


@pytest.mark.parametrize("rows", [3, 30])
def test_my_work_costs_the_same_queries_however_many_tasks(
    company: Company,
    client: Client,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    lead = company.lead(company.alice)
    for number in range(rows):
        Activity.objects.create(
            kind="task",
            subject=f"T{number}",
            due_date=timezone.localdate(),
            owner=company.alice,
            lead=lead,
        )
    client = logged_in(client, company.alice)
    client.get("/my-work/")
    with django_assert_max_num_queries(10):
        response = client.get("/my-work/")
    assert response.context["task_counts"]["today"] == rows
    assert len(response.context["tasks"]["today"]) == min(rows, 10)
