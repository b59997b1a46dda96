from django.urls import path

from . import analytics_views, prediction_views, views

app_name = "forecasting"

urlpatterns = [
    path("forecast/", views.forecast_page, name="forecast"),
    path("forecast/predicted/", prediction_views.predicted_page, name="predicted"),
    path("forecast/predicted/fit/", prediction_views.fit_post, name="fit"),
    path("forecast/backtest/", prediction_views.backtest_page, name="backtest"),
    path("forecast/quotas/", views.quota_post, name="quota"),
    path("forecast/adjustments/", views.adjustment_post, name="adjustment"),
    path("analytics/", analytics_views.analytics_page, name="analytics"),
    path("analytics/pipeline/", analytics_views.pipeline_page, name="pipeline"),
]
