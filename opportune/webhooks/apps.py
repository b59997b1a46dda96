from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "opportune.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from opportune.audit.services import history_written

        from .publishing import publish_after_commit

        # The one seam between the sales services and webhooks: every history write.
        history_written.connect(publish_after_commit, dispatch_uid="webhooks")
