"""Loading Maven Analytics' "CRM Sales Opportunities" data set (../shared/data/maven-crm).

The mapping, chosen to keep every figure of the source computable in Opportune:

- accounts.csv -> accounts: sector -> industry (the misspelt ``technolgy`` fixed), revenue in
  millions -> annual_revenue, office_location -> billing country, subsidiary_of -> parent.
  The year of establishment has no field and is dropped. Open deals without an account
  (1,425 of them) go to one placeholder account, since Opportune requires one.
- sales_teams.csv -> each regional office is a team; under it, each manager's team, managed
  by the manager (a sales manager); the agents are sales reps in their manager's team.
- sales_pipeline.csv -> one opportunity per row, named after its product (``GTXPro`` is the
  ``GTX Pro`` of products.csv), in a pipeline of the source's four stages: Prospecting,
  Engaging, Won (closed won) and Lost (closed lost, reason "other": the source gives none).
  The amount is the product's list price while open, and close_value once won.
- Stage history: a deal enters Engaging on its engage_date, and Won or Lost on its
  close_date. Prospecting deals carry no date; they are dated on the export's last day.
  Their close date, never given while open, is Opportune's own default: the last day of the
  fiscal quarter in which the deal was opened. Closing sets the real close date.

Everything is validated before anything is written; the write is one transaction of bulk
inserts. Loading twice is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max, Min, OuterRef, Subquery
from django.utils import timezone

from opportune.accounts.models import Account, normalize_company
from opportune.errors import DomainError
from opportune.fiscal import fiscal_quarter_end
from opportune.identity.models import Role, Team, User
from opportune.opportunities.models import (
    ForecastCategory,
    LostReason,
    Opportunity,
    OpportunityHistory,
    Pipeline,
    Stage,
)
from opportune.schemas import normalize_country

PIPELINE_KEY = "maven"
# key, label, probability, forecast category, is_closed, is_won; the source's deal_stage -> key.
STAGES = [
    ("prospecting", "Prospecting", 10, ForecastCategory.PIPELINE, False, False),
    ("engaging", "Engaging", 50, ForecastCategory.PIPELINE, False, False),
    ("won", "Won", 100, ForecastCategory.CLOSED, True, True),
    ("lost", "Lost", 0, ForecastCategory.OMITTED, True, False),
]
SOURCE_STAGES = {"Prospecting": "prospecting", "Engaging": "engaging", "Won": "won", "Lost": "lost"}
PRODUCT_ALIASES = {"GTXPro": "GTX Pro"}
SECTOR_FIXES = {"technolgy": "technology"}
NO_ACCOUNT = "(no account given)"
ENGAGED_AT = dt.time(9, 0)
CLOSED_AT = dt.time(17, 0)
ZERO = Decimal("0.00")
FILES = ("accounts.csv", "products.csv", "sales_teams.csv", "sales_pipeline.csv")


class MavenDataError(DomainError):
    """The folder is not the Maven data set, or a row breaks its format."""


@dataclass
class Deal:
    source_id: str
    agent: str
    product: str
    account: str
    stage: str  # an Opportune stage key
    engage_date: dt.date | None
    close_date: dt.date | None
    close_value: Decimal | None


@dataclass
class MavenData:
    accounts: list[dict[str, str]]
    prices: dict[str, Decimal]
    agents: dict[str, tuple[str, str]]  # agent -> (manager, regional office)
    deals: list[Deal]
    as_of: dt.date = field(default=dt.date.min)


@dataclass
class LoadSummary:
    accounts: int
    teams: int
    users: int
    opportunities: int
    history_rows: int
    as_of: dt.date


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / name).open(newline="", encoding="utf-8-sig") as handle:
        return [
            {k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)
        ]


def _date(value: str, where: str, problems: list[str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(f"{where}: '{value}' is not a date (YYYY-MM-DD).")
        return None


def read_maven(directory: Path) -> MavenData:
    """Parse and check the four files; every problem is reported at once."""
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        raise MavenDataError(f"{directory} lacks {', '.join(missing)}: is it the maven-crm folder?")
    problems: list[str] = []
    prices: dict[str, Decimal] = {}
    for row in _rows(directory, "products.csv"):
        try:
            prices[row["product"]] = Decimal(row["sales_price"])
        except (InvalidOperation, KeyError):
            problems.append(f"products.csv: bad price for '{row.get('product')}'.")
    agents = {
        r["sales_agent"]: (r["manager"], r["regional_office"])
        for r in _rows(directory, "sales_teams.csv")
    }
    accounts = _rows(directory, "accounts.csv")
    account_names = {row["account"] for row in accounts}
    deals: list[Deal] = []
    for line, row in enumerate(_rows(directory, "sales_pipeline.csv"), start=2):
        where = f"sales_pipeline.csv line {line}"
        product = PRODUCT_ALIASES.get(row["product"], row["product"])
        stage = SOURCE_STAGES.get(row["deal_stage"])
        if product not in prices:
            problems.append(f"{where}: unknown product '{row['product']}'.")
        if row["sales_agent"] not in agents:
            problems.append(f"{where}: agent '{row['sales_agent']}' is in no sales team.")
        if row["account"] and row["account"] not in account_names:
            problems.append(f"{where}: unknown account '{row['account']}'.")
        if stage is None:
            problems.append(f"{where}: unknown deal stage '{row['deal_stage']}'.")
            continue
        engage = _date(row["engage_date"], where, problems)
        close = _date(row["close_date"], where, problems)
        closed = stage in ("won", "lost")
        if closed and (engage is None or close is None):
            problems.append(f"{where}: a {row['deal_stage']} deal needs engage and close dates.")
        if stage == "engaging" and engage is None:
            problems.append(f"{where}: an Engaging deal needs an engage date.")
        value = None
        if row["close_value"]:
            try:
                value = Decimal(row["close_value"])
            except InvalidOperation:
                problems.append(f"{where}: close_value '{row['close_value']}' is not a number.")
        if stage == "won" and value is None:
            problems.append(f"{where}: a Won deal needs a close_value.")
        deals.append(
            Deal(
                row["opportunity_id"],
                row["sales_agent"],
                product,
                row["account"],
                stage,
                engage,
                close,
                value,
            )
        )
    if problems:
        shown = "\n".join(problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise MavenDataError(f"The Maven data has {len(problems)} problem(s):\n{shown}{more}")
    dates = [d for deal in deals for d in (deal.engage_date, deal.close_date) if d]
    return MavenData(accounts, prices, agents, deals, max(dates) if dates else timezone.localdate())


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def username_for(name: str) -> str:
    return ".".join(name.lower().replace("'", "").split())[:150]


def _pipeline() -> tuple[Pipeline, dict[str, Stage]]:
    pipeline = Pipeline.objects.create(key=PIPELINE_KEY, name="Maven sales")
    stages = Stage.objects.bulk_create(
        Stage(
            pipeline=pipeline,
            key=key,
            label=label,
            order=(order + 1) * 10,
            default_probability=probability,
            forecast_category=category,
            is_closed=is_closed,
            is_won=is_won,
        )
        for order, (key, label, probability, category, is_closed, is_won) in enumerate(STAGES)
    )
    return pipeline, {stage.key: stage for stage in stages}


def _people(data: MavenData) -> tuple[dict[str, User], int]:
    """Offices, managers' teams and users; returns the users by source name, and teams made."""
    offices = sorted({office for _, office in data.agents.values()})
    managers = sorted({(manager, office) for manager, office in data.agents.values()})
    names = [f"{office} office" for office in offices] + [f"Team {m}" for m, _ in managers]
    usernames = [username_for(n) for n in [*(m for m, _ in managers), *data.agents]]
    taken_teams = set(Team.objects.filter(name__in=names).values_list("name", flat=True))
    taken_users = set(
        User.objects.filter(username__in=usernames).values_list("username", flat=True)
    )
    if taken_teams or taken_users:
        raise MavenDataError(
            "Teams or users of the Maven data already exist: "
            + ", ".join(sorted(taken_teams | taken_users)[:10])
        )
    office_teams = {o: Team.objects.create(name=f"{o} office") for o in offices}
    unusable = make_password(None)
    users: dict[str, User] = {}
    for manager, office in managers:
        team = Team.objects.create(name=f"Team {manager}", parent=office_teams[office])
        first, _, last = manager.partition(" ")
        users[manager] = User(
            username=username_for(manager),
            first_name=first,
            last_name=last,
            email=f"{username_for(manager)}@maven.example",
            role=Role.SALES_MANAGER,
            team=team,
            password=unusable,
        )
    teams_by_manager = {name: user.team for name, user in users.items()}
    for agent, (manager, _) in sorted(data.agents.items()):
        first, _, last = agent.partition(" ")
        users[agent] = User(
            username=username_for(agent),
            first_name=first,
            last_name=last,
            email=f"{username_for(agent)}@maven.example",
            role=Role.SALES_REP,
            team=teams_by_manager[manager],
            password=unusable,
        )
    User.objects.bulk_create(users.values())
    for manager, _ in managers:
        Team.objects.filter(name=f"Team {manager}").update(manager=users[manager])
    return users, len(office_teams) + len(managers)


