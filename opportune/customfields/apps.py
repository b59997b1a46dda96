from django.apps import AppConfig


class CustomFieldsConfig(AppConfig):
    name = "opportune.customfields"
    label = "customfields"
    verbose_name = "Custom fields"
