from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "opportune.imports"
    label = "imports"
    verbose_name = "Import and export"

    def ready(self) -> None:
        from opportune.capture.merge import LEAD_REFERENCES

        from .models import ExternalId, Target

        # A merge moves the merged leads' external ids to the master (and undo moves back).
        LEAD_REFERENCES["imports.ExternalId"] = (
            lambda: ExternalId.objects.filter(target=Target.LEADS),
            "record_id",
        )
