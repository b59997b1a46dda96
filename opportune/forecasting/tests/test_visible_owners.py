"""The predicted forecast filters a viewer's deals on ``owner_id IN (...)`` (owners resolved
once, an index range per owner) instead of joining each deal's owner: it must select exactly
the deals ``visible_to`` selects, for every role and setting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from conftest import Company
from opportune.forecasting.fitting import fit_all
from opportune.forecasting.owners import visible_deals, visible_owners
from opportune.forecasting.periods import current_period, period_range
from opportune.forecasting.predicted import _arrival_share, predicted_forecast
from opportune.forecasting.prediction import ARRIVAL_WINDOW_DAYS
from opportune.identity import policy
from opportune.identity.models import Role, User
from opportune.opportunities.models import Opportunity

from .conftest import deal


@pytest.fixture
def deals(company: Company) -> None:
    """Deals of every user of the company world, and one without an owner."""
    for user in (company.maria, company.alice, company.bob, company.charlie, company.ada):
        deal(company, user, "prospecting", "100")
        deal(company, user, "negotiation", "200")
    unowned = deal(company, company.alice, "proposal", "300")
    Opportunity.objects.filter(pk=unowned.pk).update(owner=None)


def _users(company: Company) -> list[User]:
    marketing = User.objects.create_user(
        username="mo", password="x", role=Role.MARKETING, team=company.east
    )
    reader = User.objects.create_user(
        username="rd", password="x", role=Role.READ_ONLY, team=company.east
    )
    gone = User.objects.create_user(
        username="gone", password="x", role=Role.SALES_MANAGER, team=company.east
    )
    gone.is_active = False
    gone.save()
    return [
        company.ada,
        company.maria,
        company.alice,
        company.bob,
        company.charlie,
        company.mark,
        company.rita,
        marketing,
        reader,
        gone,
    ]


def _pks(viewer: User, by_owner: bool) -> set[int]:
    viewer.__dict__.pop("_visible_team_ids", None)
    if not by_owner:
        return set(Opportunity.objects.visible_to(viewer).values_list("pk", flat=True))
    found: list[int] = []
    owners = visible_owners(viewer)
    for part in visible_deals(viewer, owners):
        found += part.values_list("pk", flat=True)
    assert len(found) == len(set(found))  # the parts are disjoint
    if owners is not None:  # and its test of one owner says the same
        every = Opportunity.objects.values_list("pk", "owner_id")
        assert {pk for pk, owner in every if owners.sees(owner)} == set(found)
    return set(found)


@pytest.mark.parametrize("reps_see_team", [False, True])
def test_deals_filtered_on_resolved_owners_are_exactly_the_visible_deals(
    company: Company, deals: None, settings: Settings, reps_see_team: bool
) -> None:
    settings.OPPORTUNE_REPS_SEE_TEAM = reps_see_team
    for viewer in _users(company):
        assert _pks(viewer, by_owner=True) == _pks(viewer, by_owner=False), viewer.username


def test_a_managers_deals_are_filtered_on_the_owner_column_alone_without_an_or(
    company: Company, deals: None
) -> None:
    """No join to the owner's team per deal, and no ``OR`` (which keeps both databases off
    the covering index): ``owner_id IN (...)``, then the unowned deals a manager assigns
    from."""
    owned, unowned = visible_deals(company.maria, visible_owners(company.maria))
    for part in (owned, unowned):
        sql = str(part.query)
        assert "identity_user" not in sql
        assert " OR " not in sql
    assert list(unowned.values_list("owner_id", flat=True)) == [None]


def test_a_viewers_share_of_new_deals_counts_the_deals_she_sees_created_lately(
    company: Company, deals: None
) -> None:
    """The share of new deals is counted on the owners (``COALESCE(owner_id, 0) IN``) over
    the arrival window: it must equal counting ``visible_to`` there."""
    now = timezone.now()
    old = Opportunity.objects.filter(owner=company.bob).first()
    assert old is not None
    Opportunity.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=400))
    pipeline_id = old.pipeline_id
    since = now - dt.timedelta(days=ARRIVAL_WINDOW_DAYS)
    recent = Opportunity.objects.filter(created_at__gte=since)
    for viewer in _users(company):
        viewer.__dict__.pop("_visible_team_ids", None)
        share = _arrival_share(viewer, visible_owners(viewer), [pipeline_id], now)
        expected = recent.visible_to(viewer).count() / recent.count()
        if policy.sees_all(viewer, policy.OPPORTUNITY):
            expected = 1.0
        assert share.get(pipeline_id, 0.0) == pytest.approx(expected), viewer.username


def test_a_managers_predicted_read_runs_a_fixed_number_of_queries(
    company: Company, deals: None
) -> None:
    """Four for the model and her owners (pipelines, newest fits, her teams, the team tree
    with its members: the policy's owner ids), two per part (open deals, won amounts) for
    her owners and the unowned deals, two for the share of new deals, one for pipelines
    without a fit: the same whatever the number of deals and owners."""
    fit_all()
    now = current_period("month")
    periods = period_range(now.key, now.shifted(2).key)

    def queries() -> int:
        for cached in ("_visible_team_ids", "_visible_owner_ids"):
            company.maria.__dict__.pop(cached, None)
        with CaptureQueriesContext(connection) as captured:
            predicted_forecast(company.maria, periods)
        return len(captured)

    before = queries()
    for user in (company.alice, company.bob, company.charlie):
        for _ in range(3):
            deal(company, user, "proposal", "500")
    assert before == queries() == 11
