from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "opportune.audit"
    label = "audit"

    def ready(self) -> None:
        from .committed import gather
        from .services import history_written

        # The one receiver of the history seam: it gathers a transaction's rows and hands
        # them, once committed, to the consumers registered with committed.after_commit.
        history_written.connect(gather, dispatch_uid="audit.committed")
