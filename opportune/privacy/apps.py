from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "opportune.privacy"
    label = "privacy"
    verbose_name = "Personal data"
