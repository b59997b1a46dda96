"""Funnel and rates (PRODUCT.md section 5), each from one grouped query over what the viewer
may see.

- Funnel: leads created in the period, and of them how many were worked (left the default
  status), qualified (reached ``qualified`` or were converted), converted, and won (their
  opportunity, if the viewer may see it, is won); conversion rate = converted / created.
- Win rate = won / (won + lost) of the opportunities closed in the period, by owner, lead
  source, campaign, name (the product, in the Maven data) or stage reached (the furthest open
  stage of the history, counting every stage up to it as reached).
- Average deal size = won amount / won count; sales cycle = days from creation to close date
  of won deals; pipeline velocity = open deals x win rate x average deal size / cycle days,
  the expected won amount per day.
- Time in stage (``stays``): the days each finished stay in an open stage lasted.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DurationField,
    Expression,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from opportune.fiscal import FiscalPeriod
from opportune.identity import policy
from opportune.identity.models import User
from opportune.leads.models import Lead, LeadSource
from opportune.opportunities.models import Opportunity

from .asof import end_of_day
from .elapsed import elapsed
from .forecast import OPEN_CATEGORIES, ZERO
from .local_date import LocalDate
from .owners import visible_deals, visible_leads, visible_owners
from .stage_time import StageTime as StageTime  # time in stage: stage_time.py
from .stage_time import time_in_stage as time_in_stage
from .stays import win_rates_by_stage_reached as _win_rates_by_stage_reached

FunnelBy = Literal["period", "source", "campaign", "owner"]
WinRateBy = Literal["owner", "source", "campaign", "name", "stage"]
FUNNEL_STEPS = ("created", "worked", "qualified", "converted", "won")
# Rows are counted by a NOT NULL column of the covering indexes rather than by id, which
# PostgreSQL's indexes do not hold: COUNT(id) made it read the table (a sequential scan).
LEAD_ROW, DEAL_ROW = "created_at", "close_date"
SQLITE_DECIMAL = decimal.Context(prec=15)
CYCLE_FROM = dt.date(1990, 1, 1)  # no deal is older: the local-day offsets start here


def ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def _days(value: dt.timedelta | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.total_seconds()) / 86400).quantize(Decimal("0.01"))


def _owner_names(ids: set[int]) -> dict[int, str]:
    return {
        pk: f"{first} {last}".strip() or username
        for pk, first, last, username in User.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name", "username"
        )
    }


def _label(by: str, key: object, names: dict[int, str]) -> str:
    if key in (None, ""):
        return "(none)"
    if by == "owner" and isinstance(key, int):
        return names.get(key, str(key))
    if by == "source":
        return dict(LeadSource.choices).get(str(key), str(key))
    return str(key)


# --- funnel -------------------------------------------------------------------------------------


@dataclass
class FunnelRow:
    key: str
    label: str
    created: int = 0
    worked: int = 0
    qualified: int = 0
    converted: int = 0
    won: int = 0
    days_to_convert: Decimal | None = None

    @property
    def conversion_rate(self) -> Decimal | None:
        return ratio(self.converted, self.created)


def _with_won_deal(leads: QuerySet[Lead], viewer: User) -> tuple[QuerySet[Lead], Q]:
    """The leads, and the condition that a lead's opportunity is won and visible to the
    viewer. Where the deals' rule is a list of owners, the lead's own opportunity is joined
    with those conditions in the join (``FilteredRelation``): one lookup by primary key per
    lead on SQLite, a hash of the visible won deals only (index ``opp_won_owner``) on
    PostgreSQL. Otherwise a subquery listing every visible won deal."""
    scope = policy.visible_owners(viewer, "opportunity")
    if scope is None or scope.nothing:
        won_deals = Opportunity.objects.visible_to(viewer).filter(is_won=True).values("pk")
        return leads, Q(converted_opportunity__in=won_deals)
    won = Q(converted_opportunity__is_won=True, converted_opportunity__deleted_at__isnull=True)
    owners = scope.q("converted_opportunity__owner")
    joined = leads.annotate(
        won_deal=FilteredRelation(
            "converted_opportunity", condition=won if owners is None else won & owners
        )
    )
    return joined, Q(won_deal__isnull=False)


def _funnel_measures(won: Q) -> dict[str, object]:
    """Each step's count and the summed time to convert: sums, so that the parts of what the
    viewer sees add up exactly (the average is the sum over the converted count)."""
    to_convert = elapsed("converted_at", "created_at")  # native on SQLite: elapsed.py
    return {
        "created": Count(LEAD_ROW),
        "worked": Count(LEAD_ROW, filter=Q(status__is_default=False) | Q(is_converted=True)),
        "qualified": Count(LEAD_ROW, filter=Q(status__key="qualified") | Q(is_converted=True)),
        "converted": Count(LEAD_ROW, filter=Q(is_converted=True)),
        "won": Count(LEAD_ROW, filter=won),
        "to_convert": Sum(to_convert, filter=Q(is_converted=True)),
        "timed": Count("converted_at", filter=Q(is_converted=True)),
    }


def funnel(viewer: User, periods: list[FiscalPeriod], by: FunnelBy = "period") -> list[FunnelRow]:
    """The lead funnel of leads created in ``periods``, per period or per source, campaign or
    owner: one grouped query per part of the leads the viewer sees (``owners.visible_leads``:
    her owners' leads, the unowned ones, each a range of an index starting with the owner),
    the parts' rows added up (counts and the time to convert summed, its average taken
    after)."""
    column = {"period": "bucket", "source": "source", "campaign": "campaign", "owner": "owner_id"}[
        by
    ]
    found: dict[object, FunnelRow] = {}
    if by == "period":
        found = {index: FunnelRow(p.key, p.label) for index, p in enumerate(periods)}
    spent: dict[object, tuple[dt.timedelta, int]] = {}
    for part in visible_leads(viewer):
        leads, won = _with_won_deal(part, viewer)
        for values in _funnel_groups(leads.order_by(), won, column, periods):
            key = values[column]
            if key not in found:
                if by == "period":
                    continue  # outside every period: cannot be, the range is theirs
                found[key] = FunnelRow(str(key or ""), "")
            row = found[key]
            for name in FUNNEL_STEPS:
                setattr(row, name, getattr(row, name) + values[name])
            total, timed = spent.get(key, (dt.timedelta(), 0))
            spent[key] = (total + (values["to_convert"] or dt.timedelta()), timed + values["timed"])
    rows = list(found.values())
    if by != "period":
        names = _owner_names({k for k in found if isinstance(k, int)}) if by == "owner" else {}
        for key, row in found.items():
            row.label = _label(by, key, names)
        rows.sort(key=lambda r: -r.created)
    for key, row in found.items():
        total, timed = spent.get(key, (dt.timedelta(), 0))
        row.days_to_convert = _days(total / timed) if timed else None
    return rows


def _funnel_groups(
    leads: QuerySet[Lead], won: Q, column: str, periods: list[FiscalPeriod]
) -> Iterable[Mapping[str, Any]]:
    """The funnel's measures per ``column``. Per period on SQLite, one aggregate per
    period's range of creation days in one statement (``UNION ALL``): each a range of the
    index on the creation day, where grouping by the period's ``CASE`` sorted every lead of
    the year (1M deals, the admin: a temporary b-tree over 200,000 leads). Not on PostgreSQL,
    which hashes the visible won deals for each member (region manager 135-180 ms grouped by
    the ``CASE``, 295-325 ms as a union). ``leads`` are not yet cut to the periods: a member
    cut to the whole range and to its period's made SQLite walk the index over the whole
    range (the first bounds it found) for each period, four times the rows (1M deals, the
    admin: 800 ms against 300)."""
    measures = _funnel_measures(won)
    created = Q(created_at__gte=_start(periods[0]), created_at__lt=_after(periods[-1]))
    if column == "bucket" and connection.vendor != "sqlite":
        bucket = Case(
            *(
                When(created_at__gte=_start(p), created_at__lt=_after(p), then=Value(index))
                for index, p in enumerate(periods)
            ),
            output_field=IntegerField(),
        )
        by_case: Iterable[Mapping[str, Any]] = (
            leads.filter(created).annotate(bucket=bucket).values("bucket").annotate(**measures)
        )
        return by_case
    if column != "bucket":
        grouped: Iterable[Mapping[str, Any]] = (
            leads.filter(created).values(column).annotate(**measures)
        )
        return grouped
    first, *rest = [
        leads.filter(created_at__gte=_start(p), created_at__lt=_after(p))
        .annotate(bucket=Value(index, output_field=IntegerField()))
        .values("bucket")
        .annotate(**measures)
        for index, p in enumerate(periods)
    ]
    return first.union(*rest, all=True) if rest else first


def _start(period: FiscalPeriod) -> dt.datetime:
    return end_of_day(period.start - dt.timedelta(days=1))


def _after(period: FiscalPeriod) -> dt.datetime:
    return end_of_day(period.end)


# --- win rates ----------------------------------------------------------------------------------


@dataclass
class RateRow:
    key: str
    label: str
    won: int = 0
    lost: int = 0
    won_amount: Decimal = ZERO

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> Decimal | None:
        return ratio(self.won, self.closed)

    @property
    def average_deal_size(self) -> Decimal | None:
        return (self.won_amount / self.won).quantize(Decimal("0.01")) if self.won else None


def closed_in(viewer: User, periods: list[FiscalPeriod] | None) -> list[QuerySet[Opportunity]]:
    """The deals closed in ``periods`` (all if None) that the viewer sees, in the disjoint
    parts of ``owners.visible_deals`` (her owners' deals, the unowned ones): each part a
    range of an index starting with the owner (``opp_owner_closed``), which neither database
    reads under one ``OR`` of the two."""
    closed = _closed(periods)
    return [
        part.filter(closed).order_by() for part in visible_deals(viewer, visible_owners(viewer))
    ]


def _closed(periods: list[FiscalPeriod] | None) -> Q:
    closed = Q(is_closed=True)
    if periods:
        closed &= Q(close_date__gte=periods[0].start, close_date__lte=periods[-1].end)
    return closed


@dataclass
class RateTable:
    """The first rows of a win-rate table (most closed deals first) and how many groups the
    whole table has: grouped by name there can be one per deal."""

    rows: list[RateRow]
    groups: int


def win_rates(
    viewer: User, periods: list[FiscalPeriod] | None, by: WinRateBy = "owner"
) -> list[RateRow]:
    """Won / (won + lost) per value of ``by``, for deals closed in ``periods`` (all if None):
    every group, most closed deals first."""
    return rate_table(viewer, periods, by).rows


def rate_table(
    viewer: User,
    periods: list[FiscalPeriod] | None,
    by: WinRateBy = "owner",
    limit: int | None = None,
) -> RateTable:
    """``win_rates``' table cut to its first ``limit`` groups in the database (one grouped
    statement that also counts the groups, ``COUNT(*) OVER ()``): a page shows the groups
    with the most closed deals, the CSV all of them."""
    measures = {
        "won": Count(DEAL_ROW, filter=Q(is_won=True)),
        "lost": Count(DEAL_ROW, filter=Q(is_won=False)),
        "won_amount": Sum("amount", filter=Q(is_won=True)),
    }
    if by == "stage":
        # One statement under the OR of the parts: the stored reach's closed deals, or each
        # deal joined to its reach, which each part's statement read whole again
        # (PostgreSQL, a region's manager at 1M: 440-690 ms in two parts against 380-440).
        whole = Opportunity.objects.visible_by_owner_ids(viewer).filter(_closed(periods))
        period = (periods[0].start, periods[-1].end) if periods else None
        rows = _win_rates_by_stage_reached(viewer, whole.order_by(), period, measures)
        return RateTable(rows[:limit], len(rows))
    column = {"owner": "owner_id", "source": "lead_source", "campaign": "campaign", "name": "name"}[
        by
    ]
    parts = closed_in(viewer, periods)
    grouped_parts = [
        part.values(column).annotate(**measures, closed=Count(DEAL_ROW)) for part in parts
    ]
    if len(grouped_parts) == 1:
        grouped_query = (
            grouped_parts[0].annotate(groups=Window(Count("*"))).order_by("-closed", column)
        )
        grouped = [
            (r[column], r["won"], r["lost"], r["won_amount"], r["groups"])
            for r in (grouped_query if limit is None else grouped_query[:limit])
        ]
    else:
        grouped = _merged_groups(grouped_parts, column, limit)
    names = _owner_names({r[0] for r in grouped if r[0]}) if by == "owner" else {}
    rows = [
        RateRow(str(key or ""), _label(by, key, names), won, lost, won_amount or ZERO)
        for key, won, lost, won_amount, _groups in grouped
    ]
    rows.sort(key=lambda r: (-r.closed, r.label))
    return RateTable(rows, grouped[0][4] if grouped else 0)


def _merged_groups(
    grouped_parts: list[QuerySet[Opportunity, dict[str, Any]]], column: str, limit: int | None
) -> list[tuple[Any, int, int, Decimal | None, int]]:
    """The parts' grouped rows added up per group in one statement (``UNION ALL`` of the
    parts, each grouped on its own index range, then grouped again), ordered and cut to
    ``limit`` groups in the database after the adding, with the number of groups: the
    first groups of the whole, not of each part."""
    members: list[str] = []
    params: list[Any] = []
    for part in grouped_parts:
        sql, part_params = part.order_by().query.sql_with_params()
        members.append(sql)
        params.extend(part_params)
    q = connection.ops.quote_name
    key = q(column)
    statement = (
        f"SELECT {key}, SUM({q('won')}), SUM({q('lost')}), SUM({q('won_amount')}), "
        f"SUM({q('closed')}) AS total, COUNT(*) OVER () "
        f"FROM ({' UNION ALL '.join(members)}) parts GROUP BY {key} ORDER BY total DESC, {key}"
    )
    if limit is not None:
        statement += " LIMIT %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [
            (group, int(won), int(lost), _decimal(amount), int(groups))
            for group, won, lost, amount, _total, groups in cursor.fetchall()
        ]


def _decimal(value: object) -> Decimal | None:
    """A summed amount as the ORM returns it: exact on PostgreSQL; on SQLite, which sums
    decimals as floats, to the 15 significant digits it stores (its ``Sum`` converter)."""
    if value is None or isinstance(value, Decimal):
        return value
    return SQLITE_DECIMAL.create_decimal_from_float(value)  # type: ignore[arg-type]


# --- deal size, cycle, velocity -----------------------------------------------------------------


@dataclass
class SalesSummary:
    won: int
    lost: int
    won_amount: Decimal
    average_deal_size: Decimal | None
    cycle_days: Decimal | None  # won deals, creation to close date
    open_count: int
    open_amount: Decimal

    @property
    def win_rate(self) -> Decimal | None:
        return ratio(self.won, self.won + self.lost)

    @property
    def velocity_per_day(self) -> Decimal | None:
        """Expected won amount per day: open deals x win rate x deal size / cycle days."""
        if not (self.win_rate and self.average_deal_size and self.cycle_days):
            return None
        value = self.open_count * self.win_rate * self.average_deal_size / self.cycle_days
        return value.quantize(Decimal("0.01"))


def _cycle() -> Expression:
    """Close date minus the local day of creation, as a duration. On SQLite natively, in
    microseconds as Django stores durations there: ``TruncDate`` and the date subtraction
    would call two Python functions per row. The zone's offsets are taken from 1990 on."""
    if connection.vendor != "sqlite":
        return ExpressionWrapper(
            F("close_date") - TruncDate("created_at"), output_field=DurationField()
        )
    return Func(
        F("close_date"),
        LocalDate("created_at", CYCLE_FROM, timezone.localdate() + dt.timedelta(days=3660)),
        template="CAST((julianday(%(expressions)s)) * 86400000000 AS INTEGER)",
        arg_joiner=") - julianday(",
        output_field=DurationField(),
    )


