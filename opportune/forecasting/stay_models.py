"""Stored stage stays: each deal's stays in a stage, derived from the history (``stays``).

Time in stage and "stage reached" read these instead of ranking the whole history with
window functions at every request. A stay is the time between the history row where a deal
entered a stage and the row where it entered the next one; the deal's current stay has no
end. ``StayMark`` keeps the newest history row and field change the stored rows were built
from: deals written after it are read live from the history, so a read is always exact.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models

from opportune.identity.models import User
from opportune.identity.visibility import VisibleQuerySet


class StayQuerySet(VisibleQuerySet["StageStay"]):
    """Stays as a user sees them: the deals' rule (kind ``opportunity``), on the deal's owner
    the stay was stored with (today's owner: a reassignment marks the deal to read live),
    resolved to a list of owner ids once per request (``policy.visible_owners``)."""

    def visible_to(self, user: User) -> Self:
        from opportune.identity import policy
        from opportune.identity.visibility import owner_q

        scope = policy.visible_owners(user, policy.OPPORTUNITY)
        if scope is not None:  # resolved to owner ids: the index on (owner, ...) serves it
            if scope.nothing:
                return self.none()
            condition = scope.q("owner")
        else:
            condition = owner_q(user, "owner")
        return self.all() if condition is None else self.filter(condition)


class StageStay(models.Model):
    """One stay of one deal in one stage: entered at a history row, left at the deal's next
    change of stage (empty while it is still there). No database constraints: the rows are a
    derived copy that the worker rebuilds, and a deal's purge must not wait on them."""

    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the indexes below start with it
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,  # a plain owner index would win SQLite's plan over the covering one
    )
    stage = models.ForeignKey(
        "opportunities.Stage",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True)
    days = models.FloatField(null=True, help_text="left_at - entered_at in days, when left")

    objects = StayQuerySet.as_manager()

    class Meta:
        indexes = [
            # time in stage: a viewer's finished stays, covering (the owner rule first)
            models.Index(
                fields=["owner", "stage", "days", "opportunity"],
                condition=models.Q(left_at__isnull=False),
                name="stage_stay_finished",
            ),
            # time in stage for whoever sees every stay: counts per stage and the stay at a
            # rank walked in (stage, days) order, no sort
            models.Index(
                fields=["stage", "days", "opportunity"],
                condition=models.Q(left_at__isnull=False),
                name="stage_stay_days",
            ),
            # the refresh of one deal's stays
            models.Index(fields=["opportunity", "stage"], name="stage_stay_deal"),
        ]

    def __str__(self) -> str:
        return f"deal {self.opportunity_id} in stage {self.stage_id} from {self.entered_at}"


class StayMark(models.Model):
    """The newest history row id and field change id the stored stays were built from (one
    row). Deals with a newer history row, or whose owner or bin state changed since, are read
    live until the next refresh."""

    history_upto = models.BigIntegerField()
    changes_upto = models.BigIntegerField()
    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"stays upto history {self.history_upto}, changes {self.changes_upto}"


class DealReach(models.Model):
    """Each deal's pipeline and furthest open stage (the highest ``order`` among the open
    stages of its stays; empty if it was never in one), stored with the stays under the
    same ``StayMark``: win rates by stage reached join the closed deals to it by primary key
    instead of ranking each deal's stays. The pipeline is kept here so the read needs no
    column of the deal outside the covering index of closed deals (a deal changes pipeline
    only with a stage change: a history row, so it is dirty until the refresh)."""

    opportunity = models.OneToOneField(
        "opportunities.Opportunity",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        related_name="reach",
        db_constraint=False,  # a derived copy: a deal's purge must not wait on it
    )
    pipeline = models.ForeignKey(
        "opportunities.Pipeline",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    furthest_order = models.IntegerField(null=True)
    # The deal's owner, and, closed, its close date, outcome and amount, as they stood at the
    # build: a change of any of them writes a history row or an owner or bin change, so the
    # deal is dirty (read live) until the refresh stores it again. With them, the closed deals
    # of a period group from this table's index alone, the deals' table left unread (1M
    # deals, the whole company: ``stays.win_rates_by_stage_reached``).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    closed_on = models.DateField(null=True, help_text="the close date of a closed deal")
    is_won = models.BooleanField(default=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)

    class Meta:
        indexes = [
            # the join from each closed deal reads the index alone (SQLite's primary key
            # here is not the rowid: a lookup would otherwise also read the table)
            models.Index(fields=["opportunity", "pipeline", "furthest_order"], name="deal_reach"),
            # win rates by stage reached: the closed deals of a period, covering (the deal's
            # id for the dirty deals left out: PostgreSQL's indexes do not hold the row)
            models.Index(
                fields=[
                    "closed_on",
                    "owner",
                    "pipeline",
                    "furthest_order",
                    "is_won",
                    "amount",
                    "opportunity",
                ],
                condition=models.Q(closed_on__isnull=False),
                name="deal_reach_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"deal {self.opportunity_id} reached stage order {self.furthest_order}"
