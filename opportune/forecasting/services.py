"""Setting quotas and recording managers' forecast adjustments.

Quotas: an admin for anyone; a sales manager for the users in the teams they manage (and the
teams under them), never for themselves (``policy.may_manage``).
Adjustments: ``policy.may_adjust`` -- anyone above a node of the forecast hierarchy, and a
manager on their own figure.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from opportune.errors import NotAllowed, field_error
from opportune.fiscal import FiscalPeriod
from opportune.identity import policy
from opportune.identity.models import Team, User
from opportune.identity.visibility import team_subtree_ids

from .models import AdjustedCategory, ForecastAdjustment, Quota
from .periods import period_from


def managed_team_ids(manager: User) -> set[int]:
    """The teams a manager manages and every team under them."""
    return team_subtree_ids(*manager.managed_teams.values_list("pk", flat=True))


def _report(actor: User, user_id: int) -> User:
    """The user whose number ``actor`` wants to set, if ``actor`` manages them."""
    refused = policy.may_manage(actor, None, set())
    if refused:
        raise NotAllowed(refused)
    subject = User.objects.filter(pk=user_id, is_active=True).first()
    if subject is None:
        raise field_error("user_id", f"No active user with id {user_id}.")
    refused = policy.may_manage(actor, subject, managed_team_ids(actor))
    if refused == policy.NOT_YOUR_TEAM:
        raise field_error("user_id", refused)
    if refused:
        raise NotAllowed(refused)
    return subject


@transaction.atomic
def set_quota(actor: User, user_id: int, period_key: str, amount: Decimal | None) -> Quota | None:
    """Set (or replace) a user's quota for a month, quarter or year; None removes it."""
    subject = _report(actor, user_id)
    period = period_from(period_key)
    if amount is None:
        Quota.objects.filter(
            user=subject, period_start=period.start, period_end=period.end
        ).delete()
        return None
    quota, _ = Quota.objects.update_or_create(
        user=subject,
        period_start=period.start,
        period_end=period.end,
        defaults={"period": period.key, "amount": amount, "set_by": actor},
    )
    return quota


def _subject(actor: User, user_id: int | None, team_id: int | None) -> User | Team:
    """The user or team whose figure ``actor`` wants to adjust, if ``actor`` may."""
    if (user_id is None) == (team_id is None):
        raise field_error("user_id", "Name either a user (user_id) or a team (team_id).")
    subject: User | Team | None
    if team_id is not None:
        subject = Team.objects.filter(pk=team_id).first()
        field, missing = "team_id", f"No team with id {team_id}."
    else:
        subject = User.objects.filter(pk=user_id or 0, is_active=True).first()
        field, missing = "user_id", f"No active user with id {user_id}."
    refused = policy.may_adjust(actor, actor, set())
    if refused:
        raise NotAllowed(refused)
    if subject is None:
        raise field_error(field, missing)
    refused = policy.may_adjust(actor, subject, managed_team_ids(actor))
    if refused == policy.NOT_YOUR_TEAM:
        raise field_error(field, refused)
    if refused:
        raise NotAllowed(refused)
    return subject


def _shown_before(
    actor: User, subject: User | Team, period: FiscalPeriod, category: str
) -> Decimal:
    """The figure ``actor`` saw of ``subject`` before adjusting it: the history's old value."""
    from .forecast import forecast_for

    if isinstance(subject, Team):
        forecast, key = forecast_for(actor, [period], subject.pk), ("team", subject.pk)
    else:
        forecast, key = forecast_for(actor, [period]), ("user", subject.pk)
    node = forecast.node(key)
    return node.adjusted[category] if node is not None else Decimal("0.00")


@transaction.atomic
def adjust_forecast(
    actor: User,
    user_id: int | None,
    period_key: str,
    category: str,
    amount: Decimal | None,
    note: str = "",
    team_id: int | None = None,
) -> ForecastAdjustment:
    """Record a manager's figure for the rolled-up commit or best case of a user (the team
    they head, if they manage one) or of a team in a period; it replaces that figure in the
    levels above. ``amount=None`` withdraws the adjustment in force. Earlier rows are kept as
    history, each with the figure it replaced."""
    if category not in AdjustedCategory.values:
        raise field_error("category", "Only commit and best_case may be adjusted.")
    subject = _subject(actor, user_id, team_id)
    period = period_from(period_key)
    return ForecastAdjustment.objects.create(
        user=subject if isinstance(subject, User) else None,
        team=subject if isinstance(subject, Team) else None,
        period=period.key,
        period_start=period.start,
        period_end=period.end,
        category=category,
        amount=amount,
        previous_amount=_shown_before(actor, subject, period, category),
        note=note.strip(),
        adjusted_by=actor,
        created_at=timezone.now(),
    )
