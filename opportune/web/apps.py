from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "opportune.web"
    label = "web"
