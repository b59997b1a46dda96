"""The Maven data, loaded into Opportune, gives the figures computed independently from its CSV."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from opportune.accounts.models import Account
from opportune.fiscal import parse_period, periods_between
from opportune.forecasting.forecast import forecast_for
from opportune.forecasting.maven import MavenDataError, load_maven
from opportune.forecasting.tests.maven_world import Row
from opportune.identity.models import Role, Team, User
from opportune.opportunities.models import Opportunity, OpportunityHistory

from .maven_world import MAVEN_DIR, csv_offices, needs_maven

pytestmark = [needs_maven, pytest.mark.django_db]


@pytest.fixture
def admin(maven: list[Row]) -> User:
    return User.objects.create_user("maven-admin", role=Role.ADMIN)


def test_every_deal_is_loaded_in_its_stage(maven: list[Row]) -> None:
    stages = Counter(Opportunity.objects.values_list("stage__key", flat=True))
    assert stages == {"won": 4238, "lost": 2473, "engaging": 1589, "prospecting": 500}
    assert Opportunity.objects.filter(is_closed=True, is_won=True).count() == 4238


def test_stage_history_follows_engage_and_close_dates(maven: list[Row]) -> None:
    assert OpportunityHistory.objects.count() == 2 * (4238 + 2473) + 1589 + 500
    deal = Opportunity.objects.get(description__endswith=" 1C1I7A6R")
    rows = list(
        deal.history.order_by("changed_at").values_list("stage__key", "changed_at", "amount")
    )
    assert [(r[0], r[1].date().isoformat(), r[2]) for r in rows] == [
        ("engaging", "2016-10-20", Decimal("1096.00")),
        ("won", "2017-03-01", Decimal("1054.00")),
    ]
    assert deal.created_at.date().isoformat() == "2016-10-20"
    assert deal.name == "GTX Plus Basic"


def test_agents_are_reps_in_their_managers_teams_under_offices(maven: list[Row]) -> None:
    offices = csv_offices()
    for agent, office in offices.items():
        first, _, last = agent.partition(" ")
        user = User.objects.select_related("team__parent", "team__manager").get(
            first_name=first, last_name=last
        )
        assert user.role == Role.SALES_REP
        assert user.team and user.team.parent and user.team.manager
        assert user.team.parent.name == f"{office} office"
        assert user.team.manager.role == Role.SALES_MANAGER
    assert Team.objects.filter(name__endswith=" office").count() == 3


def test_accounts_keep_their_figures_with_the_sector_typo_fixed(maven: list[Row]) -> None:
    acme = Account.objects.get(name="Acme Corporation")
    assert acme.industry == "technology"
    assert acme.annual_revenue == Decimal("1100040000.00")
    assert acme.employees == 2822
    assert not Account.objects.filter(industry="technolgy").exists()
    assert Account.objects.filter(parent__isnull=False).exists()


def test_won_amount_per_quarter_matches_the_csv(maven: list[Row], admin: User) -> None:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in maven:
        if row.stage == "Won":
            assert row.close is not None and row.value is not None
            expected[f"{row.close.year}-Q{(row.close.month - 1) // 3 + 1}"] += row.value
    assert len(expected) == 4
    for key, amount in expected.items():
        assert forecast_for(admin, [parse_period(key)]).total.amount("closed") == amount, key


def test_won_amount_per_agent_and_office_matches_the_csv(maven: list[Row], admin: User) -> None:
    per_agent: dict[str, Decimal] = defaultdict(Decimal)
    per_office: dict[str, Decimal] = defaultdict(Decimal)
    offices = csv_offices()
    for row in maven:
        if row.stage == "Won":
            assert row.value is not None
            per_agent[row.agent] += row.value
            per_office[f"{offices[row.agent]} office"] += row.value
    year = periods_between(parse_period("2016-Q4"), parse_period("2017-Q4"))
    forecast = forecast_for(admin, year)
    loaded = {row.name: row.figures.amount("closed") for row in forecast.owners()}
    assert {k: v for k, v in loaded.items() if v} == dict(per_agent)
    assert {t.name: t.figures.amount("closed") for t in forecast.teams} == dict(per_office)


def test_loading_twice_is_refused(maven: list[Row]) -> None:
    with pytest.raises(MavenDataError, match="already loaded"):
        load_maven(MAVEN_DIR)
