"""Each analytics report is a fixed number of statements, whatever the number of deals, leads
or history rows; and the pipeline page names its changes in words."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.forecasting.analytics import funnel, sales_summary, time_in_stage, win_rates
from opportune.forecasting.asof import pipeline_as_of, pipeline_changes
from opportune.identity.models import User

from .analytics_pins import DAYS, PERIODS, seeded_world
from .conftest import report_card

pytestmark = pytest.mark.django_db

# The manager's visibility costs one statement (her teams), cached on the user afterwards. The
# pipeline reports ask which days have stored snapshots first (none here: the days are rebuilt
# from the history; test_snapshots counts the stored reads). Time in stage and stage reached
# read the stored stays' marks first (test_stays). The summary reads the closed deals and the
# open ones apart, for each part of what the viewer sees (her owners', the unowned: 2 x 2);
# the funnel reads each part apart too (+1), win rates by owner both parts in one statement (a
# UNION ALL, grouped again).
REPORTS: dict[str, tuple[Callable[[User], object], int]] = {
    "funnel by period": (lambda u: funnel(u, PERIODS, "period"), 2),
    "funnel by owner": (lambda u: funnel(u, PERIODS, "owner"), 3),
    "win rates by owner": (lambda u: win_rates(u, PERIODS, "owner"), 2),
    "win rates by stage": (lambda u: win_rates(u, None, "stage"), 3),
    "summary": (lambda u: sales_summary(u, PERIODS), 4),
    "time in stage": (time_in_stage, 3),
    "trend of five months": (lambda u: pipeline_as_of(u, DAYS), 2),
    "pipeline as of": (lambda u: pipeline_as_of(u, DAYS[-1:], PERIODS[0]), 2),
    # the stored days, the start and end rebuilt, then flows and deals classified in one
    "changes": (lambda u: pipeline_changes(u, DAYS[0], DAYS[-1]), 3),
}


@pytest.mark.parametrize("report", REPORTS)
def test_each_report_is_a_fixed_number_of_statements(
    company: Company, django_assert_num_queries: DjangoAssertNumQueries, report: str
) -> None:
    run, statements = REPORTS[report]
    seeded_world(company)
    run(company.maria)  # her teams, now cached
    with django_assert_num_queries(statements):
        run(company.maria)
    seeded_world(company, seed=12)  # twice the deals, leads and history
    with django_assert_num_queries(statements):
        run(company.maria)


# Each page, and each report it loads by its own request (``?fragment=``). The page alone runs
# no report: its 2 are the session and the user, as in every request. A report's request adds
# the viewer's visibility (her teams) and its report's own statements (REPORTS above); the
# pipeline page's trend and changes read today too, with one more for today's stored base
# (forecasting/today.py: none here, so the deals as they stand).
PAGES = [
    ("/analytics/", "", 2),
    ("/analytics/", "funnel", 6),
    ("/analytics/", "win_rates", 6),
    ("/analytics/", "summary", 8),
    ("/analytics/", "time_in_stage", 7),
    ("/analytics/pipeline/", "", 2),
    ("/analytics/pipeline/", "trend", 9),
    ("/analytics/pipeline/", "changes", 10),
]


@pytest.mark.parametrize(("path", "report", "statements"), PAGES)
def test_each_analytics_page_and_report_is_a_fixed_number_of_statements(
    company: Company,
    django_assert_num_queries: DjangoAssertNumQueries,
    path: str,
    report: str,
    statements: int,
) -> None:
    seeded_world(company)
    client = Client()
    client.force_login(company.maria)
    query = {"fragment": report} if report else {}
    with django_assert_num_queries(statements):
        assert client.get(path, query, HTTP_HX_REQUEST="true").status_code == 200
    seeded_world(company, seed=12)
    with django_assert_num_queries(statements):
        assert client.get(path, query, HTTP_HX_REQUEST="true").status_code == 200


def test_the_pipeline_page_names_each_change_in_words(company: Company) -> None:
    seeded_world(company)
    client = Client()
    client.force_login(company.ada)
    query = {"from": "2026-01-31", "to_day": "2026-03-31"}
    text = report_card(client, "/analytics/pipeline/", "changes", query)
    assert "Amount changed" in text
    assert "amountchanged" not in text
    assert "amount_changed" not in text
