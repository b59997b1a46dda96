from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "opportune.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from opportune.audit.services import history_written

        from .publishing import collect_after_commit

        # The same seam webhooks read (audit.services.write_history): no second one.
        history_written.connect(collect_after_commit, dispatch_uid="notifications")
