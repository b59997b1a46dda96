"""Stored fits (a model card and the fitted model) and the scores they gave.

The fitted model is a pickle in a BinaryField. Unpickling runs code, so a pickle must only
ever come from a trusted writer: here only the server's own ``fit`` writes that column, no
API, form or import accepts one, and the admin does not show it. A pickle is also tied to
the scikit-learn version that wrote it; a fit written by another version is not loaded
(the card still shows it) until the next fit, which the worker makes daily.
"""

from __future__ import annotations

from django.db import models


class Target(models.TextChoices):
    OPPORTUNITY = "opportunity", "Opportunity win probability"
    LEAD = "lead", "Lead conversion"


class ScoringModel(models.Model):
    target = models.CharField(max_length=20, choices=Target.choices)
    fitted_at = models.DateTimeField()
    rows = models.PositiveIntegerField()
    positives = models.PositiveIntegerField()
    fit_seconds = models.FloatField()
    card = models.JSONField()
    blob = models.BinaryField()
    is_active = models.BooleanField(default=False)

    class Meta:
        ordering = ["target", "-fitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["target"],
                condition=models.Q(is_active=True),
                name="one_active_model_per_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} model of {self.fitted_at:%Y-%m-%d %H:%M}"


class OpportunityScore(models.Model):
    """An open opportunity's win probability and its top reasons, as last scored."""

    opportunity = models.OneToOneField(
        "opportunities.Opportunity",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="win_score",
    )
    probability = models.FloatField()
    reasons = models.JSONField(default=list)
    model = models.ForeignKey(ScoringModel, null=True, on_delete=models.SET_NULL, related_name="+")
    scored_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.probability:.0%}"


class ScoringSettings(models.Model):
    """An admin's choices for a target: the features excluded from its next fits."""

    target = models.CharField(max_length=20, choices=Target.choices, unique=True)
    excluded = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.target} scoring settings"
