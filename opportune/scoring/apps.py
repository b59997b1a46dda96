from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "opportune.scoring"
    label = "scoring"
    verbose_name = "Predictive scoring"

    def ready(self) -> None:
        """Custom field changes made in this process reach the cached lead model's
        features (``leads.active_model``)."""
        from django.db.models.signals import post_delete, post_save

        from opportune.customfields.models import CustomField, PicklistValue

        from .leads import forget_schemas

        for model in (CustomField, PicklistValue):
            post_save.connect(forget_schemas, sender=model, dispatch_uid=f"scoring-{model}")
            post_delete.connect(forget_schemas, sender=model, dispatch_uid=f"scoring-d{model}")
