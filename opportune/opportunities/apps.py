from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "opportune.opportunities"
    label = "opportunities"
