"""The predicted forecast and backtest, served from the stored model: fast reads of the stored
fit, a clear answer while none exists, the backtest for those who see every deal, and the
admin's "fit now" queued for the worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import ApiClient, Company
from opportune.forecasting.fitting import fit_all, fit_now, schedule_fits
from opportune.forecasting.models import ForecastModel
from opportune.forecasting.periods import current_period
from opportune.forecasting.predicted import predicted_forecast
from opportune.identity.models import User

from .conftest import deal, timeline

D = dt.date


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def history(company: Company) -> None:
    """Forty deals closed over the last year (3 in 4 won after 14 days), and a few open."""
    today = timezone.localdate()
    for number in range(40):
        start = today - dt.timedelta(days=360 - 8 * number)
        end = start + dt.timedelta(days=14)
        outcome = "closed_won" if number % 4 else "closed_lost"
        timeline(
            company,
            company.alice if number % 2 else company.charlie,
            [(start, "negotiation", "1000", end), (end, outcome, "1000", end)],
        )
    for owner in (company.alice, company.charlie):
        deal(company, owner, "negotiation", "100", close_date=today + dt.timedelta(days=5))


def test_without_a_fit_the_api_answers_409_saying_how_to_fit(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    response = api(company.alice).get("/api/v1/forecast/predicted")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert "opportune forecast fit" in response.json()["detail"]
    assert api(company.ada).get("/api/v1/forecast/backtest").status_code == 409


def test_without_a_fit_the_page_says_so_and_offers_admins_to_fit(company: Company) -> None:
    page = client_for(company.maria).get("/forecast/predicted/").content.decode()
    assert "No forecast model yet" in page
    assert "forecast/predicted/fit/" not in page
    assert (
        "forecast/predicted/fit/"
        in client_for(company.ada).get("/forecast/predicted/").content.decode()
    )


def test_the_api_reads_the_stored_fit_and_shows_its_age(
    company: Company, history: None, api: Callable[[User], ApiClient]
) -> None:
    [fit] = fit_all(now=timezone.now() - dt.timedelta(hours=2))
    assert (fit.opportunities, fit.closed_deals) == (40, 40)  # the open two came after
    body = api(company.alice).get("/api/v1/forecast/predicted").json()
    assert body["model_age_seconds"] >= 2 * 3600
    assert body["closed_deals_learned_from"] == 40
    assert len(body["periods"]) == 4
    first = body["periods"][0]
    # Alice sees her own open deal only; deals to come are her share of the new ones.
    assert first["open_deals"] == 1
    assert float(first["pipeline"]) == pytest.approx(75, abs=1)
    assert float(first["new_deals"]) > 0
    assert float(first["low"]) <= float(first["expected"]) <= float(first["high"])


def test_the_newest_fit_is_the_one_served(company: Company, history: None) -> None:
    fit_all(now=timezone.now() - dt.timedelta(days=2))
    newest = fit_all()[0]
    prediction = predicted_forecast(company.ada, [current_period()])
    assert [m.pk for m in prediction.models] == [newest.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-01", "to": "2028-01"}, "to"),  # 25 months
        ({"period": "2026-Q1", "to": "2028-Q1"}, "to"),  # 9 quarters
        ({"period": "2026", "to": "2028"}, "to"),  # 3 years
        ({"period": "2026-Q5"}, "period"),
        ({"pipeline": "nosuch"}, "pipeline"),
    ],
)
def test_the_prediction_refuses_more_than_24_months_and_unknown_names(
    company: Company, api: Callable[[User], ApiClient], params: dict[str, Any], field: str
) -> None:
    response = api(company.alice).get("/api/v1/forecast/predicted", **params)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_reading_the_prediction_takes_the_same_queries_whatever_the_deals(
    company: Company, history: None
) -> None:
    fit_all()
    periods = [current_period()]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            predicted_forecast(company.maria, periods)
        return len(queries)

    count()  # the viewer's teams, looked up once per user object
    few = count()
    for number in range(20):
        deal(company, company.alice, "proposal", "5", close_date=periods[0].end)
        deal(company, company.alice, "closed_won", str(number + 1), close_date=periods[0].end)
    assert count() == few


def test_the_backtest_is_for_those_who_see_every_deal(
    company: Company, history: None, api: Callable[[User], ApiClient]
) -> None:
    fit_all()
    body = api(company.ada).get("/api/v1/forecast/backtest", kind="month").json()
    assert body["methods"] == ["opportune", "static", "naive_bayes"]
    assert set(body["scores"]["total"]) == {"opportune", "static", "naive_bayes"}
    assert set(body["scores"]["total"]["opportune"]) == {
        "mae",
        "mape",
        "bias",
        "coverage",
        "pinball",
    }
    assert api(company.maria).get("/api/v1/forecast/backtest").status_code == 404
    assert client_for(company.maria).get("/forecast/backtest/").status_code == 404
    page = client_for(company.ada).get("/forecast/backtest/", {"kind": "month"})
    assert 'data-chart="chart-backtest"' in page.content.decode()
    csv = client_for(company.ada).get("/forecast/backtest/", {"csv": "scores"})
    assert csv.content.decode().splitlines()[0].startswith("method,mean abs error")


def test_the_page_shows_the_model_and_downloads_its_table(company: Company, history: None) -> None:
    fit_all()
    page = client_for(company.maria).get("/forecast/predicted/")
    html = page.content.decode()
    assert "Model fitted" in html and 'data-chart="chart-predicted"' in html
    assert len(page.context["table"][1]) == 4
    csv = client_for(company.maria).get("/forecast/predicted/", {"csv": "predicted"})
    assert csv.content.decode().splitlines()[0].startswith("period,already won")
    refused = client_for(company.alice).get(
        "/forecast/predicted/", {"period": "2026-01", "to": "2028-12"}
    )
    assert "Predict at most 24 months" in refused.content.decode()
    assert len(refused.context["table"][1]) == 4


def test_only_admins_queue_a_fit_and_the_worker_runs_it(company: Company, history: None) -> None:
    assert client_for(company.maria).post("/forecast/predicted/fit/").status_code == 403
    assert not ForecastModel.objects.exists()
    response = client_for(company.ada).post("/forecast/predicted/fit/")
    assert response.status_code == 302
    assert not ForecastModel.objects.exists()  # queued, not fitted in the request
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.get(status="READY")
    assert queued.task_path == "opportune.forecasting.fitting.fit_now"
    assert fit_now.call() == 1  # what the worker runs
    assert ForecastModel.objects.count() == 1


def test_the_worker_keeps_one_daily_fit_queued(company: Company, history: None) -> None:
    from django_tasks_db.models import DBTaskResult

    schedule_fits()
    schedule_fits()
    path = "opportune.forecasting.fitting.fit_forecast_models"
    assert DBTaskResult.objects.filter(task_path=path, status="READY").count() == 1