def _accounts(data: MavenData) -> dict[str, Account]:
    accounts = {}
    for row in data.accounts:
        sector = SECTOR_FIXES.get(row["sector"], row["sector"])
        revenue = Decimal(row["revenue"]) * 1_000_000 if row.get("revenue") else None
        accounts[row["account"]] = Account(
            name=row["account"],
            normalized_name=normalize_company(row["account"]),
            industry=sector,
            annual_revenue=revenue,
            employees=int(row["employees"]) if row.get("employees") else None,
            billing_country=normalize_country(row.get("office_location", "")),
        )
    accounts[NO_ACCOUNT] = Account(name=NO_ACCOUNT, normalized_name=normalize_company(NO_ACCOUNT))
    Account.objects.bulk_create(accounts.values())
    children = []
    for row in data.accounts:
        parent = accounts.get(row.get("subsidiary_of", ""))
        if parent is not None:
            accounts[row["account"]].parent = parent
            children.append(accounts[row["account"]])
    Account.objects.bulk_update(children, ["parent"])
    return accounts


def load_maven(directory: Path, progress: Callable[[str], None] | None = None) -> LoadSummary:
    """Load the data set in ``directory`` into Opportune; see the module's docstring."""
    say = progress or (lambda _: None)
    data = read_maven(directory)
    say(f"Read {len(data.deals)} deals, {len(data.accounts)} accounts, {len(data.agents)} agents.")
    with transaction.atomic():
        if Pipeline.objects.filter(key=PIPELINE_KEY).exists():
            raise MavenDataError("The Maven data is already loaded (pipeline 'maven' exists).")
        pipeline, stages = _pipeline()
        users, team_count = _people(data)
        accounts = _accounts(data)
        other, _ = LostReason.objects.get_or_create(key="other", defaults={"label": "Other"})

        opportunities: list[Opportunity] = []
        timelines: list[list[tuple[dt.datetime, Stage, Decimal, dt.date]]] = []
        for deal in data.deals:
            price = data.prices[deal.product]
            opened = deal.engage_date or data.as_of
            expected_close = fiscal_quarter_end(opened)
            first = stages["prospecting" if deal.stage == "prospecting" else "engaging"]
            timeline = [(_at(opened, ENGAGED_AT), first, price, expected_close)]
            if deal.close_date is not None and deal.stage in ("won", "lost"):
                amount = deal.close_value if deal.stage == "won" else price
                closed_at = _at(deal.close_date, CLOSED_AT)
                timeline.append((closed_at, stages[deal.stage], amount or ZERO, deal.close_date))
            last_at, stage, amount, close_date = timeline[-1]
            opportunities.append(
                Opportunity(
                    name=deal.product,
                    account=accounts[deal.account or NO_ACCOUNT],
                    owner=users[deal.agent],
                    pipeline=pipeline,
                    stage=stage,
                    amount=amount,
                    probability=stage.default_probability,
                    close_date=close_date,
                    forecast_category=stage.forecast_category,
                    is_closed=stage.is_closed,
                    is_won=stage.is_won,
                    closed_at=last_at if stage.is_closed else None,
                    lost_reason=other if stage.key == "lost" else None,
                    stage_changed_at=last_at,
                    description=f"Maven Analytics opportunity {deal.source_id}",
                )
            )
            timelines.append(timeline)
        Opportunity.objects.bulk_create(opportunities, batch_size=1000)
        say(f"Wrote {len(opportunities)} opportunities.")

        history = []
        for opportunity, timeline in zip(opportunities, timelines, strict=True):
            previous: tuple[Decimal | None, dt.date | None] = (None, None)
            for at, stage, amount, close_date in timeline:
                history.append(
                    OpportunityHistory(
                        opportunity=opportunity,
                        deal_owner_id=opportunity.owner_id,
                        stage=stage,
                        amount=amount,
                        probability=stage.default_probability,
                        close_date=close_date,
                        forecast_category=stage.forecast_category,
                        previous_amount=previous[0],
                        previous_close_date=previous[1],
                        changed_by=opportunity.owner,
                        changed_at=at,
                    )
                )
                previous = (amount, close_date)
        OpportunityHistory.objects.bulk_create(history, batch_size=2000)
        say(f"Wrote {len(history)} history rows.")
        # Inserting stamped "now" as created_at; the deals began and last changed in the past.
        rows = OpportunityHistory.objects.filter(opportunity=OuterRef("pk")).order_by()
        began = rows.values("opportunity").annotate(at=Min("changed_at")).values("at")
        ended = rows.values("opportunity").annotate(at=Max("changed_at")).values("at")
        Opportunity.objects.filter(pipeline=pipeline).update(
            created_at=Subquery(began), updated_at=Subquery(ended)
        )
    return LoadSummary(
        accounts=len(accounts),
        teams=team_count,
        users=len(users),
        opportunities=len(opportunities),
        history_rows=len(history),
        as_of=data.as_of,
    )
