"""Per-deal win probabilities as they would have been at past moments: what the forecast's
backtest needs to judge whether the per-deal probability improves the forecast
(``forecasting.fitting``).

At a cutoff T, nothing after T is read: the scorer is fitted on the deals closed by T (their
rows seen while open before closing, labels known by T, owners' and sources' rates from
closings strictly before each row's moment: ``opportunity.training_rows``), and the deals
open at T are scored with their features at T (``features.values_at``). The fit is the
production one (``core.fit``: model choice by time-aware folds, calibration), so the replay
measures what the stored scores are.

A fit costs seconds to a minute (12-30 s per cutoff on Maven on this machine), so the replay
does not fit at every cutoff: like the core's time-aware folds, it fits once per fiscal
quarter, at the quarter's first instant, on the deals closed before it, and scores every cutoff
inside the quarter (a month's start) with that fit and the deals' features at the cutoff
itself. Training data never postdate the cutoff; the model is at most two months older than a
production fit would be. At most ``MAX_FITS`` quarters are fitted (the latest ones asked for,
from ``first_quarter``); earlier cutoffs get no per-deal probability, so both ways of the
replay give them the curves' chances.

The probabilities are rounded as stored (4 decimals) and then to the whole percent the
forecast reads (``fitted.win_percent``), so the backtest replays exactly what the read uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from opportune.fiscal import period_containing
from opportune.forecasting.fitted import win_percent

from . import core
from .features import FEATURES, values_at
from .opportunity import World, load_world, training_rows

MAX_FITS = 4


class ReplayChances:
    """``chances(moment) -> {opportunity id: win percent}`` for the deals open at ``moment``
    (empty when history before it is too thin to fit: the curves' chances then stand)."""

    def __init__(self, world: World, first_quarter: dt.date | None = None) -> None:
        self.world = world
        self.first_quarter = first_quarter
        self.fitted: list[dt.datetime] = []  # the moments fitted at
        self._scorers: dict[dt.datetime, core.Scorer | None] = {}
        self._found: dict[dt.datetime, dict[int, int]] = {}

    @classmethod
    def of(
        cls, opportunity_ids: Iterable[int], first_quarter: dt.date | None = None
    ) -> ReplayChances:
        """For the given deals: their history, and every closing in time order (rates)."""
        return cls(load_world(opportunity_ids, as_of_any=True), first_quarter)

    def __call__(self, moment: dt.datetime) -> dict[int, int]:
        found = self._found.get(moment)
        if found is None:
            found = self._found[moment] = self._score(moment)
        return found

    def _scorer(self, moment: dt.datetime) -> core.Scorer | None:
        """The fit at the first instant of the fiscal quarter holding ``moment``."""
        quarter = period_containing(timezone.localtime(moment).date(), "quarter")
        if self.first_quarter is not None and quarter.start < self.first_quarter:
            return None
        start = timezone.make_aware(dt.datetime.combine(quarter.start, dt.time()))
        if start not in self._scorers:
            rows, labels, known = training_rows(self.world, start)
            try:
                self._scorers[start] = core.fit(FEATURES, rows, labels, known)
            except core.NotEnoughHistory:
                self._scorers[start] = None
            self.fitted.append(start)
        return self._scorers[start]

    def _score(self, moment: dt.datetime) -> dict[int, int]:
        world = self.world
        scorer = self._scorer(moment)
        if scorer is None:
            return {}
        ids, features = [], []
        for deal in world.deals.values():
            seen = deal.rows_until(moment)
            if not seen or seen[-1].stage_id in world.closed_stages:
                continue
            values = values_at(deal, moment, world.book, world.stage_probability)
            if values is not None:
                ids.append(deal.id)
                features.append(values)
        if not features:
            return {}
        probabilities = scorer.predict(features)
        return {
            pk: win_percent(round(float(p), 4)) for pk, p in zip(ids, probabilities, strict=True)
        }
