"""Target 1: an open opportunity's chance of closing won, learned from the stage history.

Training rows: every deal closed before the fit's moment, seen at its opening and then every
``STEP`` (at most ``MAX_MOMENTS`` times) while it was still open, with the features it had
then (features.py) and the label "won in its period" (1, else 0): won no later than the last
day of the fiscal quarter that held the close date the deal carried at that moment
(``won_in_period``; a past close date counts as the moment's day). A deal won after slipping
out of its quarter is a miss for the forecast of that quarter, which is what the chance is
used for. A row's label became known when the
deal closed, which orders the rows for time-aware cross-validation.

Scores: every open deal is scored after a fit and whenever its stage, amount or close date
changes (``rescore``, called by the opportunity services); closed deals have no score.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from opportune.fiscal import fiscal_quarter_end
from opportune.opportunities.models import Opportunity, OpportunityHistory, Stage

from . import core, store
from .core import Value
from .features import FEATURES, Deal, RateBook, Row, reasons, values_at
from .models import OpportunityScore, ScoringModel, Target

STEP = dt.timedelta(days=30)
MAX_MOMENTS = 12


@dataclass
class World:
    """What the features are computed from: deals with their history, and closings."""

    deals: dict[int, Deal]
    book: RateBook
    stage_probability: dict[int, int]
    closed_stages: dict[int, bool]  # stage id -> is_won, for closed stages


def _stages() -> tuple[dict[int, int], dict[int, bool]]:
    stages = list(Stage.objects.values_list("pk", "default_probability", "is_closed", "is_won"))
    return {pk: p for pk, p, _, _ in stages}, {pk: won for pk, _, closed, won in stages if closed}


def load_world(opportunity_ids: Iterable[int] | None = None, as_of_any: bool = False) -> World:
    """Deals (all, or those given) with their history, and the closings that rate owners and
    sources (all of them, or those of the given deals' owners and sources, counted as of now;
    with ``as_of_any``, all of them in time order, to rate the given deals at past moments)."""
    deals_query = Opportunity.objects.all()
    if opportunity_ids is not None:
        deals_query = deals_query.filter(pk__in=list(opportunity_ids))
    deals = {
        pk: Deal(pk, owner, source or "")
        for pk, owner, source in deals_query.values_list("pk", "owner_id", "lead_source")
    }
    history = OpportunityHistory.objects.filter(opportunity__deleted_at__isnull=True)
    if opportunity_ids is not None:
        history = history.filter(opportunity_id__in=list(deals))
    for deal_id, at, stage_id, amount, close_date in history.order_by(
        "opportunity_id", "changed_at", "pk"
    ).values_list("opportunity_id", "changed_at", "stage_id", "amount", "close_date"):
        if deal_id in deals:
            amount_value = None if amount is None else float(amount)
            deals[deal_id].rows.append(Row(at, stage_id, amount_value, close_date))
    closed = Opportunity.objects.filter(is_closed=True, closed_at__isnull=False)
    if opportunity_ids is not None and not as_of_any:
        book = _counts_now(closed, deals.values())
    else:
        book = RateBook.of(closed.values_list("owner_id", "lead_source", "closed_at", "is_won"))
    probabilities, closed_stages = _stages()
    return World(deals, book, probabilities, closed_stages)


def _counts_now(closed: QuerySet[Opportunity], deals: Iterable[Deal]) -> RateBook:
    """For scoring a few deals now, when every closing is in the past: the closed and won
    counts of their owners, sources and everyone, by three grouped queries."""
    deals = list(deals)
    owners = {d.owner_id for d in deals if d.owner_id is not None}
    sources = {d.source for d in deals if d.source}
    tally = {"n": Count("pk"), "won": Count("pk", filter=Q(is_won=True))}
    book = RateBook()
    totals = closed.aggregate(**tally)
    book.fixed[("all",)] = (totals["n"], totals["won"])
    for field, keys, kind in (("owner_id", owners, "owner"), ("lead_source", sources, "source")):
        if keys:
            grouped = closed.filter(**{f"{field}__in": keys}).order_by().values(field)
            for key, n, won in grouped.annotate(**tally).values_list(field, "n", "won"):
                book.fixed[(kind, key)] = (n, won)
    return book


def closing(deal: Deal, world: World, before: dt.datetime) -> tuple[dt.datetime, bool] | None:
    """When and how the deal finally closed, if its last row before ``before`` is closed."""
    rows = deal.rows_until(before)
    if not rows or rows[-1].stage_id not in world.closed_stages:
        return None
    last = rows[-1]
    start = last.at
    for row in reversed(rows):
        if row.stage_id not in world.closed_stages:
            break
        start = row.at
    return start, world.closed_stages[last.stage_id]


def won_in_period(deal: Deal, moment: dt.datetime, closed_at: dt.datetime, won: bool) -> bool:
    """Whether a deal open at ``moment`` that closed at ``closed_at`` (``won`` or lost) was won
    by the end of the fiscal quarter holding the close date it carried at ``moment``; a close
    date already past then counts as that day (the forecast reads overdue deals as due now)."""
    if not won:
        return False
    close_date = max(deal.rows_until(moment)[-1].close_date, timezone.localtime(moment).date())
    return timezone.localtime(closed_at).date() <= fiscal_quarter_end(close_date)


def training_rows(
    world: World, as_of: dt.datetime
) -> tuple[list[list[Value]], list[int], list[dt.datetime]]:
    """(feature rows, labels, when each label became known) for deals closed by ``as_of``."""
    rows: list[list[Value]] = []
    labels: list[int] = []
    known: list[dt.datetime] = []
    for deal in world.deals.values():
        outcome = closing(deal, world, as_of)
        if outcome is None:
            continue
        closed_at, won = outcome
        moment = deal.rows[0].at
        for _ in range(MAX_MOMENTS):
            if moment >= closed_at:
                break
            if deal.rows_until(moment)[-1].stage_id not in world.closed_stages:
                values = values_at(deal, moment, world.book, world.stage_probability)
                if values is not None:
                    rows.append(values)
                    labels.append(int(won_in_period(deal, moment, closed_at, won)))
                    known.append(closed_at)
            moment += STEP
    return rows, labels, known


def fit_opportunities(now: dt.datetime | None = None, rescore: bool = True) -> ScoringModel:
    """Fit on everything closed so far, keep the fit, and re-score every open deal."""
    now = now or timezone.now()
    started = time.perf_counter()
    world = load_world()
    rows, labels, known = training_rows(world, now)
    scorer = core.fit(FEATURES, rows, labels, known)
    fitted = store.keep_fit(Target.OPPORTUNITY, scorer, now, time.perf_counter() - started)
    if rescore:
        score_open(now, world)
    return fitted


def _open_ids(ids: Iterable[int] | None = None) -> list[int]:
    query = Opportunity.objects.filter(is_closed=False)
    if ids is not None:
        query = query.filter(pk__in=list(ids))
    return list(query.values_list("pk", flat=True))


def score_open(
    now: dt.datetime, world: World | None = None, ids: Sequence[int] | None = None
) -> int:
    """(Re-)score the open deals (all, or those given) with the active fit; returns how many."""
    fitted = store.active_fit(Target.OPPORTUNITY)
    scorer = store.scorer_of(fitted) if fitted is not None else None
    if fitted is None or scorer is None:
        return 0
    open_ids = _open_ids(ids)
    world = world or load_world(open_ids)
    scored_ids, rows = [], []
    for pk in open_ids:
        deal = world.deals.get(pk)
        values = values_at(deal, now, world.book, world.stage_probability) if deal else None
        if values is not None:
            scored_ids.append(pk)
            rows.append(values)
    probabilities, effects = scorer.effects(rows)
    scores = [
        OpportunityScore(
            opportunity_id=pk,
            probability=round(float(p), 4),
            reasons=reasons(row, list(effect)),
            model=fitted,
            scored_at=now,
        )
        for pk, row, p, effect in zip(scored_ids, rows, probabilities, effects, strict=True)
    ]
    with transaction.atomic():
        stale = OpportunityScore.objects.all()
        if ids is not None:
            stale = stale.filter(opportunity_id__in=list(ids))
        stale.delete()
        OpportunityScore.objects.bulk_create(scores, batch_size=1000)
    return len(scores)


def rescore(opportunity: Opportunity, now: dt.datetime) -> None:
    """After a write to one deal: its new score, or none once it is closed."""
    if opportunity.is_closed:
        OpportunityScore.objects.filter(opportunity_id=opportunity.pk).delete()
        return
    score_open(now, ids=[opportunity.pk])


def win_probabilities(opportunity_ids: Iterable[int]) -> dict[int, float]:
    """Stored win probabilities of the given open deals that have one (for the forecast)."""
    ids = list(opportunity_ids)
    return dict(
        OpportunityScore.objects.filter(opportunity_id__in=ids).values_list(
            "opportunity_id", "probability"
        )
    )
