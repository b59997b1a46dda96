"""The hand-entered inputs of the forecast -- quotas and adjustments -- read in one query,
and where each adjustment applies in the forecast hierarchy (docs/forecasting.md).

A team stands for its manager: a manager's quota is the team's target and an adjustment of a
manager's figure adjusts the team's roll-up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BigIntegerField, DecimalField, F, Value

from opportune.fiscal import FiscalPeriod
from opportune.identity.models import User

from .models import ForecastAdjustment, Quota

ZERO = Decimal("0.00")
TeamRow = tuple[str, int | None, int | None]  # name, parent id, manager id
Subject = tuple[str, int]  # ("user", id) or ("team", id): a node of the forecast hierarchy


@dataclass
class Adjustment:
    """One row of the adjustments history, as the forecast reads it."""

    id: int
    user_id: int | None
    team_id: int | None
    period: str
    category: str
    amount: Decimal | None  # None: the row withdrew the adjustment
    previous_amount: Decimal | None
    note: str
    adjusted_by_id: int | None
    created_at: dt.datetime
    adjusted_by: str = ""  # display names, filled from the directory
    subject: str = ""


def add_quota(current: Decimal | None, extra: Decimal | None) -> Decimal | None:
    if extra is None:
        return current
    return extra if current is None else current + extra


def _cents(value: float | Decimal) -> Decimal:
    """Money as the database gives it (a number on SQLite, a Decimal on PostgreSQL)."""
    found = value if isinstance(value, Decimal) else Decimal(f"{value:.2f}")
    return found.quantize(Decimal("0.01"))


# --- quotas and adjustments ------------------------------------------------------------------


def _quota_for(
    period: FiscalPeriod, rows: list[tuple[dt.date, dt.date, Decimal]]
) -> Decimal | None:
    """The quota set for exactly this period, else the sum of those set for its quarters,
    else of its months."""
    inside = [r for r in rows if period.start <= r[0] and r[1] <= period.end]
    exact = [r[2] for r in inside if (r[0], r[1]) == (period.start, period.end)]
    if exact:
        return exact[0]
    for months in (3, 1):
        parts = [r[2] for r in inside if _months_spanned(r[0], r[1]) == months]
        if parts:
            return sum(parts, ZERO)
    return None


def _months_spanned(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def manual_inputs(
    viewer: User, periods: list[FiscalPeriod]
) -> tuple[dict[int, Decimal], list[tuple[int, Adjustment]]]:
    """Quotas per user over ``periods``, and the adjustments the viewer sees of each period
    (with the period's index), oldest first: the history the roll-up replays.

    Quotas and adjustments share one UNION query: a report costs as few queries as a list.
    """
    first, last = periods[0].start, periods[-1].end
    columns = ("kind", "user_id", "period", "period_start", "period_end", "amount")
    extra = ("subject_team", "previous", "category", "note", "by", "at", "pk")
    no_id, no_money = BigIntegerField(), DecimalField(max_digits=14, decimal_places=2)
    quotas = (
        Quota.objects.visible_to(viewer)
        .filter(period_start__gte=first, period_end__lte=last)
        .annotate(
            kind=Value("quota"),
            subject_team=Value(None, output_field=no_id),
            previous=Value(None, output_field=no_money),
            category=Value(""),
            note=Value(""),
            by=Value(None, output_field=no_id),
            at=F("updated_at"),
        )
        .values_list(*columns, *extra)
        .order_by()
    )
    adjustments = (
        ForecastAdjustment.objects.visible_to(viewer)
        .filter(period_start__gte=first, period_end__lte=last)
        .annotate(
            kind=Value("adjustment"),
            subject_team=F("team_id"),
            previous=F("previous_amount"),
            by=F("adjusted_by_id"),
            at=F("created_at"),
        )
        .values_list(*columns, *extra)
        .order_by()
    )
    quota_rows: dict[int, list[tuple[dt.date, dt.date, Decimal]]] = defaultdict(list)
    index = {(p.start, p.end): i for i, p in enumerate(periods)}
    history: list[tuple[int, Adjustment]] = []
    rows = sorted(quotas.union(adjustments, all=True), key=lambda row: (row[11], row[12]))
    for kind, user, period, start, end, amount, team, previous, category, note, by, at, pk in rows:
        if kind == "quota":
            quota_rows[user].append((start, end, amount))
            continue
        position = index.get((start, end))
        if position is not None:
            history.append(
                (position, Adjustment(pk, user, team, period, category, amount,
                                      None if previous is None else _cents(previous), note, by,
                                      at))
            )  # fmt: skip
    totals: dict[int, Decimal] = {}
    for user_id, user_rows in quota_rows.items():
        total = None
        for period in periods:
            total = add_quota(total, _quota_for(period, user_rows))
        if total is not None:
            totals[user_id] = total
    return totals, history


# --- where an adjustment applies ------------------------------------------------------------


def heads_of(teams: dict[int, TeamRow]) -> dict[int, int]:
    """Each manager's node in the forecast hierarchy: the highest team they manage. Their
    quota is that team's target and an adjustment of their figure adjusts its roll-up."""

    def depth(pk: int) -> int:
        found, parent = 0, teams[pk][1]
        while parent in teams and found <= len(teams):
            found, parent = found + 1, teams[parent][1]
        return found

    heads: dict[int, int] = {}
    for pk in sorted(teams, key=lambda pk: (depth(pk), teams[pk][0].casefold())):
        manager = teams[pk][2]
        if manager is not None:
            heads.setdefault(manager, pk)
    return heads


def subject_of(row: Adjustment, heads: dict[int, int]) -> Subject:
    if row.team_id is not None:
        return ("team", row.team_id)
    user = row.user_id or 0
    return ("team", heads[user]) if user in heads else ("user", user)


InForce = dict[tuple[Subject, int, str], Adjustment]


def in_force(history: list[tuple[int, Adjustment]], heads: dict[int, int]) -> InForce:
    """Per (node, period index, category), the newest row of the history (oldest first),
    unless that row withdrew the adjustment."""
    found: dict[tuple[Subject, int, str], Adjustment | None] = {}
    for position, row in history:
        key = (subject_of(row, heads), position, row.category)
        found[key] = row if row.amount is not None else None
    return {key: row for key, row in found.items() if row is not None}
