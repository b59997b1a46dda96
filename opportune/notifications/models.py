"""A person's notifications (in-app, e-mail or both), their choices per kind of event, and
the mark that a task's "falls due" notice went out (once per task)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    ASSIGNED = "assigned", "A lead or deal is assigned to me"
    TASK_DUE = "task_due", "A task of mine falls due"
    DEAL_MOVED = "deal_moved", "A deal of mine is moved or closed by someone else"
    MENTIONED = "mentioned", "Someone mentions me in a note"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "By e-mail"
    BOTH = "both", "In the app and by e-mail"
    NONE = "none", "Not at all"


# What a user who never chose gets: the events addressed to them personally also by e-mail,
# a deal's moves (frequent, and seen on the pipeline anyway) in the app only.
DEFAULT_CHANNELS: dict[str, str] = {
    Kind.ASSIGNED: Channel.BOTH,
    Kind.TASK_DUE: Channel.BOTH,
    Kind.DEAL_MOVED: Channel.IN_APP,
    Kind.MENTIONED: Channel.BOTH,
}


class EmailState(models.TextChoices):
    NOT_WANTED = "", "Not wanted"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    NO_ADDRESS = "no_address", "No address"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One event told to one person. ``record_type``/``record_id`` name the record it is
    about (empty for a summary of many, which links to the list instead); ``count`` > 1 for
    such a summary. A row exists for every channel the person wanted; ``in_app`` says
    whether the inbox shows it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    record_type = models.CharField(max_length=30)
    record_id = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300)
    count = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    in_app = models.BooleanField(default=True)
    email_state = models.CharField(
        max_length=12, choices=EmailState.choices, default=EmailState.NOT_WANTED, blank=True
    )

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_inbox"),
            # The bell's count: a person's unread in-app rows, from the index alone.
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=Q(read_at__isnull=True, in_app=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_summary(self) -> bool:
        return self.record_id is None


class Preference(models.Model):
    """A person's channel for one kind of event (absent: ``DEFAULT_CHANNELS``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} -> {self.channel}"


class DueNotice(models.Model):
    """A task whose "falls due" notice went out: the primary key makes it once per task,
    however often (or on however many workers) the scan runs."""

    activity = models.OneToOneField(
        "activities.Activity", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    noticed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"task {self.activity_id} due"
