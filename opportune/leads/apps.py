from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "opportune.leads"
    label = "leads"
