"""The forecast of a period or a range of periods, per owner and rolled up the team tree.

Categories roll up cumulatively (PRODUCT.md section 5): closed; commit = closed + commit;
best case = closed + commit + best case; open pipeline = pipeline + best case + commit;
omitted is excluded. The weighted pipeline is the expected revenue of the open categories.

The opportunities are read in ONE grouped query (owner x forecast category, with one
conditional sum per period when a range is asked for) from what the viewer may see; the few
hundred resulting rows are rolled up the team tree here. Users, teams, quotas and adjustments
take one query each, so the number of queries never grows with owners or opportunities.

The hierarchy is Salesforce's (docs/forecasting.md): a team stands for its manager, so a
manager's quota is the team's target (the quotas one level down are shown beside it, never
added to it; without a manager's quota the team's is their sum), and attainment = closed /
quota at every level. An adjustment of a node's rolled-up commit or best case REPLACES that
node's figure in every level above; after adjustments the figures stay cumulative
(``ordered``). Raw and adjusted figures are both kept, with who adjusted.
"""

from __future__ import annotations

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
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat, NullIf, Trim

from opportune.fiscal import FiscalPeriod
from opportune.identity.models import Team, User
from opportune.opportunities.models import ForecastCategory, Opportunity

from .inputs import (
    Adjustment,
    InForce,
    Subject,
    TeamRow,
    add_quota,
    heads_of,
    in_force,
    manual_inputs,
    subject_of,
)
from .models import AdjustedCategory

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


Amounts = dict[str, Decimal]  # one amount per cumulative figure (ROLLUPS)


def cumulative(figures: Figures | None) -> Amounts:
    return {rollup: figures.amount(rollup) if figures else ZERO for rollup in ROLLUPS}


def ordered(amounts: Amounts) -> Amounts:
    """The figures kept cumulative after adjustments: closed <= commit <= best case <= closed
    + open pipeline. Each higher figure is raised to at least the (adjusted) lower one; a
    lower figure is never moved by a higher one's adjustment, and closed is never adjusted."""
    closed = amounts["closed"]
    commit = max(amounts["commit"], closed)
    best_case = max(amounts["best_case"], commit)
    pipeline = max(amounts["pipeline"], best_case - closed)
    return {"closed": closed, "commit": commit, "best_case": best_case, "pipeline": pipeline}


def _sum_amounts(parts: list[Amounts]) -> Amounts:
    return {rollup: sum((part[rollup] for part in parts), ZERO) for rollup in ROLLUPS}


def attainment(closed: Decimal, quota: Decimal | None) -> Decimal | None:
    """Closed / quota as a fraction (0.5 is half-way), or None without a positive quota."""
    if not quota:
        return None
    return (closed / quota).quantize(Decimal("0.0001"))


@dataclass
class OwnerForecast:
    user_id: int | None
    name: str
    team_id: int | None
    figures: Figures = field(default_factory=Figures)
    # A user who manages a team has no quota of their own here: theirs is the team's.
    quota: Decimal | None = None
    heads: int | None = None  # the team this user manages: their adjustments apply there
    adjusted: Amounts = field(default_factory=lambda: cumulative(None))
    adjustments: list[Adjustment] = field(default_factory=list)  # in force on this node

    @property
    def attainment(self) -> Decimal | None:
        return attainment(self.figures.amount("closed"), self.quota)


@dataclass
class TeamForecast:
    team_id: int
    name: str
    manager_id: int | None
    members: list[OwnerForecast] = field(default_factory=list)
    teams: list[TeamForecast] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)
    # The team's target: its manager's quota, else the sum of ``members_quota``.
    quota: Decimal | None = None
    manager_quota: Decimal | None = None
    # The quotas one level down (members' and sub-teams'): information, never added.
    members_quota: Decimal | None = None
    adjusted: Amounts = field(default_factory=lambda: cumulative(None))
    adjustments: list[Adjustment] = field(default_factory=list)

    @property
    def attainment(self) -> Decimal | None:
        return attainment(self.figures.amount("closed"), self.quota)

    @property
    def quota_mismatch(self) -> bool:
        """The manager's quota differs from the sum of the quotas one level down."""
        return (
            self.manager_quota is not None
            and self.members_quota is not None
            and self.manager_quota != self.members_quota
        )

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
    adjusted: Amounts
    by_period: list[tuple[FiscalPeriod, Figures]]
    history: list[Adjustment] = field(default_factory=list)  # newest first
    heads: dict[int, int] = field(default_factory=dict)  # manager id -> the team they head

    @property
    def attainment(self) -> Decimal | None:
        return attainment(self.total.amount("closed"), self.quota)

    def owners(self) -> Iterator[OwnerForecast]:
        for root in self.teams:
            for team in root.walk():
                yield from team.members
        yield from self.unassigned

    def node(self, subject: Subject) -> OwnerForecast | TeamForecast | None:
        """The row standing for a user (the team they manage, if any) or a team."""
        kind, pk = subject
        if kind == "user" and pk in self.heads:
            kind, pk = "team", self.heads[pk]
        if kind == "team":
            return next((t for root in self.teams for t in root.walk() if t.team_id == pk), None)
        return next((owner for owner in self.owners() if owner.user_id == pk), None)


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


