"""A manager's funnel and win rates read her owners' records and the unowned ones as two
parts (``owners.visible_leads`` / ``visible_deals``) and add the parts' groups up: each group
must be exactly the sum over every record she sees, including a group found in both parts,
and a table cut to its first groups must cut after the adding."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

import pytest

from conftest import Company
from opportune.forecasting.analytics import (
    WinRateBy,
    _after,
    _start,
    funnel,
    rate_table,
    win_rates,
)
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity

from .analytics_pins import PERIODS, seeded_world

pytestmark = pytest.mark.django_db


def unowned_share(company: Company) -> None:
    """The seeded world with a third of the closed deals she sees and of the leads unowned,
    and one deal name (a product) on three of her closed deals, owned and unowned."""
    seeded_world(company)
    closed = list(
        Opportunity.objects.visible_to(company.maria)
        .filter(is_closed=True, close_date__gte=PERIODS[0].start, close_date__lte=PERIODS[-1].end)
        .order_by("pk")
    )
    Opportunity.objects.filter(pk__in=[d.pk for d in closed[::3]]).update(owner=None)
    Opportunity.objects.filter(pk__in=[d.pk for d in closed[:3]]).update(name="Shared")
    leads = list(Lead.objects.order_by("pk"))
    Lead.objects.filter(pk__in=[lead.pk for lead in leads[::3]]).update(owner=None)


def test_a_managers_win_rates_are_the_sums_over_every_deal_she_sees(company: Company) -> None:
    unowned_share(company)
    seen = Opportunity.objects.visible_to(company.maria).filter(
        is_closed=True, close_date__gte=PERIODS[0].start, close_date__lte=PERIODS[-1].end
    )
    assert seen.filter(owner__isnull=True).exists() and seen.filter(owner__isnull=False).exists()
    shared = seen.filter(name="Shared")
    assert shared.filter(owner__isnull=True).exists() and shared.filter(owner__isnull=False)
    keys: dict[WinRateBy, Callable[[Opportunity], str]] = {
        "owner": lambda d: str(d.owner_id or ""),
        "source": lambda d: d.lead_source or "",
        "campaign": lambda d: d.campaign or "",
        "name": lambda d: d.name,
    }
    for by, key in keys.items():
        expected: dict[str, tuple[int, int, Decimal]] = {}
        for d in seen:
            won, lost, amount = expected.get(key(d), (0, 0, Decimal(0)))
            if d.is_won:
                expected[key(d)] = (won + 1, lost, amount + (d.amount or 0))
            else:
                expected[key(d)] = (won, lost + 1, amount)
        found = {
            r.key: (r.won, r.lost, r.won_amount) for r in win_rates(company.maria, PERIODS, by)
        }
        assert found == expected, by


def test_a_managers_first_groups_are_cut_after_adding_the_parts(company: Company) -> None:
    unowned_share(company)
    whole = rate_table(company.maria, PERIODS, "name")
    first = rate_table(company.maria, PERIODS, "name", limit=2)
    assert whole.rows[0].key == "Shared"  # the most closed deals only once both parts add up
    assert [(r.key, r.won, r.lost) for r in first.rows] == [
        (r.key, r.won, r.lost) for r in whole.rows[:2]
    ]
    assert first.groups == whole.groups == len(whole.rows)


def test_a_managers_funnel_is_the_sum_over_every_lead_she_sees(company: Company) -> None:
    unowned_share(company)
    seen = Lead.objects.visible_to(company.maria).filter(
        created_at__gte=_start(PERIODS[0]), created_at__lt=_after(PERIODS[-1])
    )
    assert seen.filter(owner__isnull=True).exists() and seen.filter(owner__isnull=False).exists()
    won_deals = set(
        Opportunity.objects.visible_to(company.maria)
        .filter(is_won=True)
        .values_list("pk", flat=True)
    )
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    spent: dict[str, list[dt.timedelta]] = defaultdict(list)
    for lead in seen.select_related("status"):
        steps = expected[str(lead.owner_id or "")]
        steps[0] += 1
        steps[1] += not lead.status.is_default or lead.is_converted
        steps[2] += lead.status.key == "qualified" or lead.is_converted
        steps[3] += lead.is_converted
        steps[4] += lead.converted_opportunity_id in won_deals
        if lead.is_converted and lead.converted_at:
            spent[str(lead.owner_id or "")].append(lead.converted_at - lead.created_at)
    rows = funnel(company.maria, PERIODS, "owner")
    assert {r.key: [r.created, r.worked, r.qualified, r.converted, r.won] for r in rows} == dict(
        expected
    )
    for row in rows:
        days = spent[row.key]
        mean = sum(days, dt.timedelta()) / len(days) if days else None
        want = Decimal(mean.total_seconds() / 86400).quantize(Decimal("0.01")) if mean else None
        assert row.days_to_convert == want, row.key
    assert sum(r.created for r in funnel(company.maria, PERIODS, "period")) == seen.count()
