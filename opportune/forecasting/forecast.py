"""The forecast of a period or a range of periods, per owner and rolled up the team tree.

Categories roll up cumulatively (PRODUCT.md section 5): closed; commit = closed + commit;
best case = closed + commit + best case; open pipeline = pipeline + best case + commit;
omitted is excluded. The weighted pipeline is the expected revenue of the open categories.

The opportunities are read in ONE grouped query (owner x forecast category, with one
conditional sum per period when a range is asked for) from what the viewer may see; the few
hundred resulting rows are rolled up the team tree here. Users, teams, quotas and adjustments
take one query each, so the number of queries never grows with owners or opportunities.

Quotas are personal: a team's quota is the sum of its members' and sub-teams' quotas, and
attainment = closed / quota at every level. A manager's adjustment replaces a report's
cumulative commit or best case for one period; raw and adjusted figures are both kept.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Aggregate,
    BigIntegerField,
    Count,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat, NullIf, Trim

from opportune.fiscal import FiscalPeriod
from opportune.identity.models import Team, User
from opportune.opportunities.models import ForecastCategory, Opportunity

from .models import AdjustedCategory, ForecastAdjustment, Quota

ZERO = Decimal("0.00")
CATEGORIES: tuple[str, ...] = tuple(ForecastCategory.values)
OPEN_CATEGORIES = (ForecastCategory.PIPELINE, ForecastCategory.BEST_CASE, ForecastCategory.COMMIT)
# Each reported figure and the raw categories it adds up.
ROLLUPS: dict[str, tuple[str, ...]] = {
    "closed": (ForecastCategory.CLOSED,),
    "commit": (ForecastCategory.CLOSED, ForecastCategory.COMMIT),
    "best_case": (ForecastCategory.CLOSED, ForecastCategory.COMMIT, ForecastCategory.BEST_CASE),
    "pipeline": OPEN_CATEGORIES,
}
ADJUSTABLE = tuple(AdjustedCategory.values)
TeamRow = tuple[str, int | None, int | None]  # name, parent id, manager id
MAX_IN_LIST = 200


_NO_AMOUNTS = dict.fromkeys(CATEGORIES, ZERO)
_NO_COUNTS = dict.fromkeys(CATEGORIES, 0)


class Figures:
    """Raw amount and count per forecast category, and the weighted open pipeline."""

    __slots__ = ("amounts", "counts", "weighted")

    def __init__(self) -> None:
        self.amounts: dict[str, Decimal] = _NO_AMOUNTS.copy()
        self.counts: dict[str, int] = _NO_COUNTS.copy()
        self.weighted: Decimal = ZERO

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Figures):
            return NotImplemented
        return (self.amounts, self.counts, self.weighted) == (
            other.amounts,
            other.counts,
            other.weighted,
        )

    def __repr__(self) -> str:
        return f"Figures({self.amounts}, {self.counts}, weighted={self.weighted})"

    def add(self, other: Figures) -> None:
        amounts, counts = self.amounts, self.counts
        for category, amount in other.amounts.items():
            amounts[category] += amount
        for category, count in other.counts.items():
            counts[category] += count
        self.weighted += other.weighted

    def amount(self, rollup: str) -> Decimal:
        return sum((self.amounts[c] for c in ROLLUPS[rollup]), ZERO)

    def count(self, rollup: str) -> int:
        return sum(self.counts[c] for c in ROLLUPS[rollup])


def _adjusted(figures: Figures, delta: dict[str, Decimal]) -> dict[str, Decimal]:
    return {c: figures.amount(c) + delta.get(c, ZERO) for c in ADJUSTABLE}


def attainment(closed: Decimal, quota: Decimal | None) -> Decimal | None:
    """Closed / quota as a fraction (0.5 is half-way), or None without a positive quota."""
    if not quota:
        return None
    return (closed / quota).quantize(Decimal("0.0001"))


@dataclass
class Adjustment:
    user_id: int
    period: str
    category: str
    amount: Decimal
    note: str
    adjusted_by_id: int | None
    created_at: dt.datetime


@dataclass
class OwnerForecast:
    user_id: int | None
    name: str
    team_id: int | None
    figures: Figures = field(default_factory=Figures)
    quota: Decimal | None = None
    # The in-force adjustments, and how much they move commit and best case in all.
    adjustments: list[Adjustment] = field(default_factory=list)
    delta: dict[str, Decimal] = field(default_factory=dict)

    @property
    def attainment(self) -> Decimal | None:
        return attainment(self.figures.amount("closed"), self.quota)

    @property
    def adjusted(self) -> dict[str, Decimal]:
        """Commit and best case after the adjustments (raw where none is in force)."""
        return _adjusted(self.figures, self.delta)


@dataclass
class TeamForecast:
    team_id: int
    name: str
    manager_id: int | None
    members: list[OwnerForecast] = field(default_factory=list)
    teams: list[TeamForecast] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)
    quota: Decimal | None = None
    delta: dict[str, Decimal] = field(default_factory=dict)

    @property
    def attainment(self) -> Decimal | None:
        return attainment(self.figures.amount("closed"), self.quota)

    @property
    def adjusted(self) -> dict[str, Decimal]:
        return _adjusted(self.figures, self.delta)

    def walk(self) -> Iterator[TeamForecast]:
        yield self
        for team in self.teams:
            yield from team.walk()


@dataclass
class Forecast:
    periods: list[FiscalPeriod]
    teams: list[TeamForecast]
    unassigned: list[OwnerForecast]  # owners in no team, and opportunities nobody owns
    total: Figures
    quota: Decimal | None
    delta: dict[str, Decimal]
    by_period: list[tuple[FiscalPeriod, Figures]]

    @property
    def attainment(self) -> Decimal | None:
        return attainment(self.total.amount("closed"), self.quota)

    @property
    def adjusted(self) -> dict[str, Decimal]:
        return _adjusted(self.total, self.delta)

    def owners(self) -> Iterator[OwnerForecast]:
        for root in self.teams:
            for team in root.walk():
                yield from team.members
        yield from self.unassigned


def _add_delta(into: dict[str, Decimal], extra: dict[str, Decimal]) -> None:
    for category, change in extra.items():
        into[category] = into.get(category, ZERO) + change


def _add_quota(current: Decimal | None, extra: Decimal | None) -> Decimal | None:
    if extra is None:
        return current
    return extra if current is None else current + extra


# --- the one grouped query -------------------------------------------------------------------


def _cursor_rows(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The rows of a grouped queryset read straight from the cursor: the ORM writes the SQL
    (the visibility filter included), and the per-value converters it would then apply cost
    more than the query itself on a forecast of a thousand owners."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. visible_to() of a user who sees no opportunity
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _money(value: float | Decimal | None) -> Decimal:
    """A sum of money as the database gives it (a number on SQLite, a Decimal on PostgreSQL),
    to the cent."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(f"{value:.2f}")


