from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "opportune.capture"
    label = "capture"
    verbose_name = "Lead capture"
