"""The forecast and analytics pages: render for whom may see them, download every table as
CSV, record quotas and adjustments through the same services as the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Company
from opportune.forecasting.models import ForecastAdjustment, Quota
from opportune.identity.models import User

from .conftest import deal, report_card

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

PAGES = ["/forecast/", "/analytics/", "/analytics/pipeline/"]  # predicted: test_predicted_pages
# Each analytics page's reports, each loaded by its own request; the charted ones first.
REPORTS = {
    "/analytics/": ["funnel", "win_rates", "summary", "time_in_stage"],
    "/analytics/pipeline/": ["trend", "changes"],
}
CHARTED = {"funnel", "win_rates", "trend", "changes"}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(response: Response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_forecast_page_renders_with_its_charts(company: Company) -> None:
    deal(company, company.alice, "negotiation", "10")
    response = client_for(company.maria).get("/forecast/")
    assert response.status_code == 200, response.content[:500]
    html = response.content.decode()
    assert "forecasting/chart.umd.min.js" in html
    assert 'data-chart="' in html


@pytest.mark.parametrize("path", list(REPORTS))
def test_an_analytics_page_asks_for_each_report_with_its_own_request(
    company: Company, path: str
) -> None:
    deal(company, company.alice, "closed_won", "10")
    query = (
        {"period": "2026-Q1", "to": "2026-Q4"} if path == "/analytics/" else {"from": "2026-01-31"}
    )
    page = client_for(company.maria).get(path, query).content.decode()
    assert "forecasting/chart.umd.min.js" in page
    assert "data-chart=" not in page  # no report ran: each comes by its own request
    for report in REPORTS[path]:
        asked = "&amp;".join(f"{k}={v}" for k, v in query.items())
        assert f'hx-get="{path}?{asked}&amp;fragment={report}" hx-trigger="load"' in page


@pytest.mark.parametrize(
    ("path", "report"), [(path, report) for path, names in REPORTS.items() for report in names]
)
def test_each_report_answers_with_its_card_its_chart_and_its_table(
    company: Company, path: str, report: str
) -> None:
    deal(company, company.alice, "closed_won", "10")
    card = report_card(client_for(company.maria), path, report)
    assert card.lstrip().startswith("<") and "<html" not in card
    assert f'id="report-{report}"' in card
    assert ("data-chart=" in card) == (report in CHARTED)
    assert "<table" in card and "csv=" in card


def test_a_reports_address_opened_in_the_browser_is_the_whole_page(company: Company) -> None:
    page = client_for(company.maria).get("/analytics/", {"fragment": "funnel"}).content.decode()
    assert "<html" in page and 'hx-get="/analytics/?fragment=summary"' in page


def test_pages_need_a_login(client: Client) -> None:
    for path in PAGES:
        assert client.get(path).status_code == 302


@pytest.mark.parametrize("path", ["/forecast/", "/forecast/predicted/", "/analytics/pipeline/"])
def test_opportunity_reports_do_not_exist_for_marketing(company: Company, path: str) -> None:
    assert client_for(company.mark).get(path).status_code == 404


def test_marketing_sees_the_lead_funnel_only(company: Company) -> None:
    company.lead(company.alice)
    client = client_for(company.mark)
    response = client.get("/analytics/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Win rates by" not in page
    assert "fragment=funnel" in page and "fragment=win_rates" not in page
    asked = report_card(client, "/analytics/", "win_rates")
    assert "<html" in asked and 'id="report-win_rates"' not in asked  # the page, no report
    table = rows(client_for(company.mark).get("/analytics/", {"csv": "funnel"}))
    assert table[0][2] == "created"
    assert sum(int(row[2]) for row in table[1:]) == 1


def test_the_forecast_table_downloads_with_the_roll_up(company: Company) -> None:
    deal(company, company.alice, "closed_won", "100", close_date=company_quarter_day())
    deal(company, company.charlie, "negotiation", "50", close_date=company_quarter_day())
    table = rows(client_for(company.maria).get("/forecast/", {"csv": "forecast"}))
    assert table[0][:4] == ["level", "name", "closed", "commit"]
    names = [row[1].strip() for row in table[1:]]
    assert names == ["Sales", "East", "Alice", "Total"]  # Maria does not see West
    assert table[-1][2] == "100.00"


def company_quarter_day() -> dt.date:
    from opportune.forecasting.periods import current_period

    return current_period().end


@pytest.mark.parametrize(
    ("path", "table"),
    [
        ("/analytics/", "funnel"),
        ("/analytics/", "win_rates"),
        ("/analytics/", "summary"),
        ("/analytics/", "time_in_stage"),
        ("/analytics/pipeline/", "trend"),
        ("/analytics/pipeline/", "waterfall"),
        ("/analytics/pipeline/", "changes"),
    ],
)
def test_every_table_downloads_as_csv(company: Company, path: str, table: str) -> None:
    deal(company, company.alice, "closed_won", "10")
    found = rows(client_for(company.ada).get(path, {"csv": table}))
    assert found[0]


def test_a_bad_period_shows_an_error_and_the_default(company: Company) -> None:
    response = client_for(company.ada).get("/forecast/", {"period": "2026-Q7"})
    assert response.status_code == 200
    assert "is not a period" in response.content.decode()


def test_a_manager_sets_a_quota_and_adjusts_from_the_page(company: Company) -> None:
    client = client_for(company.maria)
    page = client.get("/forecast/").content.decode()
    assert "Set a quota" in page
    response = client.post(
        "/forecast/quotas/",
        {
            "user_id": company.alice.pk,
            "period": "2026-Q4",
            "amount": "1000",
            "next_query": "period=2026-Q4",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/forecast/?period=2026-Q4"
    assert Quota.objects.get(user=company.alice).amount == Decimal("1000")
    client.post(
        "/forecast/adjustments/",
        {
            "user_id": company.alice.pk,
            "period": "2026-Q4",
            "category": "commit",
            "amount": "5",
            "note": "cautious",
        },
    )
    assert ForecastAdjustment.objects.get().note == "cautious"


def test_a_refused_change_is_shown_and_nothing_saved(company: Company) -> None:
    client = client_for(company.maria)
    response = client.post(
        "/forecast/quotas/",
        {"user_id": company.charlie.pk, "period": "2026-Q4", "amount": "1000"},
        follow=True,
    )
    assert "not in a team you manage" in response.content.decode()
    bad = client.post(
        "/forecast/quotas/",
        {"user_id": company.alice.pk, "period": "2026-Q4", "amount": "-1"},
        follow=True,
    )
    assert "amount" in bad.content.decode()
    assert not Quota.objects.exists()
    assert "Set a quota" not in client_for(company.alice).get("/forecast/").content.decode()


def test_the_forecast_page_costs_the_same_queries_for_more_owners(company: Company) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    day = company_quarter_day()
    deal(company, company.alice, "negotiation", "1", close_date=day)
    client = client_for(company.maria)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/forecast/").status_code == 200
        return len(captured)

    few = count()
    for owner in (company.alice, company.bob, company.maria):
        for stage in ("prospecting", "proposal", "closed_won"):
            deal(company, owner, stage, "5", close_date=day)
    assert count() == few


def test_a_cell_is_adjusted_where_it_stands_and_the_roll_up_comes_back(company: Company) -> None:
    deal(company, company.alice, "negotiation", "2000")
    client = client_for(company.maria)
    htmx = {"HX-Request": "true"}
    cell = f"team-{company.east.pk}:commit"
    editor = client.get("/forecast/", {"period": "2026-Q4", "edit": cell}, headers=htmx)
    text = editor.content.decode()
    assert text.lstrip().startswith('<div id="forecast-figures">')  # the figures only
    assert 'name="team_id"' in text and "autofocus" in text
    saved = client.post(
        "/forecast/adjustments/",
        {"team_id": company.east.pk, "period": "2026-Q4", "category": "commit",
         "amount": "1500", "note": "slips", "cell": cell, "next_query": "period=2026-Q4"},
        headers=htmx,
    )  # fmt: skip
    page = saved.content.decode()
    assert saved.status_code == 200
    assert "1,500" in page and "raw 2,000" in page and "slips" in page
    # The focus returns to the edited cell.
    assert f"edit={cell}" in page.split("autofocus")[0].rsplit("<a", 1)[1]
    refused = client.post(
        "/forecast/adjustments/",
        {"team_id": company.west.pk, "period": "2026-Q4", "category": "commit", "amount": "1",
         "cell": f"team-{company.west.pk}:commit", "next_query": "period=2026-Q4"},
        headers=htmx,
    )  # fmt: skip
    assert "not in a team you manage" in refused.content.decode()
    assert ForecastAdjustment.objects.count() == 1


def test_only_the_rows_one_may_adjust_are_editable(company: Company) -> None:
    deal(company, company.alice, "negotiation", "2000")
    deal(company, company.charlie, "negotiation", "2000")
    page = client_for(company.maria).get("/forecast/", {"period": "2026-Q4"}).content.decode()
    assert f"edit=team-{company.east.pk}:commit" in page
    assert f"edit=user-{company.alice.pk}:best_case" in page
    assert f"edit=team-{company.sales.pk}:commit" not in page
    rep = client_for(company.alice).get("/forecast/", {"period": "2026-Q4"}).content.decode()
    assert "edit=" not in rep
    ranged = client_for(company.ada).get("/forecast/", {"period": "2026-Q3", "to": "2026-Q4"})
    assert "edit=" not in ranged.content.decode()


def test_each_chart_downloads_its_table(company: Company) -> None:
    deal(company, company.alice, "closed_won", "100")
    deal(company, company.alice, "negotiation", "50")
    client = client_for(company.ada)
    parts = rows(client.get("/forecast/", {"period": "2026-Q4", "csv": "categories"}))
    assert parts[0][:6] == ["period", "Closed", "Commit (open)", "Best case only",
                            "Pipeline only", "total"]  # fmt: skip
    assert parts[1][1:6] == ["100.00", "50.00", "0.00", "0.00", "150.00"]
    assert rows(client.get("/forecast/", {"csv": "quota"}))[0][2] == "team quota"
    assert rows(client.get("/forecast/", {"csv": "history"}))[0][:3] == ["when", "who", "adjusted"]


def test_the_win_rates_show_the_groups_with_most_closed_deals_and_the_csv_all(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opportune.forecasting import analytics_views

    monkeypatch.setattr(analytics_views, "RATES_SHOWN", 2)
    today = timezone.localdate()  # the page's default periods end with today's
    for name, count in [("Often", 3), ("Twice", 2), ("Once", 1)]:
        for _ in range(count):
            deal(company, company.alice, "closed_won", "10", today, name=name)
    client = client_for(company.alice)
    page = report_card(client, "/analytics/", "win_rates", {"rates_by": "name"})
    assert "Often" in page and "Twice" in page and "Once" not in page
    assert "The 2 groups with the most closed deals, of 3" in page
    table = rows(client.get("/analytics/", {"rates_by": "name", "csv": "win_rates"}))
    assert [row[0] for row in table[1:]] == ["Often", "Twice", "Once"]
