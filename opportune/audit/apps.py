from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "opportune.audit"
    label = "audit"
