from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    name = "opportune.forecasting"
    label = "forecasting"
    verbose_name = "Forecasts and analytics"
