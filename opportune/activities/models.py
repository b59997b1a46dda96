"""Tasks, calls, meetings, logged emails and notes, linked to the records they concern."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from opportune.audit.models import BinManager, Deletable, LiveManager
from opportune.identity.visibility import VisibleQuerySet

if TYPE_CHECKING:
    from opportune.identity.models import User


class ActivityKind(models.TextChoices):
    TASK = "task", "Task"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "Email"
    NOTE = "note", "Note"


class ActivityQuerySet(VisibleQuerySet["Activity"]):
    def visible_to(self, user: User) -> Self:
        """Own activities, and every activity on a record the user can see. (Not the owner
        rule: an activity is seen through what it concerns, so an unowned note on another
        team's deal stays out of a manager's view.) An activity about a kind of record the
        user never sees (marketing and deals) stays out of view, even one's own."""
        if not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        from opportune.accounts.models import Account, Contact
        from opportune.identity import policy
        from opportune.leads.models import Lead
        from opportune.opportunities.models import Opportunity

        condition = Q(owner=user)
        condition |= Q(lead__in=Lead.objects.visible_to(user).values("pk"))
        condition |= Q(account__in=Account.objects.visible_to(user).values("pk"))
        condition |= Q(contact__in=Contact.objects.visible_to(user).values("pk"))
        if not policy.sees_kind(user, policy.OPPORTUNITY):
            return self.filter(condition, opportunity__isnull=True)
        condition |= Q(opportunity__in=Opportunity.objects.visible_to(user).values("pk"))
        return self.filter(condition)


class Activity(Deletable):
    kind = models.CharField(max_length=10, choices=ActivityKind.choices)
    subject = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True)
    start_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    is_done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LiveManager.from_queryset(ActivityQuerySet)()
    with_deleted = BinManager.from_queryset(ActivityQuerySet)()

    class Meta:
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["owner", "is_done", "due_date"], name="activity_owner_todo"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lead__isnull=False)
                | Q(account__isnull=False)
                | Q(contact__isnull=False)
                | Q(opportunity__isnull=False),
                name="activity_linked_to_a_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"
