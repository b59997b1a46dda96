"""A seeded world of deal histories and leads, and every analytics report over it as plain
data: the numbers the reports gave before they were rewritten as set-based SQL, pinned in
pinned_analytics.json so that a rewrite cannot change them."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from conftest import Company
from opportune.fiscal import parse_period
from opportune.forecasting.analytics import funnel, sales_summary, time_in_stage, win_rates
from opportune.forecasting.asof import pipeline_as_of, pipeline_changes
from opportune.identity.models import User
from opportune.leads.models import Lead, LeadStatus

from .conftest import Step, timeline

D = dt.date
OPEN = ["prospecting", "qualification", "needs_analysis", "proposal", "negotiation"]
PERIODS = [parse_period("2026-Q1"), parse_period("2026-Q2")]
DAYS = [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31)]


def seeded_world(company: Company, seed: int = 11) -> None:
    """30 deals of Alice, Bob and Charlie through 2026-H1 (stage moves, amount changes, pushed
    close dates, wins and losses) and 40 leads, some converted into them."""
    rng = random.Random(seed)
    owners = [company.alice, company.bob, company.charlie]
    deals = []
    for number in range(30):
        day = D(2026, 1, 1) + dt.timedelta(days=rng.randrange(120))
        close = day + dt.timedelta(days=rng.randrange(20, 90))
        amount = rng.randrange(1, 50) * 100
        position = rng.randrange(len(OPEN))
        steps: list[Step] = [(day, OPEN[position], str(amount), close)]
        for _ in range(rng.randrange(5)):
            day += dt.timedelta(days=rng.randrange(1, 25))
            draw = rng.random()
            if draw < 0.3 and position < len(OPEN) - 1:
                position += 1
            elif draw < 0.45:
                close += dt.timedelta(days=rng.randrange(10, 60))
            elif draw < 0.6:
                amount += rng.randrange(-5, 10) * 100
            elif draw < 0.75:
                steps.append((day, rng.choice(["closed_won", "closed_lost"]), str(amount), close))
                break
            steps.append((day, OPEN[position], str(amount), close))
        deals.append(timeline(company, rng.choice(owners), steps, f"Deal {number:02d}"))
    statuses = {s.key: s for s in LeadStatus.objects.all()}
    for _ in range(40):
        key = rng.choice(["new", "working", "qualified", "unqualified", "converted"])
        extra: dict[str, Any] = {"disqualify_reason": "no budget"} if key == "unqualified" else {}
        lead = company.lead(
            rng.choice([*owners, None]),
            source=rng.choice(["web", "event", "referral"]),
            campaign=rng.choice(["", "Spring", "Expo"]),
            status=statuses[key],
            **extra,
        )
        created = timezone.make_aware(
            dt.datetime(2026, 1, 1, 10) + dt.timedelta(days=rng.randrange(180))
        )
        update: dict[str, Any] = {"created_at": created}
        if key == "converted":
            update.update(
                is_converted=True,
                converted_opportunity=rng.choice(deals),
                converted_at=created + dt.timedelta(days=rng.randrange(1, 20)),
            )
        Lead.objects.filter(pk=lead.pk).update(**update)


def plain(value: Any) -> Any:
    """JSON-ready: decimals as strings, dataclasses as dicts of their public figures."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def reports(user: User, names: dict[int, str]) -> dict[str, Any]:
    """Every analytics report for ``user``, as plain data (ids replaced by deal names)."""
    found: dict[str, Any] = {}
    for by in ("period", "source", "campaign", "owner"):
        found[f"funnel_{by}"] = [
            [r.label, r.created, r.worked, r.qualified, r.converted, r.won, r.days_to_convert]
            for r in funnel(user, PERIODS, by)
        ]
    for by in ("owner", "source", "campaign", "name", "stage"):
        for scope, periods in (("all", None), ("h1", PERIODS)):
            found[f"rates_{by}_{scope}"] = [
                [r.label, r.won, r.lost, r.won_amount]
                for r in win_rates(user, periods, by)  # type: ignore[arg-type]
            ]
    summary = sales_summary(user, PERIODS)
    found["summary"] = vars(summary)
    found["time_in_stage"] = [
        [s.label, s.stays, s.average_days, s.median_days] for s in time_in_stage(user)
    ]
    for period in (None, PERIODS[0]):
        label = period.key if period else "all"
        found[f"as_of_{label}"] = [
            {
                "day": s.day,
                "total": vars(s.total),
                "by_stage": {k: vars(v) for k, v in s.by_stage.items()},
                "by_category": {k: vars(v) for k, v in s.by_category.items()},
            }
            for s in pipeline_as_of(user, DAYS, period)
        ]
        for start, end in ((DAYS[0], DAYS[2]), (DAYS[1], DAYS[4])):
            changes = pipeline_changes(user, start, end, period)
            found[f"changes_{label}_{start}_{end}"] = {
                "start": vars(changes.start),
                "end": vars(changes.end),
                "flows": {k: vars(v) for k, v in changes.flows.items()},
                "changes": [
                    [names[c.opportunity_id], c.owner_id is not None, c.kinds,
                     c.amount_before, c.amount_after]
                    for c in changes.changes
                ],
            }  # fmt: skip
    return plain(found)  # type: ignore[no-any-return]
