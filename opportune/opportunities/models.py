"""Pipelines and their stages, opportunities, their immutable history, lost reasons."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F

from opportune.audit.models import BinManager, Deletable, LiveManager
from opportune.errors import ConfigurationMissing
from opportune.identity.visibility import VisibleQuerySet
from opportune.schemas import validate_key


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    BEST_CASE = "best_case", "Best case"
    COMMIT = "commit", "Commit"
    CLOSED = "closed", "Closed"
    OMITTED = "omitted", "Omitted"


class OpportunityType(models.TextChoices):
    NEW_BUSINESS = "new_business", "New business"
    EXISTING_UPGRADE = "existing_upgrade", "Existing business: upgrade"
    EXISTING_REPLACEMENT = "existing_replacement", "Existing business: replacement"
    EXISTING_DOWNGRADE = "existing_downgrade", "Existing business: downgrade"


class Pipeline(models.Model):
    key = models.SlugField(max_length=40, unique=True, validators=[validate_key])
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_pipeline",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def default(cls) -> Pipeline:
        return ConfigurationMissing.unless(
            cls.objects.filter(is_default=True).first(),
            "No pipeline is marked as the default: an admin must mark one in the settings.",
        )

    def first_open_stage(self) -> Stage:
        return ConfigurationMissing.unless(
            self.stages.filter(is_closed=False, is_active=True).order_by("order", "pk").first(),
            f"The pipeline '{self.key}' has no active open stage.",
        )


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    key = models.SlugField(max_length=40, validators=[validate_key])
    label = models.CharField(max_length=80)
    order = models.PositiveIntegerField(default=0)
    default_probability = models.PositiveSmallIntegerField()
    forecast_category = models.CharField(max_length=20, choices=ForecastCategory.choices)
    is_closed = models.BooleanField(default=False)
    is_won = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["pipeline", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "key"],
                name="stage_key_per_pipeline",
                violation_error_message="The pipeline already has a stage with this key.",
            ),
            models.CheckConstraint(
                condition=models.Q(default_probability__lte=100), name="stage_probability_percent"
            ),
            models.CheckConstraint(
                condition=~models.Q(is_won=True, is_closed=False),
                name="stage_won_is_closed",
                violation_error_message="A won stage is a closed stage.",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class LostReason(models.Model):
    key = models.SlugField(max_length=40, unique=True, validators=[validate_key])
    label = models.CharField(max_length=120)
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.label


class OpportunityQuerySet(VisibleQuerySet["Opportunity"]):
    """Opportunities as each user sees them (who sees what: identity.policy)."""


class Opportunity(Deletable):
    name = models.CharField(max_length=120)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="opportunities"
    )
    primary_contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="primary_for_opportunities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="opportunities")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities")
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    probability = models.PositiveSmallIntegerField()
    expected_revenue = models.GeneratedField(
        expression=F("amount") * F("probability") / Decimal(100),
        output_field=models.DecimalField(max_digits=16, decimal_places=2),
        db_persist=True,
    )
    close_date = models.DateField()
    forecast_category = models.CharField(max_length=20, choices=ForecastCategory.choices)
    type = models.CharField(max_length=30, choices=OpportunityType.choices, blank=True)
    lead_source = models.CharField(max_length=30, blank=True)
    campaign = models.CharField(max_length=120, blank=True)
    next_step = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    is_closed = models.BooleanField(default=False)
    is_won = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    lost_reason = models.ForeignKey(
        LostReason, null=True, blank=True, on_delete=models.PROTECT, related_name="opportunities"
    )
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LiveManager.from_queryset(OpportunityQuerySet)()
    with_deleted = BinManager.from_queryset(OpportunityQuerySet)()

    # Custom field values by key (opportune/customfields): {"key": value}.
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["owner", "-id"], name="opp_owner_recent"),
            models.Index(fields=["stage", "-id"], name="opp_stage_recent"),
            # Covers a period's forecast (close date range, grouped by owner and category,
            # summing amount and expected revenue): an index-only scan on both databases.
            # Partial: forecasts never count the recycle bin, and the condition keeps the
            # index covering without adding deleted_at to it.
            models.Index(
                fields=["close_date", "owner", "forecast_category", "amount", "expected_revenue"],
                name="opp_forecast",
                condition=models.Q(deleted_at__isnull=True),
            ),
            # The predicted forecast's reads (forecasting/predicted.py). Open deals grouped by
            # stage, day entered or created and close date: covering on SQLite (which needs
            # the condition's columns too), with a range on the stage's entry moment. With the
            # probability, it covers the pipeline as it stands today too (forecasting/asof.py,
            # amount x probability per stage and category).
            models.Index(
                fields=[
                    "pipeline",
                    "stage",
                    "stage_changed_at",
                    "created_at",
                    "close_date",
                    "forecast_category",
                    "owner",
                    "amount",
                    "probability",
                    "is_closed",
                    "deleted_at",
                ],
                name="opp_open_deals",
                condition=models.Q(is_closed=False, deleted_at__isnull=True),
            ),
            # The same for a manager's read (forecasting/owners.py): her owners' deals only.
            models.Index(
                fields=[
                    "owner",
                    "pipeline",
                    "stage",
                    "stage_changed_at",
                    "created_at",
                    "close_date",
                    "forecast_category",
                    "amount",
                    "probability",
                    "is_closed",
                    "deleted_at",
                ],
                name="opp_open_by_owner",
                condition=models.Q(is_closed=False, deleted_at__isnull=True),
            ),
            # My work's deals at risk (work/team.py): a manager's open deals with every column
            # the four rules and the page's order read, the id too (PostgreSQL's indexes do
            # not hold it; the rules test it against the pushed and the active deals).
            models.Index(
                fields=[
                    "owner",
                    "stage",
                    "stage_changed_at",
                    "created_at",
                    "close_date",
                    "amount",
                    "id",
                    "is_closed",
                    "deleted_at",
                ],
                name="opp_open_risk",
                condition=models.Q(is_closed=False, deleted_at__isnull=True),
            ),
            # Won deals by close date, and deals created lately (the new deals' share).
            models.Index(
                fields=["pipeline", "close_date", "owner", "amount"],
                name="opp_won_close",
                condition=models.Q(is_won=True, deleted_at__isnull=True),
            ),
            models.Index(
                fields=["created_at", "pipeline", "owner"],
                name="opp_created",
                condition=models.Q(deleted_at__isnull=True),
            ),
            # Win rates and the sales summary (forecasting/analytics.py): closed deals by close
            # date, open deals, grouped by owner, source, campaign or name. Covering (with
            # the condition's column, for SQLite); a manager's read starts with her owners,
            # the whole company's with the close date.
            models.Index(
                fields=[
                    "owner",
                    "close_date",
                    "is_closed",
                    "is_won",
                    "amount",
                    "created_at",
                    "forecast_category",
                    "lead_source",
                    "campaign",
                    "name",
                    "deleted_at",
                ],
                name="opp_owner_closed",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=[
                    "close_date",
                    "is_closed",
                    "is_won",
                    "owner",
                    "amount",
                    "created_at",
                    "forecast_category",
                    "lead_source",
                    "campaign",
                    "name",
                    "deleted_at",
                    # Last, for PostgreSQL, whose indexes do not hold the row's id: win rates
                    # by stage reached join each closed deal to its stored reach by id, which
                    # made it read the table (1M deals, admin: a sequential scan of 49,000
                    # pages); SQLite's indexes hold the rowid anyway.
                    "id",
                ],
                name="opp_closed",
                condition=models.Q(deleted_at__isnull=True),
            ),
            # The funnel's won step: the visible won deals, joined to their leads by id.
            models.Index(
                fields=["owner", "id"],
                name="opp_won_owner",
                condition=models.Q(is_won=True, deleted_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="opp_probability_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContactRoleKind(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
    TECHNICAL_BUYER = "technical_buyer", "Technical buyer"
    EVALUATOR = "evaluator", "Evaluator"
    INFLUENCER = "influencer", "Influencer"
    OTHER = "other", "Other"


class ContactRole(models.Model):
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="contact_roles"
    )
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="opportunity_roles"
    )
    role = models.CharField(max_length=30, choices=ContactRoleKind.choices, blank=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "contact"], name="one_role_per_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} on {self.opportunity}"


class AppendOnlyQuerySet(models.QuerySet["OpportunityHistory"]):
    def update(self, **kwargs: Any) -> int:
        raise ValueError("Opportunity history is append-only.")

    def follow_owner(self, deal_ids: Iterable[int], owner_id: int | None) -> int:
        """Give the rows of the deals ``deal_ids`` their deal's new owner (``deal_owner``):
        the one change a history row takes, made by the services that reassign a deal."""
        rows = self.filter(opportunity_id__in=list(deal_ids))
        return models.QuerySet.update(rows, deal_owner_id=owner_id)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("Opportunity history is append-only.")


# A history row as the pipeline changes read it from an index: when, which deal, the order of
# rows at one instant (id), and the values they classify by.
_WINDOW_ROW = (
    "changed_at",
    "opportunity",
    "id",
    "stage",
    "amount",
    "close_date",
    "forecast_category",
)


class OpportunityHistory(models.Model):
    """One immutable row per change of stage, amount, probability, close date or category.

    Forecast snapshots, "pipeline as of a date", days in stage and push counts derive from it.
    """

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="history")
    # The deal's owner *today*, not at the change (the history does not track owners): a key
    # for the index that finds a manager's deals' rows in a window by a range per owner
    # (forecasting/changes.py), without looking up every changed deal. Set from the deal when
    # a row is written; the services that reassign a deal give its rows the new owner
    # (``follow_owner``).
    deal_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # opp_history_by_owner starts with it
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    probability = models.PositiveSmallIntegerField()
    close_date = models.DateField()
    forecast_category = models.CharField(max_length=20, choices=ForecastCategory.choices)
    previous_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    previous_close_date = models.DateField(null=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name_plural = "opportunity history"
        indexes = [
            models.Index(fields=["opportunity", "changed_at"], name="opp_history_timeline"),
            # The pipeline changes (forecasting/changes.py): the rows inside a window with the
            # values the changes classify by, read from the index alone (the newest of each
            # deal is its state at the end) ...
            models.Index(fields=[*_WINDOW_ROW], name="opp_history_window"),
            # ... or, for a viewer who sees some owners' deals, one range of this per owner.
            models.Index(fields=["deal_owner", *_WINDOW_ROW], name="opp_history_by_owner"),
            # ... and each one's state at a moment, its newest row before it, read from the
            # index alone too: the probe's order (changed_at, id) and the four values the
            # changes classify by (as keys, so that SQLite's index covers them as well).
            models.Index(
                fields=[
                    "opportunity",
                    "changed_at",
                    "id",
                    "stage",
                    "amount",
                    "close_date",
                    "forecast_category",
                ],
                name="opp_history_states",
            ),
            # The pushes alone (a change that moved the close date later), by deal: the deals
            # pushed twice or more (My work's deals at risk) group these few rows, not the
            # whole history.
            models.Index(
                fields=["opportunity"],
                name="opp_history_pushes",
                condition=models.Q(close_date__gt=models.F("previous_close_date")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id} → {self.stage_id} at {self.changed_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("Opportunity history is append-only.")
        self.deal_owner_id = self.opportunity.owner_id
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Opportunity history is append-only.")
