"""The sales manager's home: team pipeline by stage and period, deals at risk with each
reason, reps' attainment, recent wins and losses; and the rep's real task counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.activities.models import Activity
from opportune.fiscal import parse_period
from opportune.forecasting.models import Quota
from opportune.forecasting.tests.conftest import deal, timeline
from opportune.opportunities.models import Opportunity, Stage
from opportune.web.testing import (
    logged_in,
    plain_static_files,  # noqa: F401
)
from opportune.work.team import attainment, deals_at_risk, team_pipeline

pytestmark = pytest.mark.django_db

D = dt.date
NOW = timezone.make_aware(dt.datetime(2026, 5, 20, 12))
TODAY = NOW.date()
Q2 = parse_period("2026-Q2", 1)


def stage_id(key: str) -> int:
    return Stage.objects.get(pipeline__is_default=True, key=key).pk


def reasons_of(
    company: Company, usual: dict[int, Decimal] | None = None, quiet_days: int = 14
) -> dict[str, list[str]]:
    risks = deals_at_risk(company.maria, NOW, usual or {}, quiet_days)
    return {r.deal.name: r.reasons for r in risks.rows}


def test_a_deal_past_its_close_date_is_at_risk(company: Company) -> None:
    timeline(company, company.alice, [(D(2026, 5, 10), "proposal", "100", D(2026, 5, 15))], "Late")
    timeline(company, company.alice, [(D(2026, 5, 10), "proposal", "100", D(2026, 6, 15))], "Fine")
    assert reasons_of(company) == {"Late": ["Close date passed (May 15)"]}


def test_a_deal_pushed_twice_is_at_risk_and_once_is_not(company: Company) -> None:
    timeline(
        company,
        company.alice,
        [
            (D(2026, 5, 10), "proposal", "100", D(2026, 5, 25)),
            (D(2026, 5, 12), "proposal", "100", D(2026, 6, 25)),
            (D(2026, 5, 14), "proposal", "100", D(2026, 7, 25)),
        ],
        "Twice",
    )
    timeline(
        company,
        company.alice,
        [
            (D(2026, 5, 10), "proposal", "100", D(2026, 5, 25)),
            (D(2026, 5, 12), "proposal", "100", D(2026, 6, 25)),
            (D(2026, 5, 14), "proposal", "100", D(2026, 6, 1)),  # pulled in: not a push
        ],
        "Once",
    )
    assert reasons_of(company) == {"Twice": ["Pushed 2 times"]}


def test_a_deal_without_activity_for_14_days_is_at_risk(company: Company) -> None:
    quiet = timeline(
        company, company.alice, [(D(2026, 4, 1), "proposal", "100", D(2026, 6, 30))], "Quiet"
    )
    busy = timeline(
        company, company.alice, [(D(2026, 4, 1), "proposal", "100", D(2026, 6, 30))], "Busy"
    )
    for opportunity, day in ((quiet, D(2026, 4, 20)), (busy, D(2026, 5, 15))):
        logged = Activity.objects.create(
            kind="call", subject="Call", owner=company.alice, opportunity=opportunity
        )
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
        Activity.objects.filter(pk=logged.pk).update(created_at=at)
    assert reasons_of(company) == {"Quiet": ["No activity for 30 days"]}


def test_a_deal_longer_in_its_stage_than_usual_is_at_risk(company: Company) -> None:
    timeline(company, company.alice, [(D(2026, 5, 1), "proposal", "100", D(2026, 6, 30))], "Stuck")
    timeline(company, company.alice, [(D(2026, 5, 15), "proposal", "100", D(2026, 6, 30))], "New")
    Opportunity.objects.update(stage_changed_at=None)  # in the stage since creation
    usual = {stage_id("proposal"): Decimal("10")}
    assert reasons_of(company, usual, quiet_days=60) == {
        "Stuck": ["19 days in Proposal / price quote (usually up to 10)"]
    }


def test_deals_at_risk_keep_to_what_the_manager_sees(company: Company) -> None:
    timeline(company, company.charlie, [(D(2026, 5, 1), "proposal", "100", D(2026, 5, 2))], "West")
    timeline(company, company.bob, [(D(2026, 5, 1), "proposal", "100", D(2026, 5, 2))], "East")
    assert list(reasons_of(company)) == ["East"]
    assert deals_at_risk(company.maria, NOW, {}).total == 1


def test_team_pipeline_puts_open_deals_by_stage_and_close_period(company: Company) -> None:
    deal(company, company.alice, "proposal", "100", D(2026, 5, 1))  # past due
    deal(company, company.bob, "proposal", "200", D(2026, 6, 30))  # this quarter
    deal(company, company.alice, "negotiation", "300", D(2026, 8, 1))  # next quarter
    deal(company, company.alice, "negotiation", "400", D(2027, 1, 5))  # later
    deal(company, company.alice, "closed_won", "999", D(2026, 6, 1))  # closed: not in it
    deal(company, company.charlie, "proposal", "999", D(2026, 6, 1))  # West: not seen
    found = team_pipeline(company.maria, TODAY, [Q2, Q2.shifted(1)])
    assert found.columns == ["Past due", "Q2 2026", "Q3 2026", "Later"]
    assert {line.label.split(": ")[1]: line.amounts for line in found.lines} == {
        "Proposal / price quote": [100, 200, 0, 0],
        "Negotiation / review": [0, 0, 300, 400],
    }
    assert found.totals == [100, 200, 300, 400]


def test_attainment_is_won_in_the_period_over_the_reps_quota(company: Company) -> None:
    deal(company, company.alice, "closed_won", "3000", D(2026, 5, 1))
    deal(company, company.alice, "closed_won", "1000", D(2026, 3, 1))  # last quarter
    deal(company, company.bob, "closed_lost", "5000", D(2026, 5, 1))
    for user, amount in ((company.alice, "4000"), (company.bob, "2000"), (company.maria, "6000")):
        Quota.objects.create(
            user=user, period=Q2.key, period_start=Q2.start, period_end=Q2.end, amount=amount
        )
    rows = {r.name: (r.won, r.quota, r.ratio) for r in attainment(company.maria, Q2)}
    assert rows == {
        "Alice": (Decimal("3000"), Decimal("4000"), Decimal("0.75")),
        "Bob": (Decimal("0"), Decimal("2000"), Decimal("0")),
    }


def test_the_manager_home_is_a_fixed_number_of_statements(
    company: Company, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = logged_in(client, company.maria)
    today = timezone.localdate()
    for count in (1, 8):
        for number in range(count):
            deal(company, company.alice, "proposal", "100", today - dt.timedelta(days=number + 1))
            deal(company, company.bob, "closed_won", "100", today)
        cache.clear()  # the usual days in stage, kept for the day (stays: marks, then rows)
        with django_assert_num_queries(23):  # the team blocks, by their own request
            page = client.get("/my-work/", {"fragment": "team"}, HTTP_HX_REQUEST="true")
        assert page.context["team"]["risks"].total == {1: 1, 8: 9}[count]
        with django_assert_num_queries(12):  # the page itself: her tasks and records
            client.get("/my-work/")
    text = page.content.decode()
    for title in ("Team pipeline", "Deals at risk (9)", "Attainment", "Recent wins and losses"):
        assert title in text


def test_the_manager_page_asks_for_her_team_blocks_by_their_own_request(
    company: Company, client: Client
) -> None:
    deal(company, company.alice, "proposal", "100", timezone.localdate())
    page = logged_in(client, company.maria).get("/my-work/")
    assert "team" not in page.context  # not computed for the page itself
    text = page.content.decode()
    assert 'hx-get="/my-work/?fragment=team" hx-trigger="load"' in text
    team = client.get("/my-work/", {"fragment": "team"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in team and 'id="team-home"' in team and "Team pipeline" in team
    opened = client.get("/my-work/", {"fragment": "team"}).content.decode()
    assert "<html" in opened  # the address opened in the browser is the whole page


def test_a_rep_sees_the_real_number_of_overdue_tasks_and_can_show_all(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice)
    late = timezone.localdate() - dt.timedelta(days=3)
    Activity.objects.bulk_create(
        Activity(
            kind="task", subject=f"Late {n:03d}", due_date=late, owner=company.alice, lead=lead
        )
        for n in range(122)
    )
    client = logged_in(client, company.alice)
    page = client.get("/my-work/")
    text = page.content.decode()
    assert page.context["task_counts"]["overdue"] == 122
    assert len(page.context["tasks"]["overdue"]) == 10
    assert "Show all 122 overdue" in text
    listing = client.get("/my-work/tasks/", {"due": "overdue"})
    assert len(listing.context["page"].rows) == 50
    second = client.get(
        "/my-work/tasks/", {"due": "overdue", "cursor": listing.context["page"].next_cursor}
    )
    assert second.context["page"].rows[0].subject == "Late 050"
    assert "team" not in page.context  # a rep has no team blocks
    assert "fragment=team" not in text
