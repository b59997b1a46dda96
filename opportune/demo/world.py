"""What every part of the demo generator shares: the random source, the clock, the staff,
the configured stages, statuses and lost reasons, and who covers which company."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from opportune.identity.models import User
from opportune.leads.models import LeadStatus
from opportune.opportunities.models import LostReason, Pipeline, Stage

from .companies import Company
from .people import Staff


@dataclass
class World:
    rng: random.Random
    now: dt.datetime
    staff: Staff
    pipeline: Pipeline
    open_stages: list[Stage]
    won_stage: Stage
    lost_stage: Stage
    lost_reasons: list[LostReason]
    statuses: dict[str, LeadStatus]
    _owners: dict[str, User] = field(default_factory=dict)

    @classmethod
    def build(cls, rng: random.Random, now: dt.datetime, staff: Staff) -> World:
        pipeline = Pipeline.default()
        stages = list(pipeline.stages.filter(is_active=True).order_by("order", "pk"))
        return cls(
            rng=rng,
            now=now,
            staff=staff,
            pipeline=pipeline,
            open_stages=[s for s in stages if not s.is_closed],
            won_stage=next(s for s in stages if s.is_won),
            lost_stage=next(s for s in stages if s.is_closed and not s.is_won),
            lost_reasons=list(LostReason.objects.filter(is_active=True)),
            statuses={status.key: status for status in LeadStatus.objects.all()},
        )

    def owner_of(self, company: Company) -> User:
        """The rep who covers the company: Enterprise for large ones, else the region's team.
        The same company always gets the same rep, as territories work."""
        owner = self._owners.get(company.domain)
        if owner is None:
            team = "Enterprise" if company.is_enterprise else company.region.capitalize()
            owner = self.rng.choice(self.staff.reps[team])
            self._owners[company.domain] = owner
        return owner

    def moment(self, earliest: dt.datetime, latest: dt.datetime) -> dt.datetime:
        """A random moment between the two, during office hours when the span allows."""
        if latest <= earliest:
            return earliest
        moment = earliest + (latest - earliest) * self.rng.random()
        office = moment.replace(hour=self.rng.randint(8, 17), minute=self.rng.randint(0, 59))
        return office if earliest <= office <= latest else moment

    def days_ago(self, days: float) -> dt.datetime:
        return self.now - dt.timedelta(days=days)
