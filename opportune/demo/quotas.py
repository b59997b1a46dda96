"""Quarterly quotas that fit what each rep actually closes, and a few managers' adjustments,
set through the forecasting services as a manager would set them."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from opportune.fiscal import period_containing
from opportune.forecasting.services import adjust_forecast, set_quota

from .deals import Deal
from .world import World

PAST_QUARTERS, FUTURE_QUARTERS = 6, 2
ADJUSTMENT_NOTES = (
    "Two of the commit deals depend on one budget sign-off: I expect only one to land.",
    "Procurement at the largest account slipped a month: taking it out of commit.",
    "The negotiation-stage renewal is safer than the stage says.",
)


def _rounded(amount: Decimal, step: int = 1000) -> Decimal:
    return Decimal(max(round(amount / step), 1) * step)


def set_quotas(world: World, deals: list[Deal]) -> int:
    """Each rep's quota is about their typical quarter's closed-won amount, raised a little,
    set by their manager; each manager's is the sum of their reps', set by the VP."""
    current = period_containing(world.now.date(), "quarter")
    quarters = [current.shifted(i) for i in range(-PAST_QUARTERS, FUTURE_QUARTERS + 1)]
    won: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for deal in deals:
        opp = deal.opportunity
        if opp.is_won and opp.owner_id and opp.amount:
            won[(opp.owner_id, period_containing(opp.close_date, "quarter").key)] += opp.amount
    staff, count = world.staff, 0
    for team, reps in staff.reps.items():
        manager = staff.managers[team]
        team_quotas: dict[str, Decimal] = defaultdict(Decimal)
        for rep in reps:
            past = sorted(won[(rep.pk, q.key)] for q in quarters[:PAST_QUARTERS])
            typical = past[len(past) // 2] or Decimal(20000)
            for quarter in quarters:
                amount = _rounded(typical * Decimal(world.rng.uniform(1.0, 1.3)))
                set_quota(manager, rep.pk, quarter.key, amount)
                team_quotas[quarter.key] += amount
                count += 1
        for key, amount in team_quotas.items():
            set_quota(staff.managers["Sales"], manager.pk, key, amount)
            count += 1
        rep = world.rng.choice(reps)
        typical_commit = _rounded(team_quotas[current.key] / len(reps) * Decimal("0.8"))
        adjust_forecast(manager, rep.pk, current.key, "commit", typical_commit,
                        world.rng.choice(ADJUSTMENT_NOTES))  # fmt: skip
    return count
