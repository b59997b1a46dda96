from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "opportune.work"
    label = "work"
    verbose_name = "My work"
