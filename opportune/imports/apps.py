from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "opportune.imports"
    label = "imports"
    verbose_name = "Import and export"
