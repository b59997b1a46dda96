"""Contact roles (issue 14): exactly one primary while a deal has roles, always the deal's
primary contact; each change in the deal's field history; who may change the deal may
change its roles."""

from __future__ import annotations

import pytest

from conftest import Company
from opportune.audit.models import FieldChange
from opportune.errors import NotAllowed, RuleViolation
from opportune.opportunities.models import ContactRole, Opportunity
from opportune.opportunities.roles import (
    add_contact_role,
    change_contact_role,
    remove_contact_role,
)


def _deal(company: Company) -> Opportunity:
    account = company.account(company.alice, "Initech")
    return company.opportunity(company.alice, account=account)


def _primaries(opportunity: Opportunity) -> list[int]:
    return list(
        ContactRole.objects.filter(opportunity=opportunity, is_primary=True).values_list(
            "contact_id", flat=True
        )
    )


def _primary_contact(opportunity: Opportunity) -> int | None:
    return Opportunity.objects.get(pk=opportunity.pk).primary_contact_id


def test_the_first_role_is_primary_and_becomes_the_primary_contact(company: Company) -> None:
    deal = _deal(company)
    ann = company.contact(company.alice, deal.account, first_name="Ann")
    role = add_contact_role(company.alice, deal, ann.pk, "evaluator")
    assert role.is_primary
    assert _primaries(deal) == [ann.pk] == [_primary_contact(deal)]


def test_making_a_role_primary_unmarks_the_former_primary_and_moves_the_primary_contact(
    company: Company,
) -> None:
    deal = _deal(company)
    ann = company.contact(company.alice, deal.account, first_name="Ann")
    ben = company.contact(company.alice, deal.account, first_name="Ben")
    add_contact_role(company.alice, deal, ann.pk, "evaluator")
    ben_role = add_contact_role(company.alice, deal, ben.pk, "decision_maker")
    assert not ben_role.is_primary
    change_contact_role(company.alice, deal, ben_role.pk, is_primary=True)
    assert _primaries(deal) == [ben.pk] == [_primary_contact(deal)]
    assert ContactRole.objects.get(opportunity=deal, contact=ann).role == "evaluator"


def test_changing_the_primary_contact_on_the_deal_moves_the_primary_role(
    company: Company,
) -> None:
    from opportune.opportunities.services import change_opportunity

    deal = _deal(company)
    ann = company.contact(company.alice, deal.account, first_name="Ann")
    ben = company.contact(company.alice, deal.account, first_name="Ben")
    add_contact_role(company.alice, deal, ann.pk)
    add_contact_role(company.alice, deal, ben.pk)
    change_opportunity(company.alice, deal, {"primary_contact_id": ben.pk})
    assert _primaries(deal) == [ben.pk]


def test_the_primary_role_cannot_be_unmarked_or_removed_while_others_remain(
    company: Company,
) -> None:
    deal = _deal(company)
    ann = company.contact(company.alice, deal.account, first_name="Ann")
    ben = company.contact(company.alice, deal.account, first_name="Ben")
    ann_role = add_contact_role(company.alice, deal, ann.pk)
    add_contact_role(company.alice, deal, ben.pk)
    with pytest.raises(RuleViolation) as unmarked:
        change_contact_role(company.alice, deal, ann_role.pk, is_primary=False)
    with pytest.raises(RuleViolation) as removed:
        remove_contact_role(company.alice, deal, ann_role.pk)
    assert "is_primary" in unmarked.value.errors and "is_primary" in removed.value.errors
    assert _primaries(deal) == [ann.pk]


def test_removing_the_last_role_clears_the_primary_contact(company: Company) -> None:
    deal = _deal(company)
    ann = company.contact(company.alice, deal.account, first_name="Ann")
    role = add_contact_role(company.alice, deal, ann.pk)
    remove_contact_role(company.alice, deal, role.pk)
    assert _primary_contact(deal) is None
    assert not ContactRole.objects.filter(opportunity=deal).exists()


def test_a_contact_of_another_account_may_take_part_but_not_be_primary(company: Company) -> None:
    deal = _deal(company)
    ann = company.contact(company.alice, deal.account, first_name="Ann")
    partner = company.contact(company.alice, company.account(company.alice, "Partner"))
    add_contact_role(company.alice, deal, ann.pk)
    role = add_contact_role(company.alice, deal, partner.pk, "influencer")
    with pytest.raises(RuleViolation) as caught:
        change_contact_role(company.alice, deal, role.pk, is_primary=True)
    assert "is_primary" in caught.value.errors
    assert _primaries(deal) == [ann.pk]


def test_a_contact_outside_the_users_view_cannot_be_added(company: Company) -> None:
    deal = _deal(company)
    hidden = company.contact(company.charlie, company.account(company.charlie, "West Co"))
    with pytest.raises(RuleViolation) as caught:
        add_contact_role(company.alice, deal, hidden.pk)
    assert "contact_id" in caught.value.errors


def test_who_may_not_change_the_deal_may_not_change_its_roles(company: Company) -> None:
    deal = _deal(company)
    ann = company.contact(company.alice, deal.account, first_name="Ann")
    with pytest.raises(NotAllowed):
        add_contact_role(company.rita, deal, ann.pk)
    assert not ContactRole.objects.filter(opportunity=deal).exists()


def test_every_role_change_is_in_the_deals_field_history(company: Company) -> None:
    deal = _deal(company)
    ann = company.contact(company.alice, deal.account, first_name="Ann", last_name="Lee")
    role = add_contact_role(company.alice, deal, ann.pk)
    change_contact_role(company.alice, deal, role.pk, role="economic_buyer")
    rows = list(
        FieldChange.objects.filter(
            record_type="opportunity", record_id=deal.pk, field="contact_roles"
        ).order_by("pk")
    )
    assert [r.new_value for r in rows] == [
        "Ann Lee (contact, primary)",
        "Ann Lee (Economic buyer, primary)",
    ]
    assert FieldChange.objects.filter(
        record_type="opportunity", record_id=deal.pk, field="primary_contact_id"
    ).exists()
