from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "opportune.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from opportune.audit.committed import after_commit

        from .publishing import notify

        # The same committed history webhooks read (opportune/audit/committed.py).
        after_commit("notifications", notify)