def grouped_figures(
    opportunities: QuerySet[Opportunity], periods: list[FiscalPeriod]
) -> dict[tuple[int | None, int], Figures]:
    """Figures per (owner id, period index), from one GROUP BY owner, forecast category.

    It reads only close date, owner, category, amount and expected revenue (COUNT(*), not
    COUNT(id)), so an index on those five columns answers it without touching the table."""
    scoped = opportunities.filter(
        close_date__gte=periods[0].start, close_date__lte=periods[-1].end
    ).order_by()
    found: dict[tuple[int | None, int], Figures] = defaultdict(Figures)

    def record(
        owner: int | None,
        index: int,
        category: str,
        amount: float | Decimal | None,
        count: int,
        weighted: float | Decimal | None,
    ) -> None:
        if not count:
            return
        figures = found[(owner, index)]
        figures.amounts[category] += _money(amount)
        figures.counts[category] += count
        if category in OPEN_CATEGORIES:
            figures.weighted += _money(weighted)

    if len(periods) == 1:
        rows = scoped.values_list("owner_id", "forecast_category").annotate(
            amount=Sum("amount"), count=Count("*"), weighted=Sum("expected_revenue")
        )
        for owner, category, amount, count, weighted in _cursor_rows(rows):
            figures = found[(owner, 0)]
            figures.amounts[category] = _money(amount)
            figures.counts[category] = count
            if category in OPEN_CATEGORIES:
                figures.weighted += _money(weighted)
        return found

    aggregates: dict[str, Aggregate] = {}
    for index, period in enumerate(periods):
        inside = Q(close_date__gte=period.start, close_date__lte=period.end)
        aggregates[f"a{index}"] = Sum("amount", filter=inside)
        aggregates[f"n{index}"] = Count("close_date", filter=inside)
        aggregates[f"w{index}"] = Sum("expected_revenue", filter=inside)
    grouped = scoped.values_list("owner_id", "forecast_category").annotate(**aggregates)
    for owner, category, *sums in _cursor_rows(grouped):
        for index in range(len(periods)):
            amount, count, weighted = sums[3 * index : 3 * index + 3]
            record(owner, index, category, amount, count, weighted)
    return found


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
) -> tuple[dict[int, Decimal], dict[tuple[int, int, str], Adjustment]]:
    """Quotas per user over ``periods``, and the adjustments in force per (user, period index,
    category): the newest row wins and a row without an amount withdraws the adjustment.

    Quotas and adjustments share one UNION query: a report costs as few queries as a list.
    """
    first, last = periods[0].start, periods[-1].end
    columns = ("kind", "user_id", "period", "period_start", "period_end", "amount")
    quotas = (
        Quota.objects.visible_to(viewer)
        .filter(period_start__gte=first, period_end__lte=last)
        .annotate(
            kind=Value("quota"),
            category=Value(""),
            note=Value(""),
            by=Value(None, output_field=BigIntegerField()),
            at=F("updated_at"),
        )
        .values_list(*columns, "category", "note", "by", "at", "pk")
        .order_by()
    )
    adjustments = (
        ForecastAdjustment.objects.visible_to(viewer)
        .filter(period_start__gte=first, period_end__lte=last)
        .annotate(kind=Value("adjustment"), by=F("adjusted_by_id"), at=F("created_at"))
        .values_list(*columns, "category", "note", "by", "at", "pk")
        .order_by()
    )
    quota_rows: dict[int, list[tuple[dt.date, dt.date, Decimal]]] = defaultdict(list)
    index = {(p.start, p.end): i for i, p in enumerate(periods)}
    in_force: dict[tuple[int, int, str], Adjustment | None] = {}
    rows = sorted(quotas.union(adjustments, all=True), key=lambda row: (row[9], row[10]))
    for kind, user_id, period, start, end, amount, category, note, by, at, _ in rows:
        if kind == "quota":
            quota_rows[user_id].append((start, end, amount))
            continue
        position = index.get((start, end))
        if position is not None:
            in_force[(user_id, position, category)] = (
                None
                if amount is None
                else Adjustment(user_id, period, category, amount, note, by, at)
            )
    totals: dict[int, Decimal] = {}
    for user_id, user_rows in quota_rows.items():
        total = None
        for period in periods:
            total = _add_quota(total, _quota_for(period, user_rows))
        if total is not None:
            totals[user_id] = total
    return totals, {key: value for key, value in in_force.items() if value is not None}


