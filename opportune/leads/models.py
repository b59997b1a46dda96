"""Leads, their configurable statuses and the qualification policy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import BaseConstraint

from opportune.audit.models import BinManager, Deletable, LiveManager
from opportune.capture import keys
from opportune.errors import ConfigurationMissing
from opportune.identity.visibility import VisibleQuerySet
from opportune.schemas import validate_key


class LeadSource(models.TextChoices):
    WEB = "web", "Web"
    CONTENT_DOWNLOAD = "content_download", "Content download"
    REFERRAL = "referral", "Referral"
    EVENT = "event", "Event"
    PARTNER = "partner", "Partner"
    COLD_CALL = "cold_call", "Cold call"
    ADVERTISEMENT = "advertisement", "Advertisement"
    EMAIL_CAMPAIGN = "email_campaign", "Email campaign"
    OTHER = "other", "Other"


class Rating(models.TextChoices):
    HOT = "hot", "Hot"
    WARM = "warm", "Warm"
    COLD = "cold", "Cold"


class LeadStatus(models.Model):
    """A step of the lead lifecycle. Exactly one status is the default (new leads get it) and
    exactly one is the converted status (conversion sets it): database constraints hold
    "at most one", ``clean`` refuses taking the last one away, and ``save`` moves the
    default when another status is marked default."""

    key = models.SlugField(max_length=40, unique=True, validators=[validate_key])
    label = models.CharField(max_length=80)
    order = models.PositiveIntegerField(default=0)
    is_default = models.BooleanField(default=False)
    is_closed = models.BooleanField(default=False)
    is_converted = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name_plural = "lead statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_status",
                violation_error_message="Another status is already the default.",
            ),
            models.UniqueConstraint(
                fields=["is_converted"],
                condition=models.Q(is_converted=True),
                name="one_converted_status",
                violation_error_message=(
                    "Another status is already the converted one; there is exactly one, "
                    "set by conversion."
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(is_converted=True, is_closed=False),
                name="converted_status_is_closed",
                violation_error_message="The converted status is a closed status.",
            ),
            models.CheckConstraint(
                condition=~models.Q(is_default=True, is_closed=True)
                & ~models.Q(is_default=True, is_converted=True),
                name="default_status_is_open",
                violation_error_message="The default status, which new leads get, is open.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic():
            if self.is_default:
                LeadStatus.objects.filter(is_default=True).exclude(pk=self.pk).update(
                    is_default=False
                )
            super().save(*args, **kwargs)

    def clean(self) -> None:
        stored = LeadStatus.objects.filter(pk=self.pk).first() if self.pk else None
        if stored and stored.is_converted and not self.is_converted:
            raise ValidationError(
                {"is_converted": "Conversion needs this status: there must be a converted one."}
            )
        if stored and stored.is_default and not self.is_default:
            raise ValidationError(
                {"is_default": "Mark another status as the default instead; new leads need one."}
            )

    def get_constraints(self) -> list[tuple[type[models.Model], Sequence[BaseConstraint]]]:
        # Marking a status default takes the mark from the previous one (save), so validation
        # leaves the "one default" constraint to saving rather than refusing the change.
        return [
            (model, [c for c in constraints if c.name != "one_default_status"])
            for model, constraints in super().get_constraints()
        ]

    @classmethod
    def default(cls) -> LeadStatus:
        """The status new leads get (exactly one, by a constraint)."""
        return ConfigurationMissing.unless(
            cls.objects.filter(is_default=True).first(),
            "No lead status is marked as the default: an admin must mark one.",
        )

    @classmethod
    def converted(cls) -> LeadStatus:
        """The status conversion sets (exactly one, by a constraint)."""
        return ConfigurationMissing.unless(
            cls.objects.filter(is_converted=True).first(),
            "No lead status is marked as converted: an admin must mark one.",
        )

    @property
    def requires_reason(self) -> bool:
        """Closing a lead without converting it is a disqualification, which needs a reason."""
        return self.is_closed and not self.is_converted


class QualificationPolicy(models.Model):
    """Which BANT criteria must hold before a lead may be converted (one row per installation)."""

    require_need = models.BooleanField(default=True)
    require_budget = models.BooleanField(default=True)
    require_authority = models.BooleanField(default=True)
    require_timeline = models.BooleanField(default=False)
    managers_may_override = models.BooleanField(
        default=True, help_text="Sales managers (admins always) may convert a lead that fails."
    )

    class Meta:
        verbose_name_plural = "qualification policy"

    def __str__(self) -> str:
        return "Qualification policy"

    @classmethod
    def current(cls) -> QualificationPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy

    def missing_criteria(self, lead: Lead) -> list[str]:
        missing = []
        if self.require_need and not lead.need_identified:
            missing.append("need_identified")
        if self.require_budget and not lead.budget_confirmed:
            missing.append("budget_confirmed")
        if self.require_authority and not lead.authority_confirmed:
            missing.append("authority_confirmed")
        if self.require_timeline and not lead.expected_purchase_date:
            missing.append("expected_purchase_date")
        return missing


class LeadQuerySet(VisibleQuerySet["Lead"]):
    """Leads as each user sees them (who sees what: identity.policy)."""


class Lead(Deletable):
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80)
    company = models.CharField(max_length=255)
    title = models.CharField(max_length=128, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=255, blank=True)
    industry = models.CharField(max_length=80, blank=True)
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    street = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=80, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=80, blank=True)

    source = models.CharField(max_length=30, choices=LeadSource.choices, blank=True)
    campaign = models.CharField(max_length=120, blank=True)
    utm_source = models.CharField(max_length=120, blank=True)
    utm_medium = models.CharField(max_length=120, blank=True)
    utm_campaign = models.CharField(max_length=120, blank=True)

    status = models.ForeignKey(LeadStatus, on_delete=models.PROTECT, related_name="leads")
    rating = models.CharField(max_length=10, choices=Rating.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    # The predicted conversion score's top reasons (opportune/scoring/leads.py), derived data.
    score_reasons = models.JSONField(default=list, blank=True, editable=False)
    description = models.TextField(blank=True)
    do_not_call = models.BooleanField(default=False)
    email_opt_out = models.BooleanField(default=False)

    # Qualification (BANT).
    budget_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    budget_confirmed = models.BooleanField(default=False)
    decision_maker = models.CharField(max_length=160, blank=True)
    decision_maker_title = models.CharField(max_length=128, blank=True)
    authority_confirmed = models.BooleanField(default=False)
    need_description = models.TextField(blank=True)
    need_identified = models.BooleanField(default=False)
    expected_purchase_date = models.DateField(null=True, blank=True)
    disqualify_reason = models.CharField(max_length=255, blank=True)

    # Conversion.
    is_converted = models.BooleanField(default=False)
    converted_at = models.DateTimeField(null=True, blank=True)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="converted_leads",
    )
    converted_contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="converted_leads",
    )
    converted_opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="converted_leads",
    )

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    # Duplicate-matching keys (opportune.capture.keys), kept in step by save() and indexed.
    # Plain b-tree indexes (Meta): db_index would add a LIKE index on PostgreSQL, unused here.
    email_key = models.CharField(max_length=254, blank=True, editable=False)
    phone_key = models.CharField(max_length=20, blank=True, editable=False)
    name_key = models.CharField(max_length=170, blank=True, editable=False)
    company_key = models.CharField(max_length=255, blank=True, editable=False)

    objects = LiveManager.from_queryset(LeadQuerySet)()
    with_deleted = BinManager.from_queryset(LeadQuerySet)()

    # Custom field values by key (opportune/customfields): {"key": value}.
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "-id"], name="lead_owner_recent"),
            models.Index(fields=["status", "-id"], name="lead_status_recent"),
            models.Index(fields=["company"], name="lead_company"),
            models.Index(fields=["email_key"], name="lead_email_key"),
            models.Index(fields=["phone_key"], name="lead_phone_key"),
            models.Index(fields=["name_key"], name="lead_name_key"),
            models.Index(fields=["company_key"], name="lead_company_key"),
            # The funnel (forecasting/analytics.py): leads created in a range, grouped by
            # period, source, campaign or owner. Covering (with the condition's column, for
            # SQLite); a manager's read starts with her owners, the company's with the day.
            models.Index(
                fields=[
                    "owner",
                    "created_at",
                    "status",
                    "is_converted",
                    "converted_opportunity",
                    "converted_at",
                    "source",
                    "campaign",
                    "deleted_at",
                ],
                name="lead_owner_created",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=[
                    "created_at",
                    "owner",
                    "status",
                    "is_converted",
                    "converted_opportunity",
                    "converted_at",
                    "source",
                    "campaign",
                    "deleted_at",
                ],
                name="lead_created_funnel",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.company})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_match_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *MATCH_KEY_FIELDS}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def fill_match_keys(self) -> None:
        """Recompute the duplicate-matching keys (bulk inserts call this, save() too)."""
        self.email_key = keys.email_key(self.email)
        self.phone_key = keys.phone_key(self.phone, self.country)
        self.name_key = keys.name_key(self.first_name, self.last_name)
        self.company_key = keys.company_key(self.company)


MATCH_KEY_FIELDS = ("email_key", "phone_key", "name_key", "company_key")
