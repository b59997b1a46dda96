"""Quotas and managers' forecast adjustments, both per user and fiscal period.

A period is stored as its key (for people) and its first and last day (for queries), so a
quota keeps its meaning if the fiscal calendar's setting changes after it was entered.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.utils import timezone

from opportune.identity.models import User
from opportune.identity.visibility import VisibleQuerySet


class QuotaQuerySet(VisibleQuerySet["Quota"]):
    owner_field = "user"


class Quota(models.Model):
    """What a user is expected to close in a period; attainment = closed / quota."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quotas"
    )
    period = models.CharField(max_length=12)
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuotaQuerySet.as_manager()

    class Meta:
        ordering = ["period_start", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period_start", "period_end"], name="one_quota_per_user_period"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="quota_not_negative"),
        ]
        indexes = [models.Index(fields=["period_start", "period_end"], name="quota_period")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period}: {self.amount}"


class AdjustedCategory(models.TextChoices):
    COMMIT = "commit", "Commit"
    BEST_CASE = "best_case", "Best case"


class AdjustmentQuerySet(VisibleQuerySet["ForecastAdjustment"]):
    """The adjustments one sees: one's own and those made below one (``policy.
    adjustment_authors``), of the figures one sees. As in Salesforce, a rep does not see what
    the manager thinks of the rep's number, nor a manager what the VP thinks of hers."""

    def visible_to(self, user: User) -> Self:
        from opportune.identity import policy

        if not policy.sees_kind(user, "forecastadjustment"):
            return self.none()
        authors = policy.adjustment_authors(user)
        return self.all() if authors is None else self.filter(authors)


class ForecastAdjustment(models.Model):
    """A manager's judgement of a rolled-up commit or best case for a period.

    The subject is a user (their own figure; a user who manages a team stands for that
    team's roll-up, as in Salesforce's forecast hierarchy) or a team (its roll-up). The value
    REPLACES the subject's figure in every level above (docs/forecasting.md).

    Rows are never edited: the newest row for (subject, period, category) is in force, and a
    row with no amount withdraws the adjustment. ``previous_amount`` is the figure the
    adjuster saw before (the adjustment then in force, else the raw roll-up): the history
    reads old -> new.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="forecast_adjustments",
    )
    team = models.ForeignKey(
        "identity.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="forecast_adjustments",
    )
    period = models.CharField(max_length=12)
    period_start = models.DateField()
    period_end = models.DateField()
    category = models.CharField(max_length=20, choices=AdjustedCategory.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    previous_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AdjustmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["period_start", "period_end"], name="adjustment_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=True, team__isnull=False)
                | models.Q(user__isnull=False, team__isnull=True),
                name="adjustment_of_a_user_or_a_team",
            ),
        ]

    def __str__(self) -> str:
        subject = f"u{self.user_id}" if self.user_id else f"t{self.team_id}"
        return f"{subject} {self.period} {self.category}: {self.amount}"


class ForecastModel(models.Model):
    """A predicted-forecast model fitted on one pipeline's history (``fitting.fit_pipeline``).

    The worker refits it on a schedule and ``opportune forecast fit`` on demand; the predicted
    forecast reads the newest row per pipeline with the current open deals, so a request never
    learns from history. ``parameters`` holds the learned curves and rates
    (``fitted.FittedModel``), ``backtest`` the replay of past months and quarters whose errors
    give the intervals."""

    pipeline = models.ForeignKey(
        "opportunities.Pipeline", on_delete=models.CASCADE, related_name="forecast_models"
    )
    fitted_at = models.DateTimeField()
    history_from = models.DateTimeField(null=True)
    opportunities = models.PositiveIntegerField(help_text="deals learned from")
    closed_deals = models.PositiveIntegerField(help_text="won or lost deals learned from")
    history_rows = models.PositiveIntegerField()
    fit_seconds = models.FloatField()
    parameters = models.JSONField()
    backtest = models.JSONField(default=dict)

    class Meta:
        ordering = ["-fitted_at", "-pk"]
        indexes = [models.Index(fields=["pipeline", "-fitted_at"], name="forecast_model_newest")]

    def __str__(self) -> str:
        return f"{self.pipeline_id} fitted {self.fitted_at:%Y-%m-%d %H:%M}"


class SnapshotQuerySet(VisibleQuerySet["PipelineSnapshot"]):
    """Snapshot rows as a user sees them: the deals' rule (kind ``opportunity``), on the
    owner the rows are grouped by."""

    def visible_to(self, user: User) -> Self:
        from opportune.identity import policy
        from opportune.identity.visibility import owner_q

        if not policy.sees_kind(user, policy.OPPORTUNITY):
            return self.none()
        if policy.sees_all(user, policy.OPPORTUNITY):
            return self.all()
        condition = owner_q(user, "owner")
        return self.all() if condition is None else self.filter(condition)


class PipelineSnapshot(models.Model):
    """The open pipeline at the end of one day, aggregated (``snapshots``): as Salesforce's
    historical trending stores it, so a trend reads a few thousand rows, not the history.

    One row per day, owner (today's: visibility is a filter on it), pipeline, stage, forecast
    category and close month; the figures equal what ``asof`` rebuilds from the history for
    the same day, and ``SnapshotMark`` tells which stored days a later write made stale."""

    day = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,  # as the deals' owner: a purged user's deals go unowned
        related_name="+",
        db_constraint=False,
    )
    pipeline = models.ForeignKey(
        "opportunities.Pipeline", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    stage = models.ForeignKey(
        "opportunities.Stage", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    forecast_category = models.CharField(max_length=20)
    close_month = models.DateField(
        null=True,
        help_text="the first day of the close date's month; empty on the day's rows summed "
        "over every close month, which reads without a period use",
    )
    count = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    amount_x_probability = models.DecimalField(
        max_digits=22, decimal_places=2, help_text="sum of amount x probability (percent)"
    )

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        # a day's rows summed over close months (close_month IS NULL) or of some months
        indexes = [
            models.Index(fields=["day", "close_month", "owner"], name="pipeline_snapshot_read")
        ]

    def __str__(self) -> str:
        return f"{self.day} u{self.owner_id} s{self.stage_id} {self.close_month}: {self.amount}"


class SnapshotDay(models.Model):
    """A day whose snapshot rows are stored, with the marks of what they were built from: the
    newest history row and field change then. A later history row dated before the day's end
    (back-dated) or a later change of a deal's owner or bin state makes the day stale: it is
    read live until the worker builds it again."""

    day = models.DateField(unique=True)
    built_at = models.DateTimeField()
    history_upto = models.BigIntegerField()
    changes_upto = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.day} (built {self.built_at:%Y-%m-%d %H:%M})"


from .stay_models import DealReach as DealReach  # noqa: E402
from .stay_models import StageStay as StageStay  # noqa: E402  (stored stays: own module)
from .stay_models import StayMark as StayMark  # noqa: E402
