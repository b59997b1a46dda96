"""What a role grants beyond visibility."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from conftest import Company
from opportune.identity import policy
from opportune.identity.models import Role, Team, User


def test_the_admin_role_opens_the_django_admin(company: Company) -> None:
    assert company.ada.is_staff and company.ada.is_superuser


def test_a_user_made_admin_later_opens_the_django_admin_too(company: Company) -> None:
    company.bob.role = Role.ADMIN
    company.bob.save()
    bob = User.objects.get(pk=company.bob.pk)
    assert bob.is_staff and bob.is_superuser


def test_other_roles_do_not_open_the_django_admin(company: Company) -> None:
    assert not company.maria.is_staff
    assert not company.alice.is_superuser


def test_read_only_users_cannot_write(company: Company) -> None:
    assert not policy.may_write(company.rita)
    assert policy.may_write(company.alice)


def test_a_team_is_managed_by_a_sales_manager_or_an_admin_whatever_the_entry_point(
    company: Company,
) -> None:
    north = Team(name="North", manager=company.bob)
    with pytest.raises(ValidationError) as refused:
        north.full_clean()
    assert "manager" in refused.value.message_dict
    Team(name="North", manager=company.maria).full_clean()
