"""An assignment rule always assigns to someone, names only known sources and countries."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from conftest import Company
from opportune.capture.models import AssignmentRule


def test_the_database_refuses_a_rule_without_a_user_or_team(company: Company) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentRule.objects.create(name="Nobody", sources="web")


def test_a_rule_without_a_target_is_refused_with_a_clear_error(company: Company) -> None:
    with pytest.raises(ValidationError) as caught:
        AssignmentRule(name="Nobody", sources="web").full_clean()
    assert "assign_to" in caught.value.message_dict


def test_a_rule_with_an_unknown_source_is_refused(company: Company) -> None:
    with pytest.raises(ValidationError) as caught:
        AssignmentRule(name="Webinar", sources="web, webinar", assign_to=company.bob).full_clean()
    assert "webinar" in str(caught.value.message_dict["sources"])


def test_a_rule_with_an_unknown_country_is_refused(company: Company) -> None:
    with pytest.raises(ValidationError) as caught:
        AssignmentRule(name="Myth", countries="Atlantis", assign_to=company.bob).full_clean()
    assert "Atlantis" in str(caught.value.message_dict["countries"])


def test_a_rules_countries_are_stored_as_codes(company: Company) -> None:
    rule = AssignmentRule(name="NA", countries="USA, Canada", assign_to=company.bob)
    rule.full_clean()
    rule.save()
    assert AssignmentRule.objects.get(pk=rule.pk).countries == "US, CA"


def test_a_rule_with_both_a_user_and_a_team_is_refused(company: Company) -> None:
    with pytest.raises(ValidationError):
        AssignmentRule(
            name="Both", assign_to=company.bob, round_robin_team=company.east
        ).full_clean()
