from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "opportune.scoring"
    label = "scoring"
    verbose_name = "Predictive scoring"