def _replaced(
    forcing: InForce,
    subject: Subject,
    per_period: list[Amounts],
    node: OwnerForecast | TeamForecast,
) -> list[Amounts]:
    """A node's figures per period, its adjustments in force put in place of the roll-up
    below it, then kept in order."""
    found = []
    for index, amounts in enumerate(per_period):
        for category in ADJUSTABLE:
            adjustment = forcing.get((subject, index, category))
            if adjustment is not None and adjustment.amount is not None:
                amounts[category] = adjustment.amount
                node.adjustments.append(adjustment)
        found.append(ordered(amounts))
    return found


def forecast_for(viewer: User, periods: list[FiscalPeriod], team_id: int | None = None) -> Forecast:
    """The forecast of ``periods`` (one, or a consecutive range) as ``viewer`` may see it,
    optionally only for the subtree of one team."""
    per_owner_period = grouped_figures(Opportunity.objects.visible_to(viewer), periods)
    quotas, history = manual_inputs(viewer, periods)

    user_ids = {owner for owner, _ in per_owner_period if owner is not None} | set(quotas)
    user_ids |= {pk for _, a in history for pk in (a.user_id, a.adjusted_by_id) if pk}
    users, teams = directory(user_ids)
    in_scope = _subtree(team_id, teams) if team_id is not None else None
    heads = heads_of(teams)
    forcing = in_force(history, heads)
    count = len(periods)

    owners: dict[int | None, OwnerForecast] = {}

    def owner(user_id: int | None) -> OwnerForecast:
        if user_id not in owners:
            name, team = (
                users.get(user_id, ("(no owner)", None)) if user_id else ("(no owner)", None)
            )
            owners[user_id] = OwnerForecast(user_id, name, team, heads=heads.get(user_id or 0))
        return owners[user_id]

    by_period = [Figures() for _ in periods]
    single = count == 1
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
        if user_id in heads:
            continue  # a manager's quota is the target of the team they head
        row = owner(user_id)
        if in_scope is None or row.team_id in in_scope:
            row.quota = amount
    for (kind, user_id), _, _ in forcing:
        if kind == "user":
            owner(user_id)  # an adjusted figure is shown even where nothing is raw
    if in_scope is not None:
        owners = {k: row for k, row in owners.items() if row.team_id in in_scope}
    leaf_periods: dict[int | None, list[Amounts]] = {}
    for user_id, row in owners.items():
        raw = [cumulative(per_owner_period.get((user_id, i))) for i in range(count)]
        adjustable = user_id is not None and row.heads is None
        subject: Subject = ("user", user_id or 0)
        leaf_periods[user_id] = _replaced(forcing, subject, raw, row) if adjustable else raw
        row.adjusted = _sum_amounts(leaf_periods[user_id])

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

    def roll_up(node: TeamForecast) -> list[Amounts] | None:
        """A team's figures per period from its members and sub-teams, its quota and its
        adjusted figures; None when it holds nothing."""
        parts: list[list[Amounts]] = []
        kept = []
        for child in node.teams:
            child_periods = roll_up(child)
            if child_periods is not None:
                kept.append(child)
                parts.append(child_periods)
        node.teams = kept
        if heads.get(node.manager_id or 0) == node.team_id:
            node.manager_quota = quotas.get(node.manager_id or 0)
        if not (node.members or node.teams or node.manager_quota):
            return None
        for member in node.members:
            node.figures.add(member.figures)
            node.members_quota = add_quota(node.members_quota, member.quota)
            parts.append(leaf_periods[member.user_id])
        for child in node.teams:
            node.figures.add(child.figures)
            node.members_quota = add_quota(node.members_quota, child.quota)
        node.quota = node.members_quota if node.manager_quota is None else node.manager_quota
        summed = [_sum_amounts([part[i] for part in parts]) for i in range(count)]
        adjusted = _replaced(forcing, ("team", node.team_id), summed, node)
        node.adjusted = _sum_amounts(adjusted)
        return adjusted

    if team_id is not None:
        roots = [nodes[team_id]] if team_id in nodes else []
        unassigned = []
    else:
        roots = [nodes[pk] for pk, (_, parent, _) in teams.items() if parent not in nodes]
        roots.sort(key=lambda node: node.name.casefold())
    roots = [root for root in roots if roll_up(root) is not None]

    total, quota = Figures(), None
    top: list[OwnerForecast | TeamForecast] = [*roots, *unassigned]
    for part in top:
        total.add(part.figures)
        quota = add_quota(quota, part.quota)
    forecast = Forecast(
        periods=periods,
        teams=roots,
        unassigned=unassigned,
        total=total,
        quota=quota,
        adjusted=_sum_amounts([part.adjusted for part in top]),
        by_period=[(periods[0], total)] if single else list(zip(periods, by_period, strict=True)),
        heads=heads,
    )
    forecast.history = _history(forecast, history, users)
    return forecast


def _history(
    forecast: Forecast, rows: list[tuple[int, Adjustment]], users: dict[int, tuple[str, int | None]]
) -> list[Adjustment]:
    """The adjustments of the rows shown, newest first, with the names of who and whom."""
    found = []
    for _, row in reversed(rows):
        node = forecast.node(subject_of(row, forecast.heads))
        if node is None:
            continue
        row.subject = node.name
        row.adjusted_by = users.get(row.adjusted_by_id or 0, ("", None))[0]
        found.append(row)
    return found
