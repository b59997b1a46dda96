"""The visibility rule (PRODUCT.md section 8), tested once for every model that has it.

Admins see everything; managers see their team tree's records and unowned ones; reps see
their own (and their team's when OPPORTUNE_REPS_SEE_TEAM is on); marketing sees every lead
and no opportunity; read_only reads what its team sees; an inactive user sees nothing.
Activities are seen through the record they concern.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import pytest
from django.db import models
from pytest_django import Settings

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.activities.models import Activity
from opportune.identity import policy
from opportune.identity.models import Role, Team, User
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity

OWNERS = ("alice", "bob", "charlie", "maria", None)
EAST = {"alice", "bob", "maria"}
EVERYONE = {*OWNERS}


def _lead(company: Company, owner: User | None) -> models.Model:
    return company.lead(owner)


def _account(company: Company, owner: User | None) -> models.Model:
    return company.account(owner, f"Account of {owner}")


def _contact(company: Company, owner: User | None) -> models.Model:
    return company.contact(owner, None)


def _opportunity(company: Company, owner: User | None) -> Opportunity:
    account = company.account(owner, f"Account of {owner}")
    return company.opportunity(owner, account=account)


def _activity(company: Company, owner: User | None) -> models.Model:
    """An activity on a deal, both owned by the same person."""
    deal = _opportunity(company, owner)
    return Activity.objects.create(kind="call", subject="Call", owner=owner, opportunity=deal)


FACTORIES: dict[type[models.Model], Callable[[Company, User | None], models.Model]] = {
    Lead: _lead,
    Account: _account,
    Contact: _contact,
    Opportunity: _opportunity,
    Activity: _activity,
}


def _for_every_model(
    owners: Collection[str | None],
) -> dict[type[models.Model], set[str | None]]:
    return {model: set(owners) for model in FACTORIES}


# viewer -> model -> owners whose records the viewer sees (None: the unowned record).
EXPECTED: dict[str, dict[type[models.Model], set[str | None]]] = {
    "admin": _for_every_model(EVERYONE),
    "manager": _for_every_model({*EAST, None}),
    "rep": _for_every_model({"alice"}),
    "rep_in_west": _for_every_model({"charlie"}),
    "rep_seeing_team": _for_every_model(EAST),
    "marketing": {
        Lead: EVERYONE,
        # Marketing reads the accounts and contacts of its team (Sales, the whole tree).
        Account: {"alice", "bob", "charlie", "maria"},
        Contact: {"alice", "bob", "charlie", "maria"},
        Opportunity: set(),
        Activity: set(),  # these activities concern opportunities only
    },
    "read_only": _for_every_model(EAST),
    "inactive_admin": _for_every_model(set()),
    "inactive_manager": _for_every_model(set()),
}


def _viewer(company: Company, viewer: str, settings: Settings) -> User:
    user: User = {
        "admin": company.ada,
        "manager": company.maria,
        "rep": company.alice,
        "rep_in_west": company.charlie,
        "rep_seeing_team": company.alice,
        "marketing": company.mark,
        "read_only": company.rita,
        "inactive_admin": company.ada,
        "inactive_manager": company.maria,
    }[viewer]
    settings.OPPORTUNE_REPS_SEE_TEAM = viewer == "rep_seeing_team"
    if viewer.startswith("inactive"):
        user.is_active = False
        user.save()
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("model", list(FACTORIES), ids=lambda m: m.__name__)
@pytest.mark.parametrize("viewer", list(EXPECTED))
def test_each_role_sees_exactly_the_records_its_rule_gives_it(
    company: Company, settings: Settings, model: type[models.Model], viewer: str
) -> None:
    records = {
        owner: FACTORIES[model](company, getattr(company, owner) if owner else None).pk
        for owner in OWNERS
    }
    user = _viewer(company, viewer, settings)
    visible = set(policy.visible(user, model).values_list("pk", flat=True))
    assert {owner for owner, pk in records.items() if pk in visible} == EXPECTED[viewer][model]


@pytest.mark.parametrize("model", list(FACTORIES), ids=lambda m: m.__name__)
def test_a_manager_of_a_parent_team_sees_every_sub_team(
    company: Company, model: type[models.Model]
) -> None:
    company.sales.manager = company.maria
    company.sales.save()
    records = {owner: FACTORIES[model](company, getattr(company, owner)).pk for owner in EAST}
    west = FACTORIES[model](company, company.charlie).pk
    maria = User.objects.get(pk=company.maria.pk)
    visible = set(policy.visible(maria, model).values_list("pk", flat=True))
    assert {*records.values(), west} <= visible


def test_a_managers_view_reaches_teams_nested_below_hers(company: Company) -> None:
    north = Team.objects.create(name="East North", parent=company.east)
    nina = User.objects.create_user("nina", role=Role.SALES_REP, team=north)
    lead = company.lead(nina)
    assert Lead.objects.visible_to(company.maria).filter(pk=lead.pk).exists()
    assert not Lead.objects.visible_to(company.charlie).filter(pk=lead.pk).exists()


def test_a_rep_seeing_their_team_does_not_see_other_teams(
    company: Company, settings: Settings
) -> None:
    settings.OPPORTUNE_REPS_SEE_TEAM = True
    west = company.lead(company.charlie)
    unowned = company.lead(None)
    visible = Lead.objects.visible_to(company.alice)
    assert not visible.filter(pk__in=[west.pk, unowned.pk]).exists()


def test_a_superuser_sees_everything_whatever_the_role(company: Company) -> None:
    company.bob.is_superuser = True
    company.bob.save()
    deal = company.opportunity(company.charlie)
    assert Opportunity.objects.visible_to(company.bob).filter(pk=deal.pk).exists()


def test_a_manager_without_a_team_sees_their_own_and_unowned_records(company: Company) -> None:
    loner = User.objects.create_user("lone", role=Role.SALES_MANAGER, team=None)
    own, unowned = company.lead(loner), company.lead(None)
    company.lead(company.alice)
    visible = set(Lead.objects.visible_to(loner).values_list("pk", flat=True))
    assert visible == {own.pk, unowned.pk}


# Activities are seen through the record they concern.


def test_an_activity_is_visible_to_whoever_sees_its_record(company: Company) -> None:
    lead = company.lead(company.alice)
    note = Activity.objects.create(kind="note", subject="Met", owner=company.charlie, lead=lead)
    assert Activity.objects.visible_to(company.alice).filter(pk=note.pk).exists()
    assert Activity.objects.visible_to(company.maria).filter(pk=note.pk).exists()
    assert not Activity.objects.visible_to(company.bob).filter(pk=note.pk).exists()


@pytest.mark.parametrize("link", ["lead", "account", "contact", "opportunity"])
def test_an_activity_on_a_record_out_of_view_stays_out_of_view(company: Company, link: str) -> None:
    record = FACTORIES[
        {"lead": Lead, "account": Account, "contact": Contact, "opportunity": Opportunity}[link]
    ](company, company.charlie)
    activity = Activity.objects.create(
        kind="call", subject="Call", owner=company.charlie, **{link: record}
    )
    assert not Activity.objects.visible_to(company.alice).filter(pk=activity.pk).exists()
    assert not Activity.objects.visible_to(company.maria).filter(pk=activity.pk).exists()
    assert Activity.objects.visible_to(company.ada).filter(pk=activity.pk).exists()


def test_a_user_sees_their_own_activities(company: Company) -> None:
    charlies = company.account(company.charlie, "Western Widgets")
    call = Activity.objects.create(kind="call", subject="Call", owner=company.bob, account=charlies)
    assert Activity.objects.visible_to(company.bob).filter(pk=call.pk).exists()


def test_marketing_sees_activities_on_leads_but_not_on_opportunities(company: Company) -> None:
    lead = company.lead(company.charlie)
    deal = company.opportunity(company.charlie)
    on_lead = Activity.objects.create(kind="call", subject="A", owner=company.charlie, lead=lead)
    on_deal = Activity.objects.create(
        kind="call", subject="B", owner=company.charlie, opportunity=deal
    )
    visible = Activity.objects.visible_to(company.mark)
    assert visible.filter(pk=on_lead.pk).exists()
    assert not visible.filter(pk=on_deal.pk).exists()


def test_an_inactive_user_sees_not_even_their_own_activities(company: Company) -> None:
    lead = company.lead(company.alice)
    call = Activity.objects.create(kind="call", subject="A", owner=company.alice, lead=lead)
    company.alice.is_active = False
    company.alice.save()
    assert not Activity.objects.visible_to(company.alice).filter(pk=call.pk).exists()


def test_an_unowned_activity_on_another_teams_deal_is_out_of_a_managers_view(
    company: Company,
) -> None:
    deal = company.opportunity(company.charlie)
    note = Activity.objects.create(
        kind="note", subject="West pricing", owner=None, opportunity=deal
    )
    assert not Activity.objects.visible_to(company.maria).filter(pk=note.pk).exists()


# Reports resolve the owner rule to a list of owner ids (visible_by_owner_ids): the same records.
@pytest.mark.parametrize("model", [Lead, Opportunity], ids=lambda m: m.__name__)
@pytest.mark.parametrize("viewer", list(EXPECTED))
def test_the_owner_ids_form_of_the_rule_gives_each_role_the_same_records(
    company: Company, settings: Settings, model: type[Lead] | type[Opportunity], viewer: str
) -> None:
    records = {
        owner: FACTORIES[model](company, getattr(company, owner) if owner else None).pk
        for owner in OWNERS
    }
    user = _viewer(company, viewer, settings)
    by_ids = set(model.objects.visible_by_owner_ids(user).values_list("pk", flat=True))
    assert {owner for owner, pk in records.items() if pk in by_ids} == EXPECTED[viewer][model]
    assert by_ids == set(model.objects.visible_to(user).values_list("pk", flat=True))


def test_the_owner_ids_reach_members_below_a_team_that_has_none(company: Company) -> None:
    empty = Team.objects.create(name="East Empty", parent=company.east)
    below = Team.objects.create(name="East Below", parent=empty)
    nina = User.objects.create_user("nina", role=Role.SALES_REP, team=below)
    lead = company.lead(nina)
    maria = User.objects.get(pk=company.maria.pk)
    assert Lead.objects.visible_by_owner_ids(maria).filter(pk=lead.pk).exists()
    scope = policy.visible_owners(maria, "lead")
    assert scope is not None and nina.pk in scope.owner_ids and scope.unowned
    charlie = User.objects.get(pk=company.charlie.pk)
    assert not Lead.objects.visible_by_owner_ids(charlie).filter(pk=lead.pk).exists()