def directory(user_ids: set[int]) -> tuple[dict[int, tuple[str, int | None]], dict[int, TeamRow]]:
    """The named users' display names and teams, and every team, in one UNION query."""
    display = Coalesce(
        NullIf(Trim(Concat("first_name", Value(" "), "last_name")), Value("")), "username"
    )
    # Past a few hundred ids, reading the (small) user table beats preparing and planning a
    # long IN list.
    users_wanted = (
        User.objects.all() if len(user_ids) > MAX_IN_LIST else User.objects.filter(pk__in=user_ids)
    )
    people = (
        users_wanted.annotate(
            kind=Value("user"), display=display, none=Value(None, BigIntegerField())
        )
        .values_list("kind", "pk", "display", "team_id", "none")
        .order_by()
    )
    teams = (
        Team.objects.annotate(kind=Value("team"))
        .values_list("kind", "pk", "name", "parent_id", "manager_id")
        .order_by()
    )
    users: dict[int, tuple[str, int | None]] = {}
    team_rows: dict[int, TeamRow] = {}
    for kind, pk, name, parent_or_team, manager in teams.union(people, all=True):
        if kind == "user":
            if pk in user_ids:
                users[pk] = (name, parent_or_team)
        else:
            team_rows[pk] = (name, parent_or_team, manager)
    return users, team_rows