def sales_summary(viewer: User, periods: list[FiscalPeriod] | None) -> SalesSummary:
    """Rates of the deals closed in ``periods`` and today's open pipeline. The closed deals
    and the open ones are two aggregates, each over the disjoint parts of what the viewer
    sees (``owners.visible_deals``: her owners' deals, the unowned ones): each reads a range
    of its covering index (``opp_owner_closed`` / ``opp_closed`` by close date,
    ``opp_open_by_owner`` / ``opp_open_deals``). One aggregate under ``closed OR open``
    read every deal of the viewer: at a million deals, a region's manager's 200,000 rather
    than the 150,000 the two ranges hold (PostgreSQL 473 ms against 30 + 93)."""
    closed = Q(is_closed=True)
    if periods:
        closed &= Q(close_date__gte=periods[0].start, close_date__lte=periods[-1].end)
    open_now = Q(is_closed=False, forecast_category__in=OPEN_CATEGORIES)
    won, lost, won_amount, cycle, open_count, open_amount = 0, 0, ZERO, dt.timedelta(), 0, ZERO
    for deals in visible_deals(viewer, visible_owners(viewer)):
        done = deals.filter(closed).aggregate(
            won=Count(DEAL_ROW, filter=Q(is_won=True)),
            lost=Count(DEAL_ROW, filter=Q(is_won=False)),
            won_amount=Sum("amount", filter=Q(is_won=True)),
            cycle=Sum(_cycle(), filter=Q(is_won=True)),
        )
        still_open = deals.filter(open_now).aggregate(count=Count(DEAL_ROW), amount=Sum("amount"))
        won += done["won"]
        lost += done["lost"]
        won_amount += done["won_amount"] or ZERO
        cycle += done["cycle"] or dt.timedelta()
        open_count += still_open["count"]
        open_amount += still_open["amount"] or ZERO
    return SalesSummary(
        won=won,
        lost=lost,
        won_amount=won_amount,
        average_deal_size=(won_amount / won).quantize(Decimal("0.01")) if won else None,
        cycle_days=_days(cycle / won) if won else None,
        open_count=open_count,
        open_amount=open_amount,
    )
