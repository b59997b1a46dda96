"""The changes between two days (the waterfall), classified in SQL, equal a straightforward
replay of every visible deal's history: on random histories with back-dated rows, rows at
the same instant, rows on the day boundary, reassigned and deleted deals, with and without a
period; the list is cut in the database, in order, with the count of all changed deals."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from conftest import ApiClient, Company
from opportune.audit.bin import delete_record
from opportune.fiscal import FiscalPeriod, parse_period
from opportune.forecasting import analytics_api, analytics_views
from opportune.forecasting.asof import Change, end_of_day, pipeline_changes
from opportune.forecasting.forecast import OPEN_CATEGORIES
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity, OpportunityHistory, Stage
from opportune.opportunities.services import change_opportunity

from .analytics_pins import OPEN
from .conftest import report_card, timeline

pytestmark = pytest.mark.django_db

D = dt.date
CATEGORIES = ["pipeline", "best_case", "commit", "omitted"]
Listed = tuple[str, int, list[str], Decimal | None, Decimal | None]  # name, id, kinds, amounts
PERIODS: list[FiscalPeriod | None] = [
    None,
    parse_period("2026-Q1"),
    parse_period("2026-Q2"),
    parse_period("2026-03"),
]


def random_world(company: Company, seed: int) -> None:
    """Deals of Alice, Bob and Charlie whose history rows are written in random order (so a
    row's id says nothing of its time: back-dated rows), some at the same instant, some at
    midnight (the instant a day ends), with amounts missing or changing, open stages in any
    category, wins, losses and reopenings; then a reassignment and a delete."""
    rng = random.Random(seed)
    owners = [company.alice, company.bob, company.charlie]
    stages = {s.key: s for s in Stage.objects.filter(pipeline__is_default=True)}
    deals: list[Opportunity] = []
    for number in range(24):
        first = D(2026, 1, 1) + dt.timedelta(days=rng.randrange(60))
        close = first + dt.timedelta(days=rng.randrange(10, 120))
        deal = timeline(
            company,
            rng.choice(owners),
            [(first, rng.choice(OPEN), str(rng.randrange(1, 50) * 100), close)],
            f"Deal {rng.choice('ABC')}{number:02d}",
        )
        rows: list[tuple[dt.datetime, str, Decimal | None, D, str]] = []
        moment = timezone.make_aware(dt.datetime.combine(first, dt.time(9)))
        for _ in range(rng.randrange(7)):
            draw = rng.random()
            if draw < 0.2:  # midnight: the first instant after a day, the boundary
                moment = end_of_day(moment.date() + dt.timedelta(days=rng.randrange(1, 20)))
            elif draw > 0.35:  # (otherwise the same instant as the previous row)
                moment += dt.timedelta(days=rng.randrange(1, 25), hours=rng.randrange(5))
            key = rng.choice([*OPEN, "closed_won", "closed_lost"])
            category = (
                stages[key].forecast_category
                if stages[key].is_closed or rng.random() < 0.6
                else rng.choice(CATEGORIES)
            )
            amount = None if rng.random() < 0.1 else Decimal(rng.randrange(1, 50) * 100)
            close = close + dt.timedelta(days=rng.choice([0, 0, 15, 40, -20]))
            rows.append((moment, key, amount, close, category))
            if stages[key].is_closed and rng.random() < 0.6:
                break  # most closed deals stay closed; the others reopen
        rng.shuffle(rows)  # written in random order: ids do not follow time
        for changed_at, key, amount, close, category in rows:
            OpportunityHistory.objects.create(
                opportunity=deal,
                stage=stages[key],
                amount=amount,
                probability=stages[key].default_probability,
                close_date=close,
                forecast_category=category,
                changed_at=changed_at,
            )
        deals.append(deal)
    change_opportunity(company.ada, deals[0], {"owner_id": company.charlie.pk})
    change_opportunity(company.ada, deals[1], {"owner_id": company.alice.pk})
    delete_record(company.ada, deals[2])


def replayed(
    viewer: User, start: D, end: D, period: FiscalPeriod | None
) -> tuple[dict[str, tuple[int, Decimal]], list[Listed]]:
    """The reference: every deal the viewer may see, its state at both moments its newest
    history row before each (same instant: the highest id), classified by the rules."""
    stages = {s.pk: s for s in Stage.objects.all()}
    flows: dict[str, tuple[int, Decimal]] = {}
    listed: list[Listed] = []
    moments = (end_of_day(start), end_of_day(end))
    for deal in Opportunity.objects.visible_to(viewer):
        rows = sorted(deal.history.all(), key=lambda r: (r.changed_at, r.pk))
        before, after = (
            next((r for r in reversed(rows) if r.changed_at < moment), None) for moment in moments
        )
        if after is None:
            continue

        def within(row: OpportunityHistory) -> bool:
            return period is None or period.start <= row.close_date <= period.end

        def inside(row: OpportunityHistory | None) -> bool:
            return (
                row is not None
                and not stages[row.stage_id].is_closed
                and row.forecast_category in OPEN_CATEGORIES
                and within(row)
            )

        was_in, now_in = inside(before), inside(after)
        won = stages[after.stage_id].is_won
        closed_now = (
            stages[after.stage_id].is_closed
            and (
                before is None
                or not stages[before.stage_id].is_closed
                or stages[before.stage_id].is_won != won
            )
            and within(after)
        )
        value_before = (before.amount or Decimal(0)) if before else Decimal(0)
        value_after = after.amount or Decimal(0)
        kinds: list[tuple[str, Decimal]] = []
        if was_in and (now_in or closed_now):
            if value_after != value_before:
                kinds.append(("amount_changed", value_after - value_before))
        elif now_in or closed_now:
            kinds.append(("new" if before is None else "moved_in", value_after))
        elif was_in:
            kinds.append(("moved_out", value_before))
        if closed_now:
            kinds.append(("won" if won else "lost", value_after))
        for kind, amount in kinds:
            count, total = flows.get(kind, (0, Decimal(0)))
            flows[kind] = (count + 1, total + amount)
        if kinds:
            listed.append(
                (
                    deal.name,
                    deal.pk,
                    [k for k, _ in kinds],
                    before.amount if before else None,
                    after.amount,
                )
            )
    listed.sort(key=lambda c: (c[2][0], c[0], c[1]))
    return flows, listed


def as_listed(changes: list[Change]) -> list[Listed]:
    return [(c.name, c.opportunity_id, c.kinds, c.amount_before, c.amount_after) for c in changes]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_flows_and_changed_deals_equal_a_replay_of_the_history(
    company: Company, seed: int
) -> None:
    random_world(company, seed)
    rng = random.Random(seed)
    days = [D(2026, 1, 1) + dt.timedelta(days=rng.randrange(200)) for _ in range(6)]
    pairs = [(D(2026, 1, 20), D(2026, 6, 30))]  # wide: every kind occurs
    pairs += [(min(days[i], days[i + 1]), max(days[i], days[i + 1])) for i in range(0, 6, 2)]
    viewers = [company.ada, company.maria, company.alice, company.charlie, company.rita]
    seen: set[str] = set()
    for viewer in [*viewers, company.mark]:
        for start, end in pairs:
            for period in PERIODS:
                flows, listed = replayed(viewer, start, end, period)
                found = pipeline_changes(viewer, start, end, period)
                assert {
                    k: (t.count, t.amount) for k, t in found.flows.items() if t.count
                } == flows, (viewer.username, start, end, period)
                assert as_listed(found.changes) == listed, (viewer.username, start, end)
                assert found.total_changes == len(listed)
                seen.update(k for _, _, kinds, _, _ in listed for k in kinds)
    assert seen == {"new", "moved_in", "moved_out", "won", "lost", "amount_changed"}


def test_a_limit_cuts_the_ordered_list_and_keeps_the_flows_and_the_count(
    company: Company,
) -> None:
    random_world(company, 4)
    whole = pipeline_changes(company.ada, D(2026, 1, 15), D(2026, 5, 31))
    cut = pipeline_changes(company.ada, D(2026, 1, 15), D(2026, 5, 31), limit=3)
    assert len(whole.changes) > 3
    assert as_listed(cut.changes) == as_listed(whole.changes[:3])
    assert cut.total_changes == whole.total_changes == len(whole.changes)
    assert cut.flows == whole.flows


def test_a_row_at_the_instant_the_first_day_ends_is_a_change_and_one_at_the_last_is_not(
    company: Company,
) -> None:
    deal = timeline(company, company.alice, [(D(2026, 1, 5), "prospecting", "100", D(2026, 6, 1))])
    stage = Stage.objects.get(pipeline__is_default=True, key="closed_won")
    for day, amount in ((D(2026, 1, 31), "100"), (D(2026, 2, 28), "70")):
        OpportunityHistory.objects.create(
            opportunity=deal,
            stage=stage,
            amount=Decimal(amount),
            probability=100,
            close_date=D(2026, 2, 1),
            forecast_category="closed",
            changed_at=end_of_day(day),  # midnight after the day: not part of the day
        )
    found = pipeline_changes(company.ada, D(2026, 1, 31), D(2026, 2, 28))
    assert [c.kinds for c in found.changes] == [["won"]]
    assert (found.flows["won"].count, found.flows["won"].amount) == (1, Decimal(100))


def test_a_deal_that_changed_without_changing_the_pipeline_is_not_listed(
    company: Company,
) -> None:
    timeline(
        company,
        company.alice,
        [
            (D(2026, 1, 5), "prospecting", "100", D(2026, 6, 30)),
            (D(2026, 2, 10), "qualification", "100", D(2026, 6, 30)),
        ],
    )
    found = pipeline_changes(company.ada, D(2026, 1, 31), D(2026, 2, 28))
    assert found.changes == [] and found.total_changes == 0
    assert all(t.count == 0 for t in found.flows.values())


def test_the_api_lists_the_first_changes_and_counts_them_all(
    company: Company, api: Callable[[User], ApiClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    random_world(company, 5)
    monkeypatch.setattr(analytics_api, "CHANGES_LISTED", 2)
    whole = pipeline_changes(company.maria, D(2026, 1, 15), D(2026, 5, 31))
    body = (
        api(company.maria)
        .get("/api/v1/analytics/pipeline-changes", **{"from": "2026-01-15", "to": "2026-05-31"})
        .json()
    )
    assert body["changes_total"] == whole.total_changes > 2
    assert [c["opportunity_id"] for c in body["changes"]] == [
        c.opportunity_id for c in whole.changes[:2]
    ]


def test_the_page_shows_the_first_changes_and_its_csv_holds_them_all(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    random_world(company, 6)
    monkeypatch.setattr(analytics_views, "CHANGES_SHOWN", 2)
    whole = pipeline_changes(company.ada, D(2026, 1, 15), D(2026, 5, 31))
    client = Client()
    client.force_login(company.ada)
    query = {"from": "2026-01-15", "to_day": "2026-05-31"}
    page = report_card(client, "/analytics/pipeline/", "changes", query)
    assert f"the first 2 of {whole.total_changes}" in page
    assert whole.changes[0].name in page and whole.changes[2].name not in page
    exported = client.get("/analytics/pipeline/", {**query, "csv": "changes"})
    rows = list(csv.reader(io.StringIO(exported.content.decode())))[1:]
    assert [int(r[0]) for r in rows] == [c.opportunity_id for c in whole.changes]
