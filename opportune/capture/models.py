"""Lead capture: assignment rules, web-to-lead forms and the record of lead merges."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from opportune.leads.models import LeadSource
from opportune.schemas import country_code, normalize_country


class ExactJSONEncoder(DjangoJSONEncoder):
    """Keeps datetimes to the microsecond (DjangoJSONEncoder cuts them to milliseconds), so an
    undone merge restores timestamps exactly."""

    def default(self, o: object) -> object:
        if isinstance(o, dt.datetime):
            return o.isoformat()
        return super().default(o)


def _items(text: str) -> list[str]:
    return [v.strip() for v in text.replace("\n", ",").split(",") if v.strip()]


def split_values(text: str) -> set[str]:
    """'US, DE' -> {'us', 'de'}: rule criteria are case-free lists."""
    return {v.casefold() for v in _items(text)}


class AssignmentRule(models.Model):
    """The first active rule (by ``order``) whose criteria all hold assigns the lead.

    Empty criteria match anything. A rule assigns to one user, or round-robins over the
    active sales reps of a team; ``turn`` counts the turns given, under a row lock.
    """

    name = models.CharField(max_length=120)
    order = models.PositiveIntegerField(default=0, db_index=True)
    is_active = models.BooleanField(default=True)

    sources = models.CharField(
        max_length=255, blank=True, help_text="Lead source keys, comma-separated (web, event…)."
    )
    countries = models.CharField(
        max_length=500,
        blank=True,
        help_text="Comma-separated names or ISO codes; stored as codes (US, DE…).",
    )
    states = models.CharField(max_length=500, blank=True, help_text="Comma-separated.")
    industries = models.CharField(max_length=500, blank=True, help_text="Comma-separated.")
    campaigns = models.CharField(max_length=500, blank=True, help_text="Comma-separated.")
    employees_min = models.PositiveIntegerField(null=True, blank=True)
    employees_max = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue_min = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    annual_revenue_max = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    # PROTECT: a rule must keep a target (a constraint); deleting its user or team first
    # needs the rule changed or removed, instead of leaving a rule that assigns nobody.
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Assign every matching lead to this user…",
    )
    round_robin_team = models.ForeignKey(
        "identity.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="…or take turns among this team's active sales reps.",
    )
    turn = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assign_to__isnull=True)
                | models.Q(round_robin_team__isnull=True),
                name="rule_assigns_to_user_or_team",
                violation_error_message="Assign to a user or to a team, not both.",
            ),
            models.CheckConstraint(
                condition=models.Q(assign_to__isnull=False)
                | models.Q(round_robin_team__isnull=False),
                name="rule_assigns_to_someone",
                violation_error_message="Choose the user or the team the rule assigns to.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.countries = ", ".join(normalize_country(c) for c in _items(self.countries))
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.assign_to_id is None and self.round_robin_team_id is None:
            errors["assign_to"] = "Choose the user or the team the rule assigns to."
        elif self.assign_to_id is not None and self.round_robin_team_id is not None:
            errors["round_robin_team"] = "Assign to a user or to a team, not both."
        unknown = [v for v in _items(self.sources) if v.casefold() not in LeadSource.values]
        if unknown:
            errors["sources"] = (
                f"Unknown source {', '.join(unknown)}; use: {', '.join(LeadSource.values)}."
            )
        unknown = [c for c in _items(self.countries) if country_code(c) is None]
        if unknown:
            errors["countries"] = (
                f"Unknown country {', '.join(unknown)}: use names or ISO codes (US, DE)."
            )
        for low, high, field in (
            (self.employees_min, self.employees_max, "employees_max"),
            (self.annual_revenue_min, self.annual_revenue_max, "annual_revenue_max"),
        ):
            if low is not None and high is not None and low > high:
                errors[field] = "The maximum is below the minimum."
        if errors:
            raise ValidationError(errors)

    def criteria(self) -> dict[str, set[str]]:
        """Parsed once per batch of leads, not once per lead."""
        return {
            "source": split_values(self.sources),
            "country": split_values(self.countries),
            "state": split_values(self.states),
            "industry": split_values(self.industries),
            "campaign": split_values(self.campaigns),
        }

    def matches(self, lead: object, criteria: dict[str, set[str]] | None = None) -> bool:
        criteria = criteria or self.criteria()
        for field, allowed in criteria.items():
            value = str(getattr(lead, field) or "").strip()
            if field == "country":
                value = normalize_country(value)  # codes, as rules store them
            if allowed and value.casefold() not in allowed:
                return False
        return _in_range(
            getattr(lead, "employees", None), self.employees_min, self.employees_max
        ) and _in_range(
            getattr(lead, "annual_revenue", None), self.annual_revenue_min, self.annual_revenue_max
        )


def _in_range(
    value: int | Decimal | None, low: int | Decimal | None, high: int | Decimal | None
) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def new_form_key() -> str:
    return secrets.token_urlsafe(12)


class WebForm(models.Model):
    """A public web-to-lead form: the website posts to /api/v1/web-to-lead/<key>."""

    name = models.CharField(max_length=120)
    key = models.CharField(max_length=40, unique=True, default=new_form_key)
    is_active = models.BooleanField(default=True)
    fields = models.CharField(
        max_length=500,
        default="first_name,last_name,email,company,phone",
        help_text="Lead fields the form may send, comma-separated.",
    )
    required_fields = models.CharField(
        max_length=500, default="last_name,company,email", help_text="Comma-separated."
    )
    source = models.CharField(
        max_length=30, choices=LeadSource.choices, default=LeadSource.WEB, blank=True
    )
    campaign = models.CharField(max_length=120, blank=True)
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the assignment rules decide.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Submissions are recorded as made by this user.",
    )
    redirect_url = models.URLField(blank=True, help_text="Thank-you page after a browser post.")
    honeypot_field = models.CharField(max_length=40, default="website_url")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def field_names(self) -> list[str]:
        return [f.strip() for f in self.fields.split(",") if f.strip()]

    def required_names(self) -> list[str]:
        return [f.strip() for f in self.required_fields.split(",") if f.strip()]


class SubmissionWindow(models.Model):
    """Posts from one address in one time window: the per-address rate limit, shared by every
    application process because it lives in the database."""

    address = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address", "window_start"], name="one_window_per_ip")
        ]
        indexes = [models.Index(fields=["window_start"], name="submission_window_start")]

    def __str__(self) -> str:
        return f"{self.address} @ {self.window_start}: {self.count}"


class LeadMerge(models.Model):
    """A merge of 2-5 leads into a master, with what undoing it needs: the master's values
    before, the merged leads as they were, and the rows moved from each of them."""

    master = models.ForeignKey(
        "leads.Lead", null=True, on_delete=models.SET_NULL, related_name="merges"
    )
    master_before = models.JSONField(encoder=ExactJSONEncoder, default=dict)
    merged_leads = models.JSONField(encoder=ExactJSONEncoder, default=list)
    moved = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-merged_at", "-pk"]

    def __str__(self) -> str:
        return f"Merge #{self.pk} into lead {self.master_id}"

    @property
    def merged_ids(self) -> list[int]:
        return [int(row["id"]) for row in self.merged_leads]
