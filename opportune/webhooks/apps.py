from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "opportune.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from opportune.audit.committed import after_commit

        from .publishing import publish_committed

        # The one seam between the sales services and webhooks: every committed history
        # write (opportune/audit/committed.py), as notifications read it.
        after_commit("webhooks", publish_committed)