# --- the roll-up -----------------------------------------------------------------------------


def _subtree(team_id: int, teams: dict[int, TeamRow]) -> set[int]:
    if team_id not in teams:
        return set()
    found, grew = {team_id}, True
    while grew:
        below = {pk for pk, (_, parent, _) in teams.items() if parent in found}
        grew = not below <= found
        found |= below
    return found


def forecast_for(viewer: User, periods: list[FiscalPeriod], team_id: int | None = None) -> Forecast:
    """The forecast of ``periods`` (one, or a consecutive range) as ``viewer`` may see it,
    optionally only for the subtree of one team."""
    per_owner_period = grouped_figures(Opportunity.objects.visible_to(viewer), periods)
    quotas, adjustments = manual_inputs(viewer, periods)

    user_ids = {owner for owner, _ in per_owner_period if owner is not None} | set(quotas)
    users, teams = directory(user_ids)
    in_scope = _subtree(team_id, teams) if team_id is not None else None

    owners: dict[int | None, OwnerForecast] = {}

    def owner(user_id: int | None) -> OwnerForecast:
        if user_id not in owners:
            name, team = (
                users.get(user_id, ("(no owner)", None)) if user_id else ("(no owner)", None)
            )
            owners[user_id] = OwnerForecast(user_id, name, team)
        return owners[user_id]

    by_period = [Figures() for _ in periods]
    single = len(periods) == 1
    for (user_id, index), figures in per_owner_period.items():
        row = owner(user_id)
        if in_scope is not None and row.team_id not in in_scope:
            continue
        if single:
            row.figures = figures  # one group per owner: no copy needed
        else:
            row.figures.add(figures)
            by_period[index].add(figures)
    for user_id, amount in quotas.items():
        row = owner(user_id)
        if in_scope is None or row.team_id in in_scope:
            row.quota = amount
    if in_scope is not None:
        owners = {k: row for k, row in owners.items() if row.team_id in in_scope}
    # An adjustment replaces the owner's raw figure of its period and category.
    for (user_id, index, category), adjustment in adjustments.items():
        found = owners.get(user_id)
        if found is None:
            continue
        raw = per_owner_period.get((user_id, index))
        change = adjustment.amount - (raw.amount(category) if raw else ZERO)
        found.delta[category] = found.delta.get(category, ZERO) + change
        found.adjustments.append(adjustment)

    nodes = {pk: TeamForecast(pk, name, manager) for pk, (name, parent, manager) in teams.items()}
    unassigned: list[OwnerForecast] = []
    for row in sorted(owners.values(), key=lambda r: r.name.casefold()):
        if row.team_id in nodes and row.user_id is not None:
            nodes[row.team_id].members.append(row)
        else:
            unassigned.append(row)
    for pk, (_, parent, _) in sorted(teams.items(), key=lambda t: t[1][0].casefold()):
        if parent in nodes:
            nodes[parent].teams.append(nodes[pk])

    def roll_up(node: TeamForecast) -> bool:
        """Totals of a team from its members and sub-teams; False when it holds nothing."""
        node.teams = [child for child in node.teams if roll_up(child)]
        parts: list[OwnerForecast | TeamForecast] = [*node.members, *node.teams]
        for part in parts:
            node.figures.add(part.figures)
            node.quota = _add_quota(node.quota, part.quota)
            _add_delta(node.delta, part.delta)
        return bool(node.members or node.teams)

    if team_id is not None:
        roots = [nodes[team_id]] if team_id in nodes else []
        unassigned = []
    else:
        roots = [nodes[pk] for pk, (_, parent, _) in teams.items() if parent not in nodes]
        roots.sort(key=lambda node: node.name.casefold())
    roots = [root for root in roots if roll_up(root)]

    total, quota = Figures(), None
    delta: dict[str, Decimal] = {}
    top: list[OwnerForecast | TeamForecast] = [*roots, *unassigned]
    for part in top:
        total.add(part.figures)
        quota = _add_quota(quota, part.quota)
        _add_delta(delta, part.delta)
    return Forecast(
        periods=periods,
        teams=roots,
        unassigned=unassigned,
        total=total,
        quota=quota,
        delta=delta,
        by_period=[(periods[0], total)] if single else list(zip(periods, by_period, strict=True)),
    )
