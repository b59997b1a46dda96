"""Setting quotas and recording managers' forecast adjustments.

Who may: an admin for anyone; a sales manager for the users in the teams they manage (and
the teams under them), never for themselves; nobody else.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from opportune.errors import NotAllowed, field_error
from opportune.identity import policy
from opportune.identity.models import User
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


def adjust_forecast(
    actor: User,
    user_id: int,
    period_key: str,
    category: str,
    amount: Decimal | None,
    note: str = "",
) -> ForecastAdjustment:
    """Record a manager's figure for a report's cumulative commit or best case in a period;
    ``amount=None`` withdraws the adjustment in force. Earlier rows are kept as history."""
    if category not in AdjustedCategory.values:
        raise field_error("category", "Only commit and best_case may be adjusted.")
    subject = _report(actor, user_id)
    period = period_from(period_key)
    return ForecastAdjustment.objects.create(
        user=subject,
        period=period.key,
        period_start=period.start,
        period_end=period.end,
        category=category,
        amount=amount,
        note=note.strip(),
        adjusted_by=actor,
        created_at=timezone.now(),
    )
